import { Module } from '@nestjs/common';
import { DisclosuresController } from './disclosures.controller';

/**
 * Compliance features built on CompliancePolicyModule: disclosure reports,
 * the student feedback form, GDPR requests.
 */
@Module({
  controllers: [DisclosuresController],
})
export class ComplianceModule {}
