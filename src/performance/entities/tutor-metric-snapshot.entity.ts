import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Tutor } from '../../tutoring/entities/tutor.entity';
import type { PerformanceTier } from '../performance.constants';

/**
 * One tutor's metrics over one window (7, 30 or 90 days before
 * `referenceAt`), one row per (tutor, window, day), upserted: the event-driven
 * recompute keeps today's row fresh, and the nightly batch rewrites the day
 * that just ended with its final values. Rates are fractions 0–1, scores 0–100.
 */
@Entity('tutor_metric_snapshots')
@Index('uq_metric_snapshots_tutor_window_day', ['tutorId', 'windowDays', 'snapshotDate'], {
  unique: true,
})
@Index('idx_metric_snapshots_day_window', ['snapshotDate', 'windowDays'])
export class TutorMetricSnapshot {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  tutorId: string;

  @ManyToOne(() => Tutor, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tutor_id', foreignKeyConstraintName: 'fk_metric_snapshots_tutor' })
  tutor?: Tutor;

  /** 7, 30 or 90. */
  @Column({ type: 'smallint' })
  windowDays: number;

  /** The UTC day whose state this row holds. */
  @Column({ type: 'date' })
  snapshotDate: string;

  /** The window is [referenceAt − windowDays, referenceAt). */
  @Column({ type: 'timestamptz' })
  referenceAt: Date;

  @Column({ type: 'int' })
  sessionsScheduled: number;

  @Column({ type: 'int' })
  sessionsCompleted: number;

  @Column({ type: 'int' })
  noShowCount: number;

  /** No-shows ÷ sessions that took place or were missed. */
  @Column({ type: 'real', nullable: true })
  noShowRate: number | null;

  @Column({ type: 'int' })
  rescheduleCount: number;

  /** Tutor-initiated reschedules ÷ sessions scheduled in the window. */
  @Column({ type: 'real', nullable: true })
  rescheduleRate: number | null;

  @Column({ type: 'int' })
  ratingsCount: number;

  /** 1–5. */
  @Column({ type: 'real', nullable: true })
  avgRating: number | null;

  @Column({ type: 'int' })
  firstSessionsRated: number;

  /** Rated first sessions with a rating of 4 or more ÷ rated first sessions. */
  @Column({ type: 'real', nullable: true })
  firstSessionSuccessRate: number | null;

  @Column({ type: 'real', nullable: true })
  learningObjectivesMetRate: number | null;

  /** Mean session engagement (0–1) of completed sessions. */
  @Column({ type: 'real', nullable: true })
  sessionEngagementMean: number | null;

  /** Completed sessions started at most 10 minutes late ÷ completed sessions. */
  @Column({ type: 'real', nullable: true })
  onTimeRate: number | null;

  @Column({ type: 'int' })
  loginCount: number;

  /** Days (24-hour periods before referenceAt) with at least one completed session. */
  @Column({ type: 'int' })
  teachingDays: number;

  /** min(1, logins ÷ teaching days). */
  @Column({ type: 'real', nullable: true })
  loginRatio: number | null;

  /** 0–100 composite of session engagement, login ratio and on-time rate. */
  @Column({ type: 'real', nullable: true })
  engagementScore: number | null;

  @Column({ type: 'int' })
  responseCount: number;

  @Column({ type: 'real', nullable: true })
  responseTimeAvgMinutes: number | null;

  /** Primary window only: the flag counts and population-ranking score (0–100). */
  @Column({ type: 'smallint', nullable: true })
  greenFlags: number | null;

  @Column({ type: 'smallint', nullable: true })
  redFlags: number | null;

  @Column({ type: 'real', nullable: true })
  performanceScore: number | null;

  /** Primary window, rows finalised by the nightly batch: the tier placed that night. */
  @Column({ type: 'varchar', length: 20, nullable: true })
  performanceTier: PerformanceTier | null;

  @Column({ type: 'timestamptz' })
  computedAt: Date;
}
