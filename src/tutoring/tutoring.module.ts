import { Module } from '@nestjs/common';
import { WorkersModule } from '../workers/workers.module';
import { IngestionController } from './ingestion/ingestion.controller';
import { IngestionService } from './ingestion/ingestion.service';
import { StudentsService } from './students.service';
import { TutoringRecordsController } from './tutoring-records.controller';
import { TutoringRecordsService } from './tutoring-records.service';
import { TutoringPersonalDataRegistration } from './tutoring-personal-data';

@Module({
  imports: [WorkersModule],
  controllers: [IngestionController, TutoringRecordsController],
  providers: [
    IngestionService,
    TutoringRecordsService,
    StudentsService,
    TutoringPersonalDataRegistration,
  ],
  exports: [IngestionService, TutoringRecordsService, StudentsService],
})
export class TutoringModule {}
