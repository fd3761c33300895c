import { Controller, Get, Param, ParseUUIDPipe, Query, Req } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuditRead } from '../audit/audit.decorators';
import { RequirePermission } from '../auth/access.decorators';
import type { AppRequest } from '../auth/principal';
import { viewerOf } from '../compliance/viewer';
import { ErrorBody } from '../common/error-body';
import { Page } from '../common/pagination';
import {
  FeedbackListQuery,
  SessionListQuery,
  StudentListQuery,
  TutorEventListQuery,
  TutorListQuery,
} from './dto/list-queries.dto';
import { Feedback } from './entities/feedback.entity';
import { Student } from './entities/student.entity';
import { TutorEvent } from './entities/tutor-event.entity';
import { Tutor } from './entities/tutor.entity';
import { TutoringSession } from './entities/tutoring-session.entity';
import {
  AnonymisedFeedback,
  RecordReader,
  TutoringRecordsService,
} from './tutoring-records.service';

const uuid = new ParseUUIDPipe({ version: undefined, errorHttpStatusCode: 400 });

/** Who reads a student's education record (FERPA policy and disclosure log). */
export const readerOf = (req: AppRequest): RecordReader => ({
  viewer: viewerOf(req.principal),
  path: req.path,
});

/** Lists page with `?limit&cursor` and answer `{ items, nextCursor }`. */
@ApiTags('tutoring records')
@ApiBadRequestResponse({ type: ErrorBody })
@Controller('api/v1')
export class TutoringRecordsController {
  constructor(private readonly records: TutoringRecordsService) {}

  @Get('tutors')
  @RequirePermission('tutoring.read')
  @ApiOperation({ summary: 'List tutors, ordered by externalId' })
  tutors(@Query() query: TutorListQuery): Promise<Page<Tutor>> {
    return this.records.listTutors(query);
  }

  @Get('tutors/:id')
  @RequirePermission('tutoring.read')
  @ApiNotFoundResponse({ type: ErrorBody })
  tutor(@Param('id', uuid) id: string): Promise<Tutor> {
    return this.records.getTutor(id);
  }

  @Get('students')
  @RequirePermission('tutoring.read')
  @AuditRead('student')
  @ApiOperation({ summary: 'List students, ordered by externalId' })
  students(@Query() query: StudentListQuery, @Req() req: AppRequest): Promise<Page<Student>> {
    return this.records.listStudents(query, readerOf(req));
  }

  @Get('students/:id')
  @RequirePermission('tutoring.read')
  @AuditRead('student')
  @ApiNotFoundResponse({ type: ErrorBody })
  student(@Param('id', uuid) id: string, @Req() req: AppRequest): Promise<Student> {
    return this.records.getStudent(id, readerOf(req));
  }

  @Get('students/:id/education-record')
  @RequirePermission('self.read')
  @AuditRead('student')
  @ApiNotFoundResponse({ type: ErrorBody })
  @ApiOperation({
    summary:
      "A student's education record under FERPA: the student, school officials, or a tutor who taught them (feedback anonymised)",
  })
  educationRecord(@Param('id', uuid) id: string, @Req() req: AppRequest) {
    return this.records.educationRecord(id, readerOf(req));
  }

  @Get('sessions')
  @RequirePermission('tutoring.read')
  @AuditRead('student')
  @ApiOperation({
    summary: 'List sessions, newest scheduled start first; filter by tutor, student, status, time',
  })
  sessions(
    @Query() query: SessionListQuery,
    @Req() req: AppRequest,
  ): Promise<Page<TutoringSession>> {
    return this.records.listSessions(query, readerOf(req));
  }

  @Get('sessions/:id')
  @RequirePermission('tutoring.read')
  @AuditRead('student')
  @ApiNotFoundResponse({ type: ErrorBody })
  session(@Param('id', uuid) id: string, @Req() req: AppRequest): Promise<TutoringSession> {
    return this.records.getSession(id, readerOf(req));
  }

  @Get('feedback')
  @RequirePermission('tutoring.read')
  @AuditRead('student')
  @ApiOperation({
    summary: 'List feedback, newest first; filter by tutor, session, submission time',
  })
  feedback(
    @Query() query: FeedbackListQuery,
    @Req() req: AppRequest,
  ): Promise<Page<Feedback | AnonymisedFeedback>> {
    return this.records.listFeedback(query, readerOf(req));
  }

  @Get('tutor-events')
  @RequirePermission('tutoring.read')
  @ApiOperation({ summary: 'List tutor events, newest first; filter by tutor, type, time' })
  tutorEvents(@Query() query: TutorEventListQuery): Promise<Page<TutorEvent>> {
    return this.records.listTutorEvents(query);
  }
}
