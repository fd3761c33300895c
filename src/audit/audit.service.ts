import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Request } from 'express';
import { DataSource, EntityManager } from 'typeorm';
import { FieldCipher } from '../security/field-cipher';
import type { AuditOutcome } from './audit-actions';
import {
  appendAuditRow,
  AuditVerification,
  ChainLink,
  pruneAuditRows,
  PruneResult,
  verifyAuditChain,
} from './audit-chain';
import { AuditActor, auditContextOf, AuditRequestContext } from './audit-request';

/** One audit event, as modules record it. Never put personal values or secrets in it. */
export interface AuditEntry {
  /** From AUDIT_ACTIONS (audit-actions.ts), `<area>.<verb>`. */
  action: string;
  outcome: AuditOutcome;
  actor: AuditActor;
  resourceType?: string | null;
  resourceId?: string | null;
  requestId?: string | null;
  /** Names of changed fields, never their values. */
  changedFields?: readonly string[];
  /** Ids, counts, codes; never personal values or secrets. */
  details?: Record<string, unknown>;
  /** Stored encrypted, outside the hash. */
  ip?: string | null;
  userAgent?: string | null;
}

const ACTION = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/;
const LIMITS = { actorId: 100, resourceType: 50, resourceId: 200, requestId: 100 } as const;

const clip = (value: string | null | undefined, max: number): string | null =>
  value === null || value === undefined ? null : value.slice(0, max);

/**
 * The audit log's API for every module: `record` appends a row to the hash
 * chain (inside the caller's transaction when given its manager), `prune`
 * applies retention, `verify` checks the chain, `eraseClientData` forgets a
 * person's IPs and user agents without touching the chain.
 */
@Injectable()
export class AuditService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly cipher: FieldCipher,
  ) {}

  /** Actor, request id, IP and user agent of a request, to spread into an entry. */
  contextOf(req: Request): AuditRequestContext {
    return auditContextOf(req);
  }

  /**
   * Appends one row. With `manager` (inside a transaction), the row commits or
   * rolls back with the caller's change; call it last in that transaction, as
   * it holds the audit lock until commit. Without, it runs in a transaction of
   * its own.
   */
  async record(entry: AuditEntry, manager?: EntityManager): Promise<ChainLink> {
    if (!ACTION.test(entry.action)) {
      throw new Error(`audit action "${entry.action}" is not <area>.<verb> in snake_case`);
    }
    const row = {
      actorType: entry.actor.type,
      actorId: clip(entry.actor.id, LIMITS.actorId),
      action: entry.action,
      resourceType: clip(entry.resourceType, LIMITS.resourceType),
      resourceId: clip(entry.resourceId, LIMITS.resourceId),
      requestId: clip(entry.requestId, LIMITS.requestId),
      outcome: entry.outcome,
      changedFields: [...new Set(entry.changedFields ?? [])],
      details: entry.details ?? {},
      ipEnc: this.cipher.encryptNullable(entry.ip),
      userAgentEnc: this.cipher.encryptNullable(entry.userAgent),
    };
    if (manager?.queryRunner?.isTransactionActive) return appendAuditRow(manager, row);
    return this.dataSource.transaction((m) => appendAuditRow(m, row));
  }

  /** Deletes rows that occurred before `before`, keeping the last one's hash as the anchor. */
  prune(before: Date): Promise<PruneResult> {
    return this.dataSource.transaction((m) => pruneAuditRows(m, before));
  }

  /** Walks the chain from the anchor; reports the first edited or removed row. */
  verify(): Promise<AuditVerification> {
    return verifyAuditChain(this.dataSource);
  }

  /**
   * Erasure: forgets the IP and user agent of every row a person acted in.
   * They are outside the hash, so the chain still verifies. Returns the rows touched.
   */
  async eraseClientData(actorId: string, manager?: EntityManager): Promise<number> {
    const [, count] = (await (manager ?? this.dataSource.manager).query(
      `UPDATE audit_log SET ip_enc = NULL, user_agent_enc = NULL
        WHERE actor_id = $1 AND (ip_enc IS NOT NULL OR user_agent_enc IS NOT NULL)`,
      [actorId],
    )) as [unknown, number];
    return count;
  }
}
