import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { User } from '../../auth/entities/user.entity';
import { Tutor } from '../../tutoring/entities/tutor.entity';

export const ACKNOWLEDGEABLE = ['message', 'support'] as const;
/** A coaching email (notification_messages) or scheduled support (a coaching/mentoring intervention). */
export type AcknowledgeableKind = (typeof ACKNOWLEDGEABLE)[number];

/** The tutor said they saw something addressed to them. */
@Entity('tutor_acknowledgements')
export class TutorAcknowledgement {
  @PrimaryColumn({ type: 'uuid' })
  tutorId: string;

  @ManyToOne(() => Tutor, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tutor_id', foreignKeyConstraintName: 'fk_acknowledgements_tutor' })
  tutor?: Tutor;

  @PrimaryColumn({ type: 'varchar', length: 12 })
  subjectKind: AcknowledgeableKind;

  /** notification_messages.id or interventions.id. */
  @PrimaryColumn({ type: 'uuid' })
  subjectId: string;

  @Column({ type: 'timestamptz' })
  acknowledgedAt: Date;

  @Column({ type: 'uuid', nullable: true })
  userId: string | null;

  @ManyToOne(() => User, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_acknowledgements_user' })
  user?: User | null;
}
