import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/** Whether the sweep may act (not only report) for a retention class; set by an admin. */
@Entity('retention_settings')
export class RetentionSetting {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  classKey: string;

  @Column({ type: 'boolean', default: false })
  actingEnabled: boolean;

  @Column({ type: 'uuid', nullable: true })
  updatedByUserId: string | null;

  @Column({ type: 'timestamptz' })
  updatedAt: Date;
}

/** One sweep: what was due per class (dry run) and what was done. */
@Entity('retention_runs')
export class RetentionRun {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'timestamptz' })
  ranAt: Date;

  @Column({ type: 'jsonb' })
  due: Record<string, number>;

  @Column({ type: 'jsonb' })
  acted: Record<string, number>;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
