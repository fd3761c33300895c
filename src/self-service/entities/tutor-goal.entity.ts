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
import { Tutor } from '../../tutoring/entities/tutor.entity';
import type { GoalType } from '../goals';

/** A goal a tutor set for themselves; progress is computed from their metrics when read. */
@Entity('tutor_goals')
@Index('idx_tutor_goals_tutor_created', ['tutorId', 'createdAt'])
export class TutorGoal {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  tutorId: string;

  @ManyToOne(() => Tutor, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tutor_id', foreignKeyConstraintName: 'fk_tutor_goals_tutor' })
  tutor?: Tutor;

  @Column({ type: 'varchar', length: 30 })
  type: GoalType;

  /** The tutor's own words (required for a custom goal). */
  @Column({ type: 'varchar', length: 120, nullable: true })
  title: string | null;

  /** On the type's scale (rating 1–5, a count, a fraction 0–1, a score 0–100); null for custom. */
  @Column({ type: 'real', nullable: true })
  targetValue: number | null;

  /** The metric when the goal was set (progress runs from here to the target). */
  @Column({ type: 'real', nullable: true })
  baselineValue: number | null;

  @Column({ type: 'date' })
  startsOn: string;

  @Column({ type: 'date' })
  dueOn: string;

  /** Custom goals: when the tutor marked it done. */
  @Column({ type: 'timestamptz', nullable: true })
  completedAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
