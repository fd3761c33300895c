import { Module } from '@nestjs/common';
import { NotificationsModule } from '../notifications/notifications.module';
import { WorkersModule } from '../workers/workers.module';
import { ChurnScoringService } from './churn-scoring.service';
import { FirstSessionService } from './first-session.service';
import { ModelRegistryService } from './model-registry.service';
import { PredictionPagesController } from './prediction-pages.controller';
import { PredictionQueryService } from './prediction-query.service';
import { PredictionController } from './prediction.controller';
import { PredictionProcessor } from './prediction.processor';
import { TrainingLauncher } from './training-launcher.service';
import { TrainingService } from './training.service';

/** Churn risk (1/7/30/90 days), first-session risk, training and the model registry (DOMAIN.md §4, §5). */
@Module({
  imports: [WorkersModule, NotificationsModule],
  controllers: [PredictionController, PredictionPagesController],
  providers: [
    ModelRegistryService,
    ChurnScoringService,
    FirstSessionService,
    TrainingService,
    TrainingLauncher,
    PredictionQueryService,
    PredictionProcessor,
    PredictionController,
  ],
  exports: [ChurnScoringService, PredictionQueryService],
})
export class PredictionModule {}
