import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiTags,
  getSchemaPath,
  ApiExtraModels,
} from '@nestjs/swagger';
import { RequirePermission } from '../../auth/access.decorators';
import { ErrorBody } from '../../common/error-body';
import {
  FeedbackItem,
  SessionItem,
  StudentItem,
  TutorEventItem,
  TutorItem,
} from '../dto/ingest-items.dto';
import { BatchEnvelopePipe } from './batch-envelope.pipe';
import { BatchResult } from './batch';
import { IngestionService } from './ingestion.service';

const batchBody = (model: new () => unknown) =>
  ApiBody({
    schema: {
      type: 'object',
      required: ['items'],
      additionalProperties: false,
      properties: {
        items: {
          type: 'array',
          minItems: 1,
          maxItems: 5000,
          items: { $ref: getSchemaPath(model) },
        },
      },
    },
  });

/**
 * Upstream systems push tutoring records here. Each call upserts by externalId
 * and answers 200 with a result per item, even when some are rejected.
 */
@ApiTags('ingestion')
@ApiExtraModels(TutorItem, StudentItem, SessionItem, FeedbackItem, TutorEventItem)
@ApiOkResponse({
  type: BatchResult,
  description: 'Per-item outcome; rejected items name their fields',
})
@ApiBadRequestResponse({
  type: ErrorBody,
  description: 'Malformed JSON or not an { items } envelope',
})
@ApiPayloadTooLargeResponse({ type: ErrorBody, description: 'More than 5,000 items or over 10 MB' })
@Controller('api/v1')
export class IngestionController {
  constructor(private readonly ingestion: IngestionService) {}

  @Post('tutors')
  @HttpCode(200)
  @RequirePermission('tutoring.write')
  @ApiOperation({ summary: 'Upsert tutors' })
  @batchBody(TutorItem)
  tutors(@Body(BatchEnvelopePipe) items: unknown[]): Promise<BatchResult> {
    return this.ingestion.ingestTutors(items);
  }

  @Post('students')
  @HttpCode(200)
  @RequirePermission('tutoring.write')
  @ApiOperation({ summary: 'Upsert students' })
  @batchBody(StudentItem)
  students(@Body(BatchEnvelopePipe) items: unknown[]): Promise<BatchResult> {
    return this.ingestion.ingestStudents(items);
  }

  @Post('sessions')
  @HttpCode(200)
  @RequirePermission('tutoring.write')
  @ApiOperation({ summary: 'Upsert sessions (tutor and student by externalId)' })
  @batchBody(SessionItem)
  sessions(@Body(BatchEnvelopePipe) items: unknown[]): Promise<BatchResult> {
    return this.ingestion.ingestSessions(items);
  }

  @Post('feedback')
  @HttpCode(200)
  @RequirePermission('tutoring.write')
  @ApiOperation({ summary: 'Upsert feedback (session by externalId; it must have taken place)' })
  @batchBody(FeedbackItem)
  feedback(@Body(BatchEnvelopePipe) items: unknown[]): Promise<BatchResult> {
    return this.ingestion.ingestFeedback(items);
  }

  @Post('tutor-events')
  @HttpCode(200)
  @RequirePermission('tutoring.write')
  @ApiOperation({
    summary: 'Upsert tutor events (logins, message responses, availability, training, resignation)',
  })
  @batchBody(TutorEventItem)
  tutorEvents(@Body(BatchEnvelopePipe) items: unknown[]): Promise<BatchResult> {
    return this.ingestion.ingestTutorEvents(items);
  }
}
