import { Global, Module } from '@nestjs/common';
import { DisclosureLog } from './disclosure-log.service';
import { PersonalDataRegistry } from './personal-data-registry';
import { StudentPrivacyService } from './student-privacy.service';

/**
 * The part of compliance other modules call: the disclosure log, the
 * directory opt-out and the personal-data handler registry (the access policy
 * itself is the pure ferpa-policy.ts). It imports no other module, so every
 * module can depend on it; ComplianceModule (requests, forms, pages) builds on it.
 */
@Global()
@Module({
  providers: [DisclosureLog, PersonalDataRegistry, StudentPrivacyService],
  exports: [DisclosureLog, PersonalDataRegistry, StudentPrivacyService],
})
export class CompliancePolicyModule {}
