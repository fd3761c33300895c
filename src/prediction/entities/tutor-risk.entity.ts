import { Column, Entity, Index, JoinColumn, OneToOne, PrimaryColumn } from 'typeorm';
import { Tutor } from '../../tutoring/entities/tutor.entity';
import type { RiskBand } from '../risk-bands';

/** One factor of one tutor's score: how much it pushed this tutor's risk up (or down). */
export interface RiskFactor {
  feature: string;
  label: string;
  value: number | null;
  /** Contribution in score points (weighted score) or log-odds (model). Positive raises risk. */
  contribution: number;
}

/**
 * A tutor's current churn risk: the latest score and, when an operations manager set one,
 * the override that wins until it expires. `churnScore`/`band` are the effective values
 * (override if live, else the scored ones), so lists sort and filter on indexed columns.
 */
@Entity('tutor_risk')
@Index('idx_tutor_risk_band_score', ['band', 'churnScore'])
@Index('idx_tutor_risk_score', ['churnScore'])
export class TutorRisk {
  @PrimaryColumn({ type: 'uuid' })
  tutorId: string;

  @OneToOne(() => Tutor, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tutor_id', foreignKeyConstraintName: 'fk_tutor_risk_tutor' })
  tutor?: Tutor;

  /** Effective score 0–100 (override while live). */
  @Column({ type: 'real' })
  churnScore: number;

  @Column({ type: 'varchar', length: 10 })
  band: RiskBand;

  /** The score the model (or the weighted fallback) gave. */
  @Column({ type: 'real' })
  scoredScore: number;

  /** Probability of churning within 1, 7, 30 and 90 days (null where no model is active). */
  @Column({ type: 'jsonb' })
  probabilities: Record<string, number | null>;

  @Column({ type: 'jsonb' })
  topFactors: RiskFactor[];

  /** `weighted-v1` for the PRD fallback, else the registry's model version. */
  @Column({ type: 'varchar', length: 80 })
  modelVersion: string;

  @Column({ type: 'date' })
  asOf: string;

  @Column({ type: 'timestamptz' })
  scoredAt: Date;

  @Column({ type: 'real', nullable: true })
  overrideScore: number | null;

  @Column({ type: 'text', nullable: true })
  overrideReason: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  overrideExpiresAt: Date | null;

  @Column({ type: 'uuid', nullable: true })
  overrideByUserId: string | null;
}
