import {
  IsISO8601,
  IsNumber,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { EventJobPayload } from '../../workers/domain-event.dto';

/**
 * The `tutor.risk-scored` event contract (emitted by the prediction module):
 * `{ tutorId, churnScore, scoredAt }`, churnScore 0–100.
 */
export class RiskScoredJob extends EventJobPayload {
  @IsUUID()
  tutorId: string;

  @IsNumber()
  @Min(0)
  @Max(100)
  churnScore: number;

  @IsISO8601({ strict: true })
  scoredAt: string;
}

/** `tutor.metrics-updated`, as the rule engine sees it. */
export class MetricsUpdatedJob extends EventJobPayload {
  @IsUUID()
  tutorId: string;
}

export class InterventionJob {
  @IsUUID()
  interventionId: string;
}

/** Scheduled with no payload. */
export class NightlyRulesJob {
  @IsOptional()
  @IsISO8601({ strict: true })
  asOf?: string;
}

export class SlaSweepJob {}

/** `intervention.assigned`: someone else assigned the intervention to this user. */
export class InterventionAssignedJob extends EventJobPayload {
  @IsUUID()
  interventionId: string;

  @IsUUID()
  assigneeId: string;
}

/** `notification.outcome` (notifications module): a message's final status. */
export class MessageOutcomeJob extends EventJobPayload {
  @IsUUID()
  messageId: string;

  @IsString()
  @MaxLength(60)
  workflow: string;

  @IsString()
  @MaxLength(200)
  entityKey: string;

  @IsString()
  @MaxLength(12)
  status: string;
}
