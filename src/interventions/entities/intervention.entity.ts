import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { User } from '../../auth/entities/user.entity';
import { Tutor } from '../../tutoring/entities/tutor.entity';
import type {
  DeliveryStatus,
  InterventionKind,
  InterventionOutcome,
  InterventionStatus,
  InterventionType,
  Priority,
} from '../intervention.constants';

/**
 * One intervention for a tutor. The status history (intervention_transitions)
 * is the truth; the SLA columns are derived from it and the policy, stored so
 * that lists sort and count on indexed columns, and recomputed on every change.
 */
@Entity('interventions')
@Index('uq_interventions_open_type', ['tutorId', 'type'], {
  unique: true,
  where: `status IN ('open', 'assigned', 'in_progress', 'waiting')`,
})
@Index('idx_interventions_queue', ['slaSortAt', 'id'])
@Index('idx_interventions_status_queue', ['status', 'slaSortAt', 'id'])
@Index('idx_interventions_assignee_queue', ['assigneeUserId', 'slaSortAt', 'id'])
@Index('idx_interventions_tutor_created', ['tutorId', 'createdAt'])
@Index('idx_interventions_sla_check', ['nextSlaCheckAt'], {
  where: 'next_sla_check_at IS NOT NULL',
})
@Index('idx_interventions_resolved', ['resolvedAt'])
/** The queue's counters read open interventions from this index alone (index-only scan). */
@Index(
  'idx_interventions_open_counters',
  ['slaSortAt', 'slaAtRiskAt', 'slaPaused', 'assigneeUserId'],
  {
    where: `status IN ('open', 'assigned', 'in_progress', 'waiting')`,
  },
)
export class Intervention {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  tutorId: string;

  @ManyToOne(() => Tutor, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tutor_id', foreignKeyConstraintName: 'fk_interventions_tutor' })
  tutor?: Tutor;

  @Column({ type: 'varchar', length: 40 })
  type: InterventionType;

  @Column({ type: 'varchar', length: 10 })
  kind: InterventionKind;

  @Column({ type: 'varchar', length: 10 })
  priority: Priority;

  /** 0 critical … 3 low, for sorting. */
  @Column({ type: 'smallint' })
  priorityRank: number;

  @Column({ type: 'varchar', length: 20 })
  status: InterventionStatus;

  /** The rule that created it; null for a manual one. */
  @Column({ type: 'varchar', length: 60, nullable: true })
  ruleId: string | null;

  /** The person who created a manual one; null when a rule did. */
  @Column({ type: 'uuid', nullable: true })
  createdByUserId: string | null;

  @ManyToOne(() => User, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'created_by_user_id', foreignKeyConstraintName: 'fk_interventions_creator' })
  createdBy?: User | null;

  @Column({ type: 'text' })
  reason: string;

  /** The metrics that fired the rule, as they were (refreshed while open). */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  evidence: Record<string, unknown>;

  @Column({ type: 'uuid', nullable: true })
  assigneeUserId: string | null;

  @ManyToOne(() => User, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'assignee_user_id', foreignKeyConstraintName: 'fk_interventions_assignee' })
  assignee?: User | null;

  @Column({ type: 'varchar', length: 20, nullable: true })
  outcome: InterventionOutcome | null;

  @Column({ type: 'text', nullable: true })
  cancelReason: string | null;

  /** Automated types: the email to the tutor. */
  @Column({ type: 'varchar', length: 10, nullable: true })
  deliveryStatus: DeliveryStatus | null;

  @Column({ type: 'text', nullable: true })
  deliveryError: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;

  /** When it was completed or cancelled. */
  @Column({ type: 'timestamptz', nullable: true })
  resolvedAt: Date | null;

  /** The policy version the SLA columns were computed with. */
  @Column({ type: 'int' })
  slaPolicyVersion: number;

  @Column({ type: 'timestamptz' })
  firstActionDueAt: Date;

  @Column({ type: 'timestamptz' })
  firstActionAtRiskAt: Date;

  @Column({
    type: 'bigint',
    default: 0,
    transformer: { to: (v: number) => v, from: (v: string) => Number(v) },
  })
  firstActionPausedMs: number;

  @Column({ type: 'timestamptz', nullable: true })
  firstActionMetAt: Date | null;

  @Column({ type: 'timestamptz' })
  resolutionDueAt: Date;

  @Column({ type: 'timestamptz' })
  resolutionAtRiskAt: Date;

  @Column({
    type: 'bigint',
    default: 0,
    transformer: { to: (v: number) => v, from: (v: string) => Number(v) },
  })
  resolutionPausedMs: number;

  @Column({ type: 'timestamptz', nullable: true })
  resolutionMetAt: Date | null;

  /** Waiting on the tutor: the clocks are stopped. */
  @Column({ type: 'boolean', default: false })
  slaPaused: boolean;

  /** The next deadline of an unmet target (9999-12-31 once resolved): the queue's default order. */
  @Column({ type: 'timestamptz' })
  slaSortAt: Date;

  /** The at-risk time that goes with slaSortAt (null once resolved). */
  @Column({ type: 'timestamptz', nullable: true })
  slaAtRiskAt: Date | null;

  /** When the next SLA notice falls due (null: none pending, paused or resolved). */
  @Column({ type: 'timestamptz', nullable: true })
  nextSlaCheckAt: Date | null;
}
