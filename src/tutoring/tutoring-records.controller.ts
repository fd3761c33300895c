import { Controller, Get, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuditRead } from '../audit/audit.decorators';
import { RequirePermission } from '../auth/access.decorators';
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
import { TutoringRecordsService } from './tutoring-records.service';

const uuid = new ParseUUIDPipe({ version: undefined, errorHttpStatusCode: 400 });

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
  students(@Query() query: StudentListQuery): Promise<Page<Student>> {
    return this.records.listStudents(query);
  }

  @Get('students/:id')
  @RequirePermission('tutoring.read')
  @AuditRead('student')
  @ApiNotFoundResponse({ type: ErrorBody })
  student(@Param('id', uuid) id: string): Promise<Student> {
    return this.records.getStudent(id);
  }

  @Get('sessions')
  @RequirePermission('tutoring.read')
  @AuditRead('student')
  @ApiOperation({
    summary: 'List sessions, newest scheduled start first; filter by tutor, student, status, time',
  })
  sessions(@Query() query: SessionListQuery): Promise<Page<TutoringSession>> {
    return this.records.listSessions(query);
  }

  @Get('sessions/:id')
  @RequirePermission('tutoring.read')
  @AuditRead('student')
  @ApiNotFoundResponse({ type: ErrorBody })
  session(@Param('id', uuid) id: string): Promise<TutoringSession> {
    return this.records.getSession(id);
  }

  @Get('feedback')
  @RequirePermission('tutoring.read')
  @AuditRead('student')
  @ApiOperation({
    summary: 'List feedback, newest first; filter by tutor, session, submission time',
  })
  feedback(@Query() query: FeedbackListQuery): Promise<Page<Feedback>> {
    return this.records.listFeedback(query);
  }

  @Get('tutor-events')
  @RequirePermission('tutoring.read')
  @ApiOperation({ summary: 'List tutor events, newest first; filter by tutor, type, time' })
  tutorEvents(@Query() query: TutorEventListQuery): Promise<Page<TutorEvent>> {
    return this.records.listTutorEvents(query);
  }
}
