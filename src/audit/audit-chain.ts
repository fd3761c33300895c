import { DataSource, EntityManager } from 'typeorm';
import type { AuditActorType, AuditOutcome } from './audit-actions';
import { AUDIT_ACTIONS } from './audit-actions';
import {
  auditHash,
  canonicalTimeSql,
  GENESIS_HASH,
  HashedFields,
  storableDetails,
  storableText,
} from './audit-hash';

/**
 * The hash chain itself, on plain TypeORM managers so the CLI can use it
 * without booting Nest. AuditService wraps it for the app.
 */

/** Fixed advisory-lock key every appender and pruner takes (not the migration key). */
export const AUDIT_LOCK_KEY = 7_305_194_412;

/** The setting the audit_log/audit_anchor triggers require before a DELETE or an anchor write. */
const PRUNE_SETTING = 'tutormax.audit_prune';

/** Selects seq as text: order by `audit_log.seq`, never the text alias. */
const SELECT_HASHED = `seq::text AS seq, ${canonicalTimeSql('occurred_at')} AS occurred_at,
  actor_type, actor_id, action, resource_type, resource_id, request_id, outcome,
  changed_fields, details, prev_hash, hash`;

export interface AuditRowInput {
  actorType: AuditActorType;
  actorId: string | null;
  action: string;
  resourceType: string | null;
  resourceId: string | null;
  requestId: string | null;
  outcome: AuditOutcome;
  changedFields: string[];
  details: Record<string, unknown>;
  /** Already encrypted (FieldCipher); outside the hash. */
  ipEnc: string | null;
  userAgentEnc: string | null;
}

export interface ChainLink {
  seq: string;
  hash: string;
}

interface HashedRow {
  seq: string;
  occurred_at: string;
  actor_type: string;
  actor_id: string | null;
  action: string;
  resource_type: string | null;
  resource_id: string | null;
  request_id: string | null;
  outcome: string;
  changed_fields: string[];
  details: unknown;
  prev_hash: string;
  hash: string;
}

function hashedFieldsOf(row: HashedRow): HashedFields {
  return {
    seq: row.seq,
    occurredAt: row.occurred_at,
    actorType: row.actor_type,
    actorId: row.actor_id,
    action: row.action,
    resourceType: row.resource_type,
    resourceId: row.resource_id,
    requestId: row.request_id,
    outcome: row.outcome,
    changedFields: row.changed_fields,
    details: row.details,
  };
}

async function lockChain(manager: EntityManager): Promise<void> {
  await manager.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_LOCK_KEY]);
}

async function readAnchor(manager: EntityManager): Promise<ChainLink> {
  const [anchor] = (await manager.query(
    'SELECT seq::text AS seq, hash FROM audit_anchor WHERE id = 1',
  )) as ChainLink[];
  return anchor ?? { seq: '0', hash: GENESIS_HASH };
}

/**
 * Appends one row. `manager` must be inside a READ COMMITTED transaction: the
 * advisory lock is held until it commits or rolls back, so an audited change
 * and its row commit together and no two appenders read the same head. The
 * head is read in a statement after the lock (each READ COMMITTED statement
 * takes a fresh snapshot, so it sees the row the previous holder committed).
 * The primary key on seq turns any mistake into an error, never a fork.
 */
