import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';

export const GDPR_REQUEST_KINDS = [
  'access',
  'portability',
  'erasure',
  'rectification',
  'restriction',
  'objection',
] as const;
export type GdprRequestKind = (typeof GDPR_REQUEST_KINDS)[number];

export const GDPR_REQUEST_STATUSES = ['received', 'completed', 'refused'] as const;
export type GdprRequestStatus = (typeof GDPR_REQUEST_STATUSES)[number];

/**
 * A data subject's request (GDPR Art. 15–21), tracked from receipt to answer:
 * due 30 calendar days after receipt, extendable once with a reason.
 */
@Entity('gdpr_requests')
@Index('idx_gdpr_requests_status_due', ['status', 'dueAt'])
@Index('idx_gdpr_requests_subject', ['subjectUserId', 'receivedAt'])
export class GdprRequest {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** users.id of the data subject (the account that asked, or was named by an admin). */
  @Column({ type: 'uuid' })
  subjectUserId: string;

  @Column({ type: 'varchar', length: 20 })
  kind: GdprRequestKind;

  @Column({ type: 'varchar', length: 20, default: 'received' })
  status: GdprRequestStatus;

  /** Objection: `profiling` or `processing`; rectification: { field: value } (whitelisted fields). */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  details: Record<string, unknown>;

  @Column({ type: 'timestamptz' })
  receivedAt: Date;

  @Column({ type: 'timestamptz' })
  dueAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  extendedAt: Date | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  extensionReason: string | null;

  /** Why it was refused, or what was done. */
  @Column({ type: 'varchar', length: 1000, nullable: true })
  resolution: string | null;

  @Column({ type: 'uuid', nullable: true })
  handledByUserId: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  completedAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
