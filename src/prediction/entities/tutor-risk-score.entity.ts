import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { RiskBand } from '../risk-bands';
import type { RiskFactor } from './tutor-risk.entity';

/** Every score ever given to a tutor (history for charts and the GDPR archive). */
@Entity('tutor_risk_scores')
@Index('idx_tutor_risk_scores_tutor_scored', ['tutorId', 'scoredAt'])
export class TutorRiskScore {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'uuid' })
  tutorId: string;

  @Column({ type: 'date' })
  asOf: string;

  @Column({ type: 'real' })
  churnScore: number;

  @Column({ type: 'varchar', length: 10 })
  band: RiskBand;

  @Column({ type: 'jsonb' })
  probabilities: Record<string, number | null>;

  @Column({ type: 'jsonb' })
  topFactors: RiskFactor[];

  @Column({ type: 'varchar', length: 80 })
  modelVersion: string;

  @Column({ type: 'timestamptz' })
  scoredAt: Date;
}
