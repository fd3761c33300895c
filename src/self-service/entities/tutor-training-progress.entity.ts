import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Tutor } from '../../tutoring/entities/tutor.entity';
import type { TrainingStatus } from '../training-catalogue';

/** A tutor's progress on one training module (no row: not started). */
@Entity('tutor_training_progress')
export class TutorTrainingProgress {
  @PrimaryColumn({ type: 'uuid' })
  tutorId: string;

  @ManyToOne(() => Tutor, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tutor_id', foreignKeyConstraintName: 'fk_training_progress_tutor' })
  tutor?: Tutor;

  /** An id of TRAINING_MODULES. */
  @PrimaryColumn({ type: 'varchar', length: 60 })
  moduleId: string;

  @Column({ type: 'varchar', length: 12 })
  status: TrainingStatus;

  @Column({ type: 'timestamptz', nullable: true })
  startedAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  completedAt: Date | null;

  @Column({ type: 'timestamptz' })
  updatedAt: Date;
}
