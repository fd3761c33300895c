import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Tutor } from '../../tutoring/entities/tutor.entity';

/**
 * One event that asked for a tutor's metrics to be recomputed, with the times
 * that measure insight latency: `storedAt` (the record and its outbox event
 * were written) to `metricsUpdatedAt` (the recompute that included it
 * committed) and `riskScoredAt` (the first churn score stored after that, by
 * the database's clock; never, for a tutor who objected to profiling).
 */
@Entity('tutor_metrics_triggers')
@Index('idx_metrics_triggers_pending', ['tutorId'], { where: 'metrics_updated_at IS NULL' })
@Index('idx_metrics_triggers_record', ['recordId'])
@Index('idx_metrics_triggers_stored', ['storedAt'])
@Index('idx_metrics_triggers_unscored', ['tutorId'], {
  where: 'metrics_updated_at IS NOT NULL AND risk_scored_at IS NULL',
})
export class TutorMetricsTrigger {
  /** The outbox event's id. */
  @PrimaryColumn({ type: 'uuid' })
  eventId: string;

  @Column({ type: 'varchar', length: 100 })
  eventType: string;

  @Column({ type: 'uuid' })
  tutorId: string;

  @ManyToOne(() => Tutor, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tutor_id', foreignKeyConstraintName: 'fk_metrics_triggers_tutor' })
  tutor?: Tutor;

  /** The session, feedback or tutor event that was stored. */
  @Column({ type: 'uuid', nullable: true })
  recordId: string | null;

  @Column({ type: 'timestamptz' })
  storedAt: Date;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  receivedAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  metricsUpdatedAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  riskScoredAt: Date | null;
}
