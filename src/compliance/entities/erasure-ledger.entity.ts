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

  @Column({ type: 'uuid' })
  subjectUserId: string;

  @Column({ type: 'uuid', nullable: true })
  tutorId: string | null;

  @Column({ type: 'uuid', nullable: true })
  studentId: string | null;

  @Column({ type: 'timestamptz' })
  erasedAt: Date;
}
