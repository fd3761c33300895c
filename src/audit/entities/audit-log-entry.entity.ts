import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { AuditActorType, AuditOutcome } from '../audit-actions';

/**
 * One row of the append-only audit log. `seq` is gapless and assigned under an
 * advisory lock; `hash` = sha256(prev_hash + canonical(hashed fields)) (see
 * audit-hash.ts). `ipEnc` and `userAgentEnc` are encrypted and deliberately
 * outside the hash, so erasing a person nulls them without breaking the chain.
 * A trigger (migration AuditLog) refuses any other UPDATE, and DELETE except
 * from a prune.
 */
@Entity('audit_log')
@Index('idx_audit_log_occurred_at', ['occurredAt'])
@Index('idx_audit_log_actor', ['actorId', 'seq'])
@Index('idx_audit_log_action', ['action', 'seq'])
@Index('idx_audit_log_resource', ['resourceType', 'resourceId', 'seq'])
@Index('idx_audit_log_request', ['requestId'])
export class AuditLogEntry {
  /** bigint: TypeORM hands it over as a string. */
  @PrimaryColumn({ type: 'bigint' })
  seq: string;

  @Column({ type: 'timestamptz' })
  occurredAt: Date;

  @Column({ type: 'varchar', length: 20 })
  actorType: AuditActorType;

  /** users.id, an API key id, or null (anonymous, system). */
  @Column({ type: 'varchar', length: 100, nullable: true })
  actorId: string | null;

  @Column({ type: 'varchar', length: 100 })
  action: string;

  @Column({ type: 'varchar', length: 50, nullable: true })
  resourceType: string | null;

  @Column({ type: 'varchar', length: 200, nullable: true })
  resourceId: string | null;

  @Column({ type: 'varchar', length: 100, nullable: true })
  requestId: string | null;

  @Column({ type: 'varchar', length: 10 })
  outcome: AuditOutcome;

  /** Names of the changed fields, never their values. */
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  changedFields: string[];

  /** Ids, counts, status codes; never personal values or secrets. */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  details: Record<string, unknown>;

  @Column({ type: 'char', length: 64 })
  prevHash: string;

  @Column({ type: 'char', length: 64 })
  hash: string;

  /** FieldCipher-encrypted client IP; outside the hash. */
  @Column({ type: 'text', nullable: true })
  ipEnc: string | null;

  /** FieldCipher-encrypted User-Agent; outside the hash. */
  @Column({ type: 'text', nullable: true })
  userAgentEnc: string | null;
}