export async function appendAuditRow(
  manager: EntityManager,
  input: AuditRowInput,
): Promise<ChainLink> {
  await lockChain(manager);
  // The database's clock, read under the lock: one clock for every replica, so
  // time order follows seq order.
  const [head] = (await manager.query(
    `SELECT ${canonicalTimeSql('clock_timestamp()')} AS now, last.seq::text AS seq, last.hash
       FROM (SELECT 1) AS one
       LEFT JOIN LATERAL (SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1) AS last ON true`,
  )) as { now: string; seq: string | null; hash: string | null }[];
  const previous: ChainLink =
    head.seq !== null && head.hash !== null
      ? { seq: head.seq, hash: head.hash }
      : await readAnchor(manager);
  const fields: HashedFields = {
    seq: (BigInt(previous.seq) + 1n).toString(),
    occurredAt: head.now,
    actorType: input.actorType,
    actorId: nullableText(input.actorId),
    action: storableText(input.action),
    resourceType: nullableText(input.resourceType),
    resourceId: nullableText(input.resourceId),
    requestId: nullableText(input.requestId),
    outcome: input.outcome,
    changedFields: input.changedFields.map(storableText),
    details: storableDetails(input.details),
  };
  const hash = auditHash(previous.hash, fields);
  await manager.query(
    `INSERT INTO audit_log (seq, occurred_at, actor_type, actor_id, action, resource_type,
       resource_id, request_id, outcome, changed_fields, details, prev_hash, hash, ip_enc, user_agent_enc)
     VALUES ($1, $2::timestamptz, $3, $4, $5, $6, $7, $8, $9, $10::text[], $11::jsonb, $12, $13, $14, $15)`,
    [
      fields.seq,
      fields.occurredAt,
      fields.actorType,
      fields.actorId,
      fields.action,
      fields.resourceType,
      fields.resourceId,
      fields.requestId,
      fields.outcome,
      fields.changedFields,
      JSON.stringify(fields.details),
      previous.hash,
      hash,
      input.ipEnc,
      input.userAgentEnc,
    ],
  );
  return { seq: fields.seq, hash };
}

function nullableText(value: string | null): string | null {
  return value === null ? null : storableText(value);
}

export interface PruneResult {
  deleted: number;
  /** The new anchor (last deleted row), or null when nothing was old enough. */
  anchor: ChainLink | null;
}

/** Optional bounds on one prune (the retention sweep's batches and legal holds). */
export interface PruneLimits {
  /** Delete at most this many rows (the oldest). */
  maxRows?: number;
  /** Keep this row and everything after it, whatever its age (e.g. the first row about a held person). */
  keepFromSeq?: string | null;
}

/**
 * Deletes the oldest rows: the prefix of the chain before the first row that
 * occurred at or after `before` (a prefix, so the chain stays whole), keeps
 * the last deleted row's seq and hash as the anchor, and appends an
 * `audit.pruned` row naming that anchor, which verification checks.
 * `limits` shorten the prefix further (never lengthen it).
 */
export async function pruneAuditRows(
  manager: EntityManager,
  before: Date,
  limits: PruneLimits = {},
): Promise<PruneResult> {
  await lockChain(manager);
  const [cut] = (await manager.query(
    'SELECT min(seq)::text AS seq FROM audit_log WHERE occurred_at >= $1',
    [before.toISOString()],
  )) as { seq: string | null }[];
  const ends = [cut.seq, limits.keepFromSeq ?? null].filter((s): s is string => s !== null);
  const end = ends.length ? ends.reduce((a, b) => (BigInt(a) < BigInt(b) ? a : b)) : null;
  const [last] = (await manager.query(
    `SELECT p.seq::text AS seq, p.hash FROM (
       SELECT seq, hash FROM audit_log WHERE ($1::bigint IS NULL OR seq < $1::bigint)
        ORDER BY audit_log.seq LIMIT $2) AS p
      ORDER BY p.seq DESC LIMIT 1`,
    [end, limits.maxRows ?? null],
  )) as ChainLink[];
  if (!last) return { deleted: 0, anchor: null };
  await manager.query(`SELECT set_config($1, 'on', true)`, [PRUNE_SETTING]);
  const [, deleted] = (await manager.query('DELETE FROM audit_log WHERE seq <= $1', [
    last.seq,
  ])) as [unknown, number];
  await manager.query(
    `INSERT INTO audit_anchor (id, seq, hash, pruned_at) VALUES (1, $1, $2, clock_timestamp())
     ON CONFLICT (id) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash, pruned_at = EXCLUDED.pruned_at`,
    [last.seq, last.hash],
  );
  await manager.query(`SELECT set_config($1, 'off', true)`, [PRUNE_SETTING]);
  await appendAuditRow(manager, {
    actorType: 'system',
    actorId: null,
    action: AUDIT_ACTIONS.auditPruned,
    resourceType: 'audit_log',
    resourceId: null,
    requestId: null,
    outcome: 'success',
    changedFields: [],
    details: {
      deletedCount: deleted,
      anchorSeq: last.seq,
      anchorHash: last.hash,
      before: before.toISOString(),
    },
    ipEnc: null,
    userAgentEnc: null,
  });
  return { deleted, anchor: last };
}

