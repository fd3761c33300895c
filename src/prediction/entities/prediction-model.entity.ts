import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type ModelKind = 'churn' | 'first_session';
export type ModelStatus = 'candidate' | 'active' | 'retired';

/**
 * The model registry: every trained model with its metrics and serialised artifact.
 * Every process reads the active model from here; nothing lives on a local disk.
 */
@Entity('prediction_models')
@Index('uq_prediction_models_active', ['kind', 'windowDays'], {
  unique: true,
  where: `status = 'active'`,
})
@Index('idx_prediction_models_kind_created', ['kind', 'createdAt'])
export class PredictionModel {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('uq_prediction_models_version', { unique: true })
  @Column({ type: 'varchar', length: 80 })
  version: string;

  @Column({ type: 'varchar', length: 20 })
  kind: ModelKind;

  /** Churn horizon in days (1, 7, 30, 90); 0 for the first-session model. */
  @Column({ type: 'int' })
  windowDays: number;

  @Column({ type: 'varchar', length: 12 })
  status: ModelStatus;

  @Column({ type: 'varchar', length: 60 })
  algorithm: string;

  @Column({ type: 'text', array: true })
  features: string[];

  @Column({ type: 'date' })
  trainedFrom: string;

  @Column({ type: 'date' })
  trainedTo: string;

  /** AUC, top-decile precision, Brier, calibration per split; counts; training time. */
  @Column({ type: 'jsonb' })
  metrics: Record<string, unknown>;

  /** The serialised model (weights, scaler). */
  @Column({ type: 'jsonb' })
  artifact: Record<string, unknown>;

  @Column({ type: 'uuid', nullable: true })
  trainingRunId: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  promotedAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  retiredAt: Date | null;
}
