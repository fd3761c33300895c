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
import { Student } from '../../tutoring/entities/student.entity';
import { Tutor } from '../../tutoring/entities/tutor.entity';

export const ROLES = ['admin', 'operations_manager', 'people_ops', 'tutor', 'student'] as const;
export type Role = (typeof ROLES)[number];

/** A person who signs in: staff, tutors and students. */
@Entity('users')
export class User {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** Stored lower-case; unique case-insensitively. */
  @Index('uq_users_email', { unique: true })
  @Column({ type: 'varchar', length: 320 })
  email: string;

  @Column({ type: 'varchar', length: 200 })
  fullName: string;

  @Column({ type: 'varchar', length: 30, array: true, default: () => "'{}'" })
  roles: Role[];

  @Column({ type: 'boolean', default: true })
  isActive: boolean;

  /** argon2id; null until the user sets a password (invited or SSO-only users). */
  @Column({ type: 'text', nullable: true, select: false })
  passwordHash: string | null;

  /** Bumped to end every session at once (deactivation, role change, password change). */
  @Column({ type: 'int', default: 0 })
  sessionVersion: number;

  @Index('uq_users_tutor', { unique: true, where: 'tutor_id IS NOT NULL' })
  @Column({ type: 'uuid', nullable: true })
  tutorId: string | null;

  @ManyToOne(() => Tutor, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'tutor_id', foreignKeyConstraintName: 'fk_users_tutor' })
  tutor?: Tutor | null;

  @Index('uq_users_student', { unique: true, where: 'student_id IS NOT NULL' })
  @Column({ type: 'uuid', nullable: true })
  studentId: string | null;

  @ManyToOne(() => Student, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'student_id', foreignKeyConstraintName: 'fk_users_student' })
  student?: Student | null;

  @Column({ type: 'timestamptz', nullable: true })
  lastLoginAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  passwordChangedAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
