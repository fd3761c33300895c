import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { NotificationsModule } from '../notifications/notifications.module';
import { TutoringModule } from '../tutoring/tutoring.module';
import { DisclosuresController } from './disclosures.controller';
import { FeedbackFormController } from './feedback-form.controller';
import { FeedbackFormService } from './feedback-form.service';

/**
 * Compliance features built on CompliancePolicyModule: disclosure reports,
 * the student feedback form, GDPR requests. It calls other modules' services;
 * none of them imports it.
 */
@Module({
  imports: [AuditModule, NotificationsModule, TutoringModule],
  controllers: [DisclosuresController, FeedbackFormController],
  providers: [FeedbackFormService],
})
export class ComplianceModule {}
