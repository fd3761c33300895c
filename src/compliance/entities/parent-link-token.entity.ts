import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** Emailed single-use links for parents (no accounts): consent, then manage. Stored hashed. */
@Entity('parent_link_tokens')
@Index('idx_parent_link_tokens_student', ['studentId'])
export class ParentLinkToken {
  /** SHA-256 of the token. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  tokenHash: string;

  @Column({ type: 'uuid' })
  studentId: string;

  /** consent: give consent; manage: review, download, revoke, ask for deletion. */
  @Column({ type: 'varchar', length: 20 })
  purpose: 'consent' | 'manage';

  /** Blind index of the parent address the link was emailed to (one automatic request per address). */
  @Column({ type: 'varchar', length: 64, nullable: true })
  sentToIndex: string | null;

  @Column({ type: 'timestamptz' })
  expiresAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  usedAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
