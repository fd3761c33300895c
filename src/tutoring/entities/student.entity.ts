import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import type { ParentConsentStatus } from '../tutoring.constants';

/**
 * A student. Age is computed from birth year and month so it never drifts
 * across the COPPA threshold of 13.
 */
@Entity('students')
export class Student {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('uq_students_external_id', { unique: true })
  @Column({ type: 'varchar', length: 100 })
  externalId: string;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Column({ type: 'smallint' })
  birthYear: number;

  @Column({ type: 'smallint' })
  birthMonth: number;

  @Column({ type: 'varchar', length: 50, nullable: true })
  gradeLevel: string | null;

  /** Only for students of 13 and over. */
  @Column({ type: 'varchar', length: 320, nullable: true })
  email: string | null;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  subjectsInterested: string[];

  @Column({ type: 'varchar', length: 320, nullable: true })
  parentEmail: string | null;

  @Column({ type: 'varchar', length: 20, default: 'not_required' })
  parentConsentStatus: ParentConsentStatus;

  @Column({ type: 'timestamptz', nullable: true })
  parentConsentAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
