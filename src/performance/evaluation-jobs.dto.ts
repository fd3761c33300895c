import { IsInt, IsISO8601, IsOptional, IsUUID, Min } from 'class-validator';
import { EventJobPayload } from '../workers/domain-event.dto';

/** session.recorded, feedback.recorded or tutor-event.recorded, as the evaluation handler sees it. */
export class TutorActivityJob extends EventJobPayload {
  @IsUUID()
  tutorId: string;

  @IsOptional()
  @IsUUID()
  sessionId?: string;

  @IsOptional()
  @IsUUID()
  feedbackId?: string;

  @IsOptional()
  @IsUUID()
  tutorEventId?: string;
}

/** A coalesced recompute: one job per tutor per one-second bucket. */
export class RecomputeTutorJob {
  @IsUUID()
  tutorId: string;

  /** Unix second whose events this job covers (it runs when the second ends). */
  @IsInt()
  @Min(0)
  bucket: number;
}

/** Scheduled with no payload; a date re-evaluates that day (backfill). */
export class NightlyEvaluationJob {
  /** The UTC day to finalise (YYYY-MM-DD); default yesterday. */
  @IsOptional()
  @IsISO8601({ strict: true })
  snapshotDate?: string;
}
