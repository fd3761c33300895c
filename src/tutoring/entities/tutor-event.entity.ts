import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
} from 'typeorm';
import type { TutorEventType } from '../tutoring.constants';
import { Tutor } from './tutor.entity';

/** The tutor behaviour stream: logins, message responses, availability, training, resignation. */
@Entity('tutor_events')
@Index('idx_tutor_events_tutor_time', ['tutorId', 'occurredAt'])
@Index('idx_tutor_events_type_time', ['eventType', 'occurredAt'])
export class TutorEvent {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('uq_tutor_events_external_id', { unique: true })
  @Column({ type: 'varchar', length: 100 })
  externalId: string;

  @Column({ type: 'uuid' })
  tutorId: string;

  @ManyToOne(() => Tutor, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tutor_id', foreignKeyConstraintName: 'fk_tutor_events_tutor' })
  tutor?: Tutor;

  @Column({ type: 'varchar', length: 40 })
  eventType: TutorEventType;

  @Column({ type: 'timestamptz' })
  occurredAt: Date;

  /** message_response only: minutes the tutor took to answer. */
  @Column({ type: 'real', nullable: true })
  responseMinutes: number | null;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  metadata: Record<string, unknown>;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
