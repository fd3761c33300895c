import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * Every erasure, append-only (trigger), ids only: replayed after a restore
 * from backup (src/cli/erasure-replay.ts) so erased people stay erased.
 */
@Entity('erasure_ledger')
export class ErasureLedgerEntry {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  seq: string;

  @Column({ type: 'uuid', nullable: true })
  requestId: string | null;

  /** The erased user; null for a child erased at a parent's request (no account). */
  @Column({ type: 'uuid', nullable: true })
  subjectUserId: string | null;

  @Column({ type: 'uuid', nullable: true })
  tutorId: string | null;

  @Column({ type: 'uuid', nullable: true })
  studentId: string | null;

  @Column({ type: 'timestamptz' })
  erasedAt: Date;
}
