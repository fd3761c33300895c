import { Module } from '@nestjs/common';
import { WorkersModule } from '../workers/workers.module';
import { IngestionController } from './ingestion/ingestion.controller';
import { IngestionService } from './ingestion/ingestion.service';
import { StudentsService } from './students.service';
import { TutoringRecordsController } from './tutoring-records.controller';
import { TutoringRecordsService } from './tutoring-records.service';

@Module({
  imports: [WorkersModule],
  controllers: [IngestionController, TutoringRecordsController],
  providers: [IngestionService, TutoringRecordsService, StudentsService],
  exports: [IngestionService, TutoringRecordsService, StudentsService],
})
export class TutoringModule {}
