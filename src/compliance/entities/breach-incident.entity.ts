import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';

export const BREACH_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type BreachSeverity = (typeof BREACH_SEVERITIES)[number];

/** open: being handled; notified: the supervisory authority was told; closed: done. */
export const BREACH_STATUSES = ['open', 'notified', 'closed'] as const;
export type BreachStatus = (typeof BREACH_STATUSES)[number];

/** What kind of personal data a breach touched (one vocabulary for the form and the API). */
export const BREACH_DATA_CATEGORIES = [
  'names',
  'contact_details',
  'education_records',
  'feedback',
  'performance_metrics',
  'churn_scores',
  'credentials',
  'ip_addresses',
  'children_data',
  'payment',
  'health',
  'other',
] as const;
export type BreachDataCategory = (typeof BREACH_DATA_CATEGORIES)[number];

export const BREACH_SUBJECT_KINDS = ['students', 'parents', 'tutors', 'staff'] as const;
export type BreachSubjectKind = (typeof BREACH_SUBJECT_KINDS)[number];

/**
 * The breach register (GDPR Art. 33(5)): every personal-data breach, its
 * effects and what was done, with the 72-hour deadline for telling the
 * supervisory authority counted from discovery. Ids and counts only: no
 * personal values of the people affected.
 */
@Entity('breach_incidents')
@Index('idx_breach_incidents_discovered', ['discoveredAt'])
export class BreachIncident {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 200 })
  title: string;

  @Column({ type: 'text' })
  description: string;

  @Column({ type: 'timestamptz' })
  discoveredAt: Date;

  @Column({ type: 'integer' })
  affectedRecordCount: number;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  affectedCategories: BreachDataCategory[];

  /** How many people, when known. */
  @Column({ type: 'integer', nullable: true })
  affectedSubjectCount: number | null;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  affectedSubjectKinds: BreachSubjectKind[];

  @Column({ type: 'varchar', length: 10 })
  severity: BreachSeverity;

  @Column({ type: 'varchar', length: 10, default: 'open' })
  status: BreachStatus;

  /** When the supervisory authority was notified (Art. 33). */
  @Column({ type: 'timestamptz', nullable: true })
  authorityNotifiedAt: Date | null;

  /** When the people affected were told (Art. 34). */
  @Column({ type: 'timestamptz', nullable: true })
  subjectsNotifiedAt: Date | null;

  /** Containment and remedial measures. */
  @Column({ type: 'text', nullable: true })
  actionsTaken: string | null;

  @Column({ type: 'uuid', nullable: true })
  recordedByUserId: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
