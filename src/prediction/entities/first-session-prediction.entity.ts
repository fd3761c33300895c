import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { RiskFactor } from './tutor-risk.entity';

/** The risk that a tutor–student pair's first session goes badly, and what happened. */
@Entity('first_session_predictions')
@Index('idx_first_session_predictions_tutor', ['tutorId'])
@Index('idx_first_session_predictions_pending_outcome', ['scoredAt'], {
  where: 'outcome_success IS NULL',
})
export class FirstSessionPrediction {
  @PrimaryColumn({ type: 'uuid' })
  sessionId: string;

  @Column({ type: 'uuid' })
  tutorId: string;

  @Column({ type: 'uuid' })
  studentId: string;

  @Column({ type: 'timestamptz' })
  scheduledStart: Date;

  /** Probability 0–1 that the first session is not a success (rating < 4 or no-show). */
  @Column({ type: 'real' })
  risk: number;

  @Column({ type: 'jsonb' })
  topFactors: RiskFactor[];

  @Column({ type: 'varchar', length: 80 })
  modelVersion: string;

  @Column({ type: 'timestamptz' })
  scoredAt: Date;

  /** When the preparation email was queued (once per session). */
  @Column({ type: 'timestamptz', nullable: true })
  alertQueuedAt: Date | null;

  @Column({ type: 'boolean', nullable: true })
  outcomeSuccess: boolean | null;

  @Column({ type: 'timestamptz', nullable: true })
  outcomeRecordedAt: Date | null;
}
