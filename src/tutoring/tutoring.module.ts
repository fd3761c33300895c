import { Module } from '@nestjs/common';
import { WorkersModule } from '../workers/workers.module';
import { IngestionController } from './ingestion/ingestion.controller';
import { IngestionService } from './ingestion/ingestion.service';
import { TutoringRecordsController } from './tutoring-records.controller';
import { TutoringRecordsService } from './tutoring-records.service';

@Module({
  imports: [WorkersModule],
  controllers: [IngestionController, TutoringRecordsController],
  providers: [IngestionService, TutoringRecordsService],
  exports: [IngestionService, TutoringRecordsService],
})
export class TutoringModule {}
