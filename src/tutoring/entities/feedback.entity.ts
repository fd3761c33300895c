import {
  BeforeInsert,
  BeforeUpdate,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { encrypted, registeredFieldCipher } from '../../database/encrypted-column';
import { feedbackTextHash } from '../personal-data';
import type { ImprovementArea, WorkAgainAnswer } from '../tutoring.constants';
import { Student } from './student.entity';
import { Tutor } from './tutor.entity';
import { TutoringSession } from './tutoring-session.entity';

/**
 * A student's feedback on one session (at most one per session). The comment
 * is encrypted at rest (see ../personal-data.ts); the entity holds plaintext.
 */
@Entity('student_feedback')
@Index('idx_feedback_tutor_submitted', ['tutorId', 'submittedAt'])
@Index('idx_feedback_low_rating', ['overallRating', 'submittedAt'], {
  where: 'overall_rating <= 3',
})
export class Feedback {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('uq_feedback_external_id', { unique: true })
  @Column({ type: 'varchar', length: 100 })
  externalId: string;

  @Index('uq_feedback_session', { unique: true })
  @Column({ type: 'uuid' })
  sessionId: string;

  @ManyToOne(() => TutoringSession, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'session_id', foreignKeyConstraintName: 'fk_feedback_session' })
  session?: TutoringSession;

  @Index('idx_feedback_student')
  @Column({ type: 'uuid' })
  studentId: string;

  @ManyToOne(() => Student, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'student_id', foreignKeyConstraintName: 'fk_feedback_student' })
  student?: Student;

  @Column({ type: 'uuid' })
  tutorId: string;

  @ManyToOne(() => Tutor, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tutor_id', foreignKeyConstraintName: 'fk_feedback_tutor' })
  tutor?: Tutor;

  @Column({ type: 'smallint' })
  overallRating: number;

  @Column({ type: 'smallint', nullable: true })
  subjectKnowledgeRating: number | null;

  @Column({ type: 'smallint', nullable: true })
  communicationRating: number | null;

  @Column({ type: 'smallint', nullable: true })
  patienceRating: number | null;

  @Column({ type: 'smallint', nullable: true })
  engagementRating: number | null;

  @Column({ type: 'smallint', nullable: true })
  helpfulnessRating: number | null;

  @Column({ type: 'boolean', nullable: true })
  wouldRecommend: boolean | null;

  /** First sessions: "Would you want to work with this tutor again?" */
  @Column({ type: 'varchar', length: 20, nullable: true })
  workAgain: WorkAgainAnswer | null;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  improvementAreas: ImprovementArea[];

  @Column({ type: 'text', nullable: true, transformer: encrypted })
  freeText: string | null;

  /** Keyed hash of the comment, so a bulk upsert sees an unchanged one; never selected. */
  @Column({ type: 'varchar', length: 64, nullable: true, select: false })
  freeTextHash?: string | null;

  @Column({ type: 'timestamptz' })
  submittedAt: Date;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;

  @BeforeInsert()
  @BeforeUpdate()
  protected hashPersonalData(): void {
    if (this.freeText === undefined) return;
    this.freeTextHash =
      this.freeText === null ? null : feedbackTextHash(registeredFieldCipher(), this.freeText);
  }
}
