import { Module } from '@nestjs/common';
import { PerformanceModule } from '../performance/performance.module';
import { SelfServiceApiController } from './self-service-api.controller';
import { SelfServicePagesController } from './self-service-pages.controller';
import { SelfServicePersonalDataRegistration } from './self-service-personal-data';
import { SelfServiceQueries } from './self-service-queries.service';
import { StudentSelfService } from './student-self-service.service';
import { TutorSelfService } from './tutor-self-service.service';

/**
 * Self-service for tutors and students (`/me`, `/api/v1/me/...`): a tutor's
 * own performance, feedback, goals, training, badges and inbox; a student's
 * own sessions and feedback. Reads other modules through the performance
 * module's query service and read-only queries; owns goals, training progress
 * and acknowledgements, and registers them for GDPR export and erasure.
 */
@Module({
  imports: [PerformanceModule],
  controllers: [SelfServiceApiController, SelfServicePagesController],
  providers: [
    SelfServiceQueries,
    TutorSelfService,
    StudentSelfService,
    SelfServicePersonalDataRegistration,
  ],
})
export class SelfServiceModule {}
