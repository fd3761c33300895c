import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Where the chain starts after pruning: the seq and hash of the last pruned
 * row. One row (id 1); absent means nothing was ever pruned (the chain starts
 * at seq 1 with a zero prev_hash).
 */
@Entity('audit_anchor')
export class AuditAnchor {
  @PrimaryColumn({ type: 'smallint' })
  id: number;

  @Column({ type: 'bigint' })
  seq: string;

  @Column({ type: 'char', length: 64 })
  hash: string;

  @Column({ type: 'timestamptz' })
  prunedAt: Date;
}
