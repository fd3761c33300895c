import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsBoolean,
  IsEmail,
  IsIn,
  IsInt,
  IsISO8601,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';
import {
  BEHAVIORAL_ARCHETYPES,
  IMPROVEMENT_AREAS,
  SESSION_DURATIONS_MINUTES,
  SESSION_STATUSES,
  SESSION_TYPES,
  SUBJECTS,
  TUTOR_EVENT_TYPES,
  TUTOR_STATUSES,
  WORK_AGAIN_ANSWERS,
} from '../tutoring.constants';
import { PlainText } from '../../security/plain-text';
import type {
  BehavioralArchetype,
  ImprovementArea,
  SessionStatus,
  SessionType,
  TutorEventType,
  TutorStatus,
  WorkAgainAnswer,
} from '../tutoring.constants';

/**
 * One record of an ingestion batch. Fields are camelCase; references to other
 * records use the upstream system's externalId.
 */
const EXTERNAL_ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,99}$/;
const EXTERNAL_ID_MESSAGE =
  '$property must be 1-100 letters, digits, or . _ : @ - (starting with a letter or digit)';
const ISO_DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const subjectMessage = `$property must be one of the known subjects (${SUBJECTS.join(', ')})`;

export class IngestItem {
  /** The upstream system's id; a retried write with the same id never duplicates. */
  @IsString()
  @Matches(EXTERNAL_ID, { message: EXTERNAL_ID_MESSAGE })
  externalId: string;
}

export class TutorItem extends IngestItem {
  @IsString()
  @Length(1, 200)
  @PlainText()
  name: string;

  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(320)
  email: string;

  /** YYYY-MM-DD */
  @Matches(ISO_DATE_ONLY, { message: 'onboardingDate must be a date as YYYY-MM-DD' })
  @IsISO8601({ strict: true }, { message: 'onboardingDate must be a real calendar date' })
  onboardingDate: string;

  @IsOptional()
  @IsIn(TUTOR_STATUSES)
  status?: TutorStatus;

  @IsString({ each: true })
  @IsIn(SUBJECTS, { each: true, message: subjectMessage })
  @ArrayMinSize(1)
  @ArrayMaxSize(10)
  @ArrayUnique()
  subjects: string[];

  @IsOptional()
  @IsString()
  @MaxLength(100)
  @PlainText()
  educationLevel?: string;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  @PlainText()
  location?: string;

  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(50)
  baselineSessionsPerWeek?: number;

  /** Synthetic data only. */
  @IsOptional()
  @IsIn(BEHAVIORAL_ARCHETYPES)
  behavioralArchetype?: BehavioralArchetype;

  /** Email of the user who manages this tutor. */
  @IsOptional()
  @IsEmail({}, { message: 'managerEmail must be an email address' })
  managerEmail?: string;
}

export class StudentItem extends IngestItem {
  @IsString()
  @Length(1, 200)
  @PlainText()
  name: string;

  @IsInt()
  @Min(1900)
  @Max(2100)
  birthYear: number;

  @IsInt()
  @Min(1)
  @Max(12)
  birthMonth: number;

  @IsOptional()
  @IsString()
  @MaxLength(50)
  @PlainText()
  gradeLevel?: string;

  /** Only for students aged 13 and over. */
  @IsOptional()
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(320)
  email?: string;

  @IsOptional()
  @IsString({ each: true })
  @IsIn(SUBJECTS, { each: true, message: subjectMessage })
  @ArrayMaxSize(17)
  @ArrayUnique()
  subjectsInterested?: string[];

  /** Required for students under 13 (COPPA). */
  @IsOptional()
  @IsEmail({}, { message: 'parentEmail must be an email address' })
  @MaxLength(320)
  parentEmail?: string;
}

export class SessionItem extends IngestItem {
  @IsString()
  @Matches(EXTERNAL_ID, { message: EXTERNAL_ID_MESSAGE })
  tutorExternalId: string;

  @IsString()
  @Matches(EXTERNAL_ID, { message: EXTERNAL_ID_MESSAGE })
  studentExternalId: string;

