import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { User } from '../../auth/entities/user.entity';
import { Intervention } from './intervention.entity';

/** The notes thread of an intervention. */
@Entity('intervention_notes')
@Index('idx_intervention_notes_intervention', ['interventionId', 'createdAt'])
export class InterventionNote {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  interventionId: string;

  @ManyToOne(() => Intervention, { onDelete: 'CASCADE' })
  @JoinColumn({
    name: 'intervention_id',
    foreignKeyConstraintName: 'fk_intervention_notes_intervention',
  })
  intervention?: Intervention;

  @Column({ type: 'uuid', nullable: true })
  authorUserId: string | null;

  @ManyToOne(() => User, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'author_user_id', foreignKeyConstraintName: 'fk_intervention_notes_author' })
  author?: User | null;

  @Column({ type: 'text' })
  body: string;

  @Column({ type: 'timestamptz' })
  createdAt: Date;
}
