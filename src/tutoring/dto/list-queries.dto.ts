import { IsIn, IsISO8601, IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { PageQuery } from '../../common/pagination';
import { SESSION_STATUSES, TUTOR_EVENT_TYPES, TUTOR_STATUSES } from '../tutoring.constants';
import type { SessionStatus, TutorEventType, TutorStatus } from '../tutoring.constants';

export class TutorListQuery extends PageQuery {
  @IsOptional()
  @IsIn(TUTOR_STATUSES)
  status?: TutorStatus;

  @IsOptional()
  @IsString()
  @MaxLength(100)
  externalId?: string;
}

export class StudentListQuery extends PageQuery {
  @IsOptional()
  @IsString()
  @MaxLength(100)
  externalId?: string;
}

/** Time window filters: `from` inclusive, `to` exclusive. */
export class TimeRangeQuery extends PageQuery {
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'from must be an ISO 8601 date or date-time' })
  from?: string;

  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'to must be an ISO 8601 date or date-time' })
  to?: string;
}

export class SessionListQuery extends TimeRangeQuery {
  @IsOptional()
  @IsUUID('all', { message: 'tutorId must be a TutorMax tutor id (UUID)' })
  tutorId?: string;

  @IsOptional()
  @IsUUID('all', { message: 'studentId must be a TutorMax student id (UUID)' })
  studentId?: string;

  @IsOptional()
  @IsIn(SESSION_STATUSES)
  status?: SessionStatus;

  @IsOptional()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,99}$/, {
    message: 'externalId is not a valid externalId',
  })
  externalId?: string;
}

export class FeedbackListQuery extends TimeRangeQuery {
  @IsOptional()
  @IsUUID('all', { message: 'tutorId must be a TutorMax tutor id (UUID)' })
  tutorId?: string;

  @IsOptional()
  @IsUUID('all', { message: 'sessionId must be a TutorMax session id (UUID)' })
  sessionId?: string;
}

export class TutorEventListQuery extends TimeRangeQuery {
  @IsOptional()
  @IsUUID('all', { message: 'tutorId must be a TutorMax tutor id (UUID)' })
  tutorId?: string;

  @IsOptional()
  @IsIn(TUTOR_EVENT_TYPES)
  eventType?: TutorEventType;
}