export type AuditProblem = 'edited' | 'missing' | 'relinked' | 'anchor';

export type AuditVerification =
  | {
      ok: true;
      /** Rows checked, from the anchor to the head. */
      checked: number;
      anchorSeq: string;
      /** The last row (or the anchor when the log is empty); record it elsewhere to detect truncation. */
      head: ChainLink;
    }
  | {
      ok: false;
      checked: number;
      anchorSeq: string;
      /** The first row that was edited or removed. */
      seq: string;
      problem: AuditProblem;
      message: string;
    };

/**
 * Walks the chain from the anchor in seq order, in batches, inside one
 * REPEATABLE READ snapshot (so a concurrent prune or append cannot make an
 * intact chain look broken), and reports the first bad row:
 * - `edited`: a row's contents no longer match its hash, or its hash was
 *   rewritten (the next row's prev_hash no longer matches it);
 * - `missing`: a seq is absent (a row was deleted);
 * - `relinked`: the first row's prev_hash does not match the anchor;
 * - `anchor`: the anchor is not the one the latest `audit.pruned` row names.
 */
export async function verifyAuditChain(
  dataSource: DataSource,
  batchSize = 1000,
): Promise<AuditVerification> {
  return dataSource.transaction('REPEATABLE READ', async (manager) => {
    await manager.query('SET TRANSACTION READ ONLY');
    const anchor = await readAnchor(manager);
    let expectedSeq = BigInt(anchor.seq) + 1n;
    let prevHash = anchor.hash;
    let checked = 0;
    let anchorConfirmed = anchor.seq === '0';
    const broken = (seq: bigint | string, problem: AuditProblem, message: string) =>
      ({
        ok: false,
        checked,
        anchorSeq: anchor.seq,
        seq: seq.toString(),
        problem,
        message,
      }) as const;

    for (;;) {
      const rows = (await manager.query(
        `SELECT ${SELECT_HASHED} FROM audit_log WHERE seq > $1 ORDER BY audit_log.seq LIMIT $2`,
        [(expectedSeq - 1n).toString(), batchSize],
      )) as HashedRow[];
      for (const row of rows) {
        const seq = BigInt(row.seq);
        if (seq !== expectedSeq) {
          const last = seq - 1n;
          return broken(
            expectedSeq,
            'missing',
            `row ${expectedSeq}${last > expectedSeq ? `–${last}` : ''} was removed (the next row is ${seq})`,
          );
        }
        if (auditHash(row.prev_hash, hashedFieldsOf(row)) !== row.hash) {
          return broken(seq, 'edited', `row ${seq} was edited: its contents do not match its hash`);
        }
        if (row.prev_hash !== prevHash) {
          return seq - 1n === BigInt(anchor.seq)
            ? broken(
                seq,
                'relinked',
                `row ${seq} does not follow the anchor (seq ${anchor.seq}): rows before it were replaced or the anchor was changed`,
              )
            : broken(
                seq - 1n,
                'edited',
                `row ${seq - 1n} was rewritten: its hash no longer matches the prev_hash of row ${seq}`,
              );
        }
        if (
          !anchorConfirmed &&
          row.action === AUDIT_ACTIONS.auditPruned &&
          isRecord(row.details) &&
          row.details.anchorSeq === anchor.seq &&
          row.details.anchorHash === anchor.hash
        ) {
          anchorConfirmed = true;
        }
        prevHash = row.hash;
        expectedSeq = seq + 1n;
        checked++;
      }
      if (rows.length < batchSize) break;
    }
    if (!anchorConfirmed) {
      return broken(
        anchor.seq,
        'anchor',
        `the anchor (seq ${anchor.seq}) is not named by any audit.pruned row: rows were removed or the anchor was changed`,
      );
    }
    return {
      ok: true,
      checked,
      anchorSeq: anchor.seq,
      head: { seq: (expectedSeq - 1n).toString(), hash: prevHash },
    } as const;
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
