import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type TrainingRunStatus = 'queued' | 'running' | 'completed' | 'failed';

/** One training run (weekly or on demand), with the progress the admin page shows. */
@Entity('training_runs')
@Index('idx_training_runs_created', ['createdAt'])
export class TrainingRun {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 12 })
  status: TrainingRunStatus;

  /** schedule or the requesting user's id. */
  @Column({ type: 'varchar', length: 60 })
  trigger: string;

  @Column({ type: 'varchar', length: 200, default: '' })
  stage: string;

  /** 0–100. */
  @Column({ type: 'int', default: 0 })
  progress: number;

  @Column({ type: 'timestamptz', nullable: true })
  startedAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  finishedAt: Date | null;

  @Column({ type: 'real', nullable: true })
  peakRssMb: number | null;

  @Column({ type: 'jsonb', nullable: true })
  result: Record<string, unknown> | null;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
