import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { User } from '../../auth/entities/user.entity';

/**
 * Versioned JSON configuration: `rules` (the rule engine) and `sla` (calendar
 * and policies). Saving appends a version; the highest version is in force.
 */
@Entity('intervention_config_versions')
export class InterventionConfigVersion {
  @PrimaryColumn({ type: 'varchar', length: 10 })
  kind: 'rules' | 'sla';

  @PrimaryColumn({ type: 'int' })
  version: number;

  @Column({ type: 'jsonb' })
  document: Record<string, unknown>;

  @Column({ type: 'uuid', nullable: true })
  createdByUserId: string | null;

  @ManyToOne(() => User, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({
    name: 'created_by_user_id',
    foreignKeyConstraintName: 'fk_intervention_config_creator',
  })
  createdBy?: User | null;

  @Column({ type: 'timestamptz' })
  createdAt: Date;
}
