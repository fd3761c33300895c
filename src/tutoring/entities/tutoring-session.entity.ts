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
import type { SessionStatus, SessionType } from '../tutoring.constants';
import { Student } from './student.entity';
import { Tutor } from './tutor.entity';

/**
 * One tutoring session. `sessionNumber` is the position of the session in its
 * tutor–student pair's history (1 = first session), computed by the server.
 */
@Entity('sessions')
@Index('idx_sessions_tutor_start', ['tutorId', 'scheduledStart'])
@Index('idx_sessions_student_start', ['studentId', 'scheduledStart'])
@Index('idx_sessions_pair', ['tutorId', 'studentId', 'scheduledStart'])
@Index('idx_sessions_completed', ['tutorId', 'scheduledStart'], { where: "status = 'completed'" })
@Index('idx_sessions_first', ['tutorId', 'scheduledStart'], { where: 'session_number = 1' })
export class TutoringSession {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('uq_sessions_external_id', { unique: true })
  @Column({ type: 'varchar', length: 100 })
  externalId: string;

  @Column({ type: 'uuid' })
  tutorId: string;

  @ManyToOne(() => Tutor, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tutor_id', foreignKeyConstraintName: 'fk_sessions_tutor' })
  tutor?: Tutor;

  @Column({ type: 'uuid' })
  studentId: string;

  @ManyToOne(() => Student, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'student_id', foreignKeyConstraintName: 'fk_sessions_student' })
  student?: Student;

  @Column({ type: 'int' })
  sessionNumber: number;

  @Column({ type: 'timestamptz' })
  scheduledStart: Date;

  @Column({ type: 'timestamptz', nullable: true })
  actualStart: Date | null;

  /** Planned length. */
  @Column({ type: 'smallint' })
  durationMinutes: number;

  @Column({ type: 'varchar', length: 100 })
  subject: string;

  @Column({ type: 'varchar', length: 20, default: '1-on-1' })
  sessionType: SessionType;

  @Column({ type: 'varchar', length: 20 })
  status: SessionStatus;

  @Column({ type: 'boolean', default: false })
  tutorInitiatedReschedule: boolean;

  @Column({ type: 'smallint', default: 0 })
  lateStartMinutes: number;

  /** Fraction 0–1. */
  @Column({ type: 'real', nullable: true })
  engagementScore: number | null;

  @Column({ type: 'boolean', nullable: true })
  learningObjectivesMet: boolean | null;

  @Column({ type: 'boolean', default: false })
  technicalIssues: boolean;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
