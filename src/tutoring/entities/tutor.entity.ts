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
import { User } from '../../auth/entities/user.entity';
import type { BehavioralArchetype, TutorStatus } from '../tutoring.constants';

@Entity('tutors')
@Index('idx_tutors_status_created', ['status', 'createdAt'])
@Index('idx_tutors_onboarding_status', ['onboardingDate', 'status'])
export class Tutor {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('uq_tutors_external_id', { unique: true })
  @Column({ type: 'varchar', length: 100 })
  externalId: string;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Index('uq_tutors_email', { unique: true })
  @Column({ type: 'varchar', length: 320 })
  email: string;

  @Column({ type: 'date' })
  onboardingDate: string;

  @Column({ type: 'varchar', length: 20, default: 'active' })
  status: TutorStatus;

  @Column({ type: 'text', array: true })
  subjects: string[];

  @Column({ type: 'varchar', length: 100, nullable: true })
  educationLevel: string | null;

  @Column({ type: 'varchar', length: 200, nullable: true })
  location: string | null;

  @Column({ type: 'real', nullable: true })
  baselineSessionsPerWeek: number | null;

  /** Synthetic-only label; never a model feature. */
  @Column({ type: 'varchar', length: 30, nullable: true })
  behavioralArchetype: BehavioralArchetype | null;

  /**
   * GDPR objection to profiling (set through the compliance module's requests): a tutor who
   * objected is not churn-scored and has no stored risk.
   */
  @Column({ type: 'boolean', default: false })
  profilingObjection: boolean;

  @Index('idx_tutors_manager')
  @Column({ type: 'uuid', nullable: true })
  managerUserId: string | null;

  @ManyToOne(() => User, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'manager_user_id', foreignKeyConstraintName: 'fk_tutors_manager' })
  manager?: User | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
