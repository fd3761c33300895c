import { Module } from '@nestjs/common';
import { NotificationsModule } from '../notifications/notifications.module';
import { PerformanceModule } from '../performance/performance.module';
import { TutoringModule } from '../tutoring/tutoring.module';
import { WorkersModule } from '../workers/workers.module';
import { InterventionAnalytics } from './intervention-analytics.service';
import { InterventionConfigService } from './intervention-config.service';
import { InterventionMailer } from './intervention-mailer.service';
import { InterventionRuleRunner } from './intervention-rule-runner.service';
import { InterventionSlaNotices } from './intervention-sla-notices.service';
import { InterventionsController } from './interventions.controller';
import { InterventionsProcessor } from './interventions.processor';
import { InterventionsService } from './interventions.service';
import { InterventionPagesController } from './intervention-pages.controller';
import { DashboardPage, HOME_DASHBOARD } from './dashboard-page.service';
import { TutorManagerNotes } from './tutor-manager-notes.service';
import { TutorManagerNotesController } from './tutor-manager-notes.controller';
import { InterventionConfigPagesController } from './intervention-config-pages.controller';
import { ChurnedTutorService } from './churned-tutor.service';
import { ChurnedTutorProcessor } from './churned-tutor.processor';

/** Interventions (DOMAIN.md §6): aggregate, workflow, rule engine, SLA clocks, manager pages. */
@Module({
  imports: [WorkersModule, NotificationsModule, PerformanceModule, TutoringModule],
  controllers: [
    InterventionsController,
    InterventionPagesController,
    TutorManagerNotesController,
    InterventionConfigPagesController,
  ],
  providers: [
    InterventionConfigService,
    InterventionsService,
    InterventionAnalytics,
    InterventionMailer,
    InterventionRuleRunner,
    InterventionSlaNotices,
    InterventionsProcessor,
    DashboardPage,
    TutorManagerNotes,
    { provide: HOME_DASHBOARD, useExisting: DashboardPage },
    ChurnedTutorService,
    ChurnedTutorProcessor,
  ],
  exports: [InterventionsService, InterventionAnalytics],
})
export class InterventionsModule {}
