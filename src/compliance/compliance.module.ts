import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { NotificationsModule } from '../notifications/notifications.module';
import { TutoringModule } from '../tutoring/tutoring.module';
import { WorkersModule } from '../workers/workers.module';
import { ComplianceRequestsController } from './compliance-requests.controller';
import { BreachRegisterController } from './breach-register.controller';
import { BreachRegisterService } from './breach-register.service';
import { CoppaController } from './coppa.controller';
import { CoppaProcessor } from './coppa.processor';
import { CoppaService } from './coppa.service';
import { DisclosuresController } from './disclosures.controller';
import { ErasureLedger } from './erasure-ledger.service';
import { FeedbackFormController } from './feedback-form.controller';
import { FeedbackFormService } from './feedback-form.service';
import { GdprService } from './gdpr.service';
import { PrivacyController } from './privacy.controller';
import { RetentionArchiveController } from './retention-archive.controller';
import { RetentionProcessor } from './retention.processor';
import { RetentionService } from './retention.service';

/**
 * Compliance features built on CompliancePolicyModule: disclosure reports,
 * the student feedback form, GDPR requests and legal holds. It calls other
 * modules' services; none of them imports it.
 */
@Module({
  imports: [AuditModule, NotificationsModule, TutoringModule, WorkersModule],
  controllers: [
    DisclosuresController,
    FeedbackFormController,
    PrivacyController,
    ComplianceRequestsController,
    CoppaController,
    BreachRegisterController,
    RetentionArchiveController,
  ],
  providers: [
    FeedbackFormService,
    GdprService,
    ErasureLedger,
    CoppaService,
    CoppaProcessor,
    BreachRegisterService,
    RetentionService,
    RetentionProcessor,
  ],
  exports: [GdprService, CoppaService],
})
export class ComplianceModule {}
