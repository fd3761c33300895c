import { IsIn, IsISO8601, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { EventJobPayload } from '../../workers/domain-event.dto';

/** tutor.metrics-updated: score the tutor again. */
export class ScoreTutorJob extends EventJobPayload {
  @IsUUID()
  tutorId: string;
}

/** session.recorded: score the session when it is an upcoming first session. */
export class SessionRecordedJob extends EventJobPayload {
  @IsUUID()
  sessionId: string;
}

/** feedback.recorded: record the outcome of a predicted first session. */
export class FeedbackRecordedJob extends EventJobPayload {
  @IsOptional()
  @IsUUID()
  sessionId?: string;
}

/** tutor.churned, as the interventions module sees it. */
export class TutorChurnedJob extends EventJobPayload {
  @IsUUID()
  tutorId: string;

  @IsOptional()
  @IsIn(['inactivity', 'resignation', 'decline'])
  reason?: string | null;
}

/** Scheduled with no payload. */
export class ScheduledPredictionJob {
  @IsOptional()
  @IsISO8601({ strict: true })
  asOf?: string;
}

/** A training run: on demand (with the run the admin started) or scheduled (none). */
export class TrainModelsJob {
  @IsOptional()
  @IsUUID()
  runId?: string;

  @IsOptional()
  @IsString()
  @MaxLength(60)
  trigger?: string;
}
