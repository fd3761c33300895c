import { Module } from '@nestjs/common';
import { WorkersModule } from '../workers/workers.module';
import { EvaluationProcessor } from './evaluation.processor';
import { NightlyEvaluationService } from './nightly-evaluation.service';
import { PerformanceQueryService } from './performance-query.service';
import { PerformanceController } from './performance.controller';
import { TutorEvaluationService } from './tutor-evaluation.service';

/** Rolling metrics (7/30/90 days), tiers and daily snapshots (DOMAIN.md §3). */
@Module({
  imports: [WorkersModule],
  controllers: [PerformanceController],
  providers: [
    TutorEvaluationService,
    NightlyEvaluationService,
    PerformanceQueryService,
    EvaluationProcessor,
  ],
  exports: [PerformanceQueryService, NightlyEvaluationService],
})
export class PerformanceModule {}
