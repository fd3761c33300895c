import { createHash } from 'node:crypto';

/** prev_hash of the very first row when nothing was ever pruned. */
export const GENESIS_HASH = '0'.repeat(64);

/** Version tag inside the hashed text, so the serialisation can evolve. */
const FORMAT = 'audit-v1';

/** The fields a row's hash covers (everything but the encrypted IP and user agent). */
export interface HashedFields {
  seq: string;
  /** canonicalTime(): UTC with microseconds, as PostgreSQL stores it. */
  occurredAt: string;
  actorType: string;
  actorId: string | null;
  action: string;
  resourceType: string | null;
  resourceId: string | null;
  requestId: string | null;
  outcome: string;
  changedFields: string[];
  details: unknown;
}

/** `2025-01-02T03:04:05.678000Z`: the exact text SQL renders with CANONICAL_TIME_SQL. */
export function canonicalTime(date: Date): string {
  return date.toISOString().replace(/Z$/, '000Z');
}

/** Renders a timestamptz column like canonicalTime(), microseconds included. */
export const canonicalTimeSql = (column: string) =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * JSON with object keys sorted at every level and no insignificant space, so
 * the text is the same before the insert and after a round trip through jsonb
 * (which reorders keys).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) {
    return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** hex sha256 over the previous row's hash and this row's canonical fields. */
export function auditHash(prevHash: string, fields: HashedFields): string {
  const text = canonicalJson([
    FORMAT,
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
    fields.details,
  ]);
  return createHash('sha256').update(prevHash).update('\n').update(text, 'utf8').digest('hex');
}

/**
 * Text exactly as PostgreSQL will store and return it: lone surrogates become
 * U+FFFD (UTF-8 encoding) and NUL, which text and jsonb refuse, is dropped.
 * Hashing anything else would make an intact row look edited.
 */
export function storableText(value: string): string {
  return Buffer.from(value, 'utf8').toString('utf8').split('\u0000').join('');
}

/** details as they come back from jsonb: plain JSON values, storable strings. */
export function storableDetails(
  details: Record<string, unknown> | undefined,
): Record<string, unknown> {
  if (!details) return {};
  const plain: unknown = JSON.parse(JSON.stringify(details));
  const clean = (v: unknown): unknown => {
    if (typeof v === 'string') return storableText(v);
    if (Array.isArray(v)) return v.map(clean);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>).map(([k, x]) => [storableText(k), clean(x)]),
      );
    }
    return v;
  };
  return clean(plain) as Record<string, unknown>;
}
