import { Column, Entity, Index, JoinColumn, OneToOne, PrimaryColumn } from 'typeorm';
import { Tutor } from '../../tutoring/entities/tutor.entity';
import type { PerformanceTier } from '../performance.constants';

/**
 * Each tutor's current tier, placed by the nightly batch, with the day it
 * began (rules such as "Exemplary for 60+ days" read tierSince). A null tier
 * means not rated: too few sessions in the primary window.
 */
@Entity('tutor_performance_tiers')
@Index('idx_performance_tiers_tier', ['tier', 'tierSince'])
export class TutorPerformanceTier {
  @PrimaryColumn({ type: 'uuid' })
  tutorId: string;

  @OneToOne(() => Tutor, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tutor_id', foreignKeyConstraintName: 'fk_performance_tiers_tutor' })
  tutor?: Tutor;

  @Column({ type: 'varchar', length: 20, nullable: true })
  tier: PerformanceTier | null;

  /** The first day of the current tier (or of being unrated). */
  @Column({ type: 'date' })
  tierSince: string;

  @Column({ type: 'varchar', length: 20, nullable: true })
  previousTier: PerformanceTier | null;

  /** The day of the snapshot the placement used. */
  @Column({ type: 'date' })
  evaluatedFor: string;

  @Column({ type: 'real', nullable: true })
  performanceScore: number | null;

  @Column({ type: 'smallint' })
  greenFlags: number;

  @Column({ type: 'smallint' })
  redFlags: number;

  @Column({ type: 'timestamptz' })
  updatedAt: Date;
}
