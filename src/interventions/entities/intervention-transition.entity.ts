import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { User } from '../../auth/entities/user.entity';
import type { InterventionStatus } from '../intervention.constants';
import { Intervention } from './intervention.entity';

/** The history: every status change (and reassignment), who made it, when, with a note. */
@Entity('intervention_transitions')
@Index('idx_intervention_transitions_intervention', ['interventionId', 'at'])
export class InterventionTransition {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  interventionId: string;

  @ManyToOne(() => Intervention, { onDelete: 'CASCADE' })
  @JoinColumn({
    name: 'intervention_id',
    foreignKeyConstraintName: 'fk_intervention_transitions_intervention',
  })
  intervention?: Intervention;

  /** Null for the creation. */
  @Column({ type: 'varchar', length: 20, nullable: true })
  fromStatus: InterventionStatus | null;

  @Column({ type: 'varchar', length: 20 })
  toStatus: InterventionStatus;

  /** Null when the system made the change. */
  @Column({ type: 'uuid', nullable: true })
  actorUserId: string | null;

  @ManyToOne(() => User, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({
    name: 'actor_user_id',
    foreignKeyConstraintName: 'fk_intervention_transitions_actor',
  })
  actor?: User | null;

  @Column({ type: 'text', nullable: true })
  note: string | null;

  @Column({ type: 'timestamptz' })
  at: Date;
}