  /** ISO 8601 with a time zone, e.g. 2026-11-20T17:00:00Z */
  @IsISO8601(
    { strict: true, strictSeparator: true },
    { message: 'scheduledStart must be an ISO 8601 date-time' },
  )
  scheduledStart: string;

  /** Defaults to completed when actualStart is given, otherwise scheduled. */
  @IsOptional()
  @IsIn(SESSION_STATUSES)
  status?: SessionStatus;

  @IsOptional()
  @IsISO8601(
    { strict: true, strictSeparator: true },
    { message: 'actualStart must be an ISO 8601 date-time' },
  )
  actualStart?: string;

  @IsIn(SESSION_DURATIONS_MINUTES, {
    message: `durationMinutes must be one of ${SESSION_DURATIONS_MINUTES.join(', ')}`,
  })
  durationMinutes: number;

  @IsIn(SUBJECTS, { message: subjectMessage })
  subject: string;

  @IsOptional()
  @IsIn(SESSION_TYPES)
  sessionType?: SessionType;

  @IsOptional()
  @IsBoolean()
  tutorInitiatedReschedule?: boolean;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(60)
  lateStartMinutes?: number;

  /** Fraction 0–1. */
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  engagementScore?: number;

  @IsOptional()
  @IsBoolean()
  learningObjectivesMet?: boolean;

  @IsOptional()
  @IsBoolean()
  technicalIssues?: boolean;
}

const rating = () => [IsInt(), Min(1), Max(5)];
function Rating(): PropertyDecorator {
  return (target, key) => rating().forEach((d) => d(target, key));
}

export class FeedbackItem extends IngestItem {
  @IsString()
  @Matches(EXTERNAL_ID, { message: EXTERNAL_ID_MESSAGE })
  sessionExternalId: string;

  @Rating()
  overallRating: number;

  @IsOptional()
  @Rating()
  subjectKnowledgeRating?: number;

  @IsOptional()
  @Rating()
  communicationRating?: number;

  @IsOptional()
  @Rating()
  patienceRating?: number;

  @IsOptional()
  @Rating()
  engagementRating?: number;

  @IsOptional()
  @Rating()
  helpfulnessRating?: number;

  @IsOptional()
  @IsBoolean()
  wouldRecommend?: boolean;

  /** First sessions: would the student work with this tutor again? */
  @IsOptional()
  @IsIn(WORK_AGAIN_ANSWERS)
  workAgain?: WorkAgainAnswer;

  @IsOptional()
  @IsIn(IMPROVEMENT_AREAS, {
    each: true,
    message: `each value in improvementAreas must be one of ${IMPROVEMENT_AREAS.join(', ')}`,
  })
  @ArrayMaxSize(IMPROVEMENT_AREAS.length)
  @ArrayUnique()
  improvementAreas?: ImprovementArea[];

  @IsOptional()
  @IsString()
  @MaxLength(2000)
  @PlainText()
  freeText?: string;

  @IsISO8601(
    { strict: true, strictSeparator: true },
    { message: 'submittedAt must be an ISO 8601 date-time' },
  )
  submittedAt: string;
}

export class TutorEventItem extends IngestItem {
  @IsString()
  @Matches(EXTERNAL_ID, { message: EXTERNAL_ID_MESSAGE })
  tutorExternalId: string;

  @IsIn(TUTOR_EVENT_TYPES)
  eventType: TutorEventType;

  @IsISO8601(
    { strict: true, strictSeparator: true },
    { message: 'occurredAt must be an ISO 8601 date-time' },
  )
  occurredAt: string;

  /** Required for message_response: minutes taken to answer. */
  @ValidateIf(
    (o: TutorEventItem) => o.eventType === 'message_response' || o.responseMinutes !== undefined,
  )
  @IsNumber(
    { allowNaN: false, allowInfinity: false },
    { message: 'responseMinutes must be a number (required for message_response)' },
  )
  @Min(0)
  @Max(10080)
  responseMinutes?: number;

  @IsOptional()
  @IsObject()
  metadata?: Record<string, unknown>;
}
