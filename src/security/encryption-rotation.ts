import { DataSource } from 'typeorm';
import type { FieldCipher } from './field-cipher';

/** One encrypted column, as the rotation walks it. */
export interface EncryptedColumnSpec {
  table: string;
  column: string;
  /**
   * The keyed hash (blind index or change hash) stored beside the value, and
   * how it derives from the plaintext. Filled when it is missing (rows written
   * before the column existed); never changed otherwise, since rotation does
   * not change plaintexts.
   */
  hash?: { column: string; of: (cipher: FieldCipher, plaintext: string) => string };
  /** The table's primary key to walk by: `id` (uuid, the default) or `seq` (bigint, the audit log). */
  key?: 'id' | 'seq';
}

const keyOf = (spec: EncryptedColumnSpec) =>
  spec.key === 'seq'
    ? { column: 'seq', type: 'bigint', first: '0' }
    : { column: 'id', type: 'uuid', first: '00000000-0000-0000-0000-000000000000' };

export interface RotationOptions {
  /** Rows read per query; default 1000. */
  batchSize?: number;
  /** Called after each batch with the running totals. */
  onProgress?: (progress: RotationProgress) => void;
}

export interface ColumnRotation {
  table: string;
  column: string;
  /** Values sealed with an older key, now sealed with the active key. */
  reencrypted: number;
  /** Plaintext values (written before the column was encrypted), now encrypted. */
  encrypted: number;
  /** Hashes that were missing and are now filled. */
  hashesFilled: number;
  /** Values changed by another writer between read and write: left to that writer. */
  skipped: number;
  /**
   * Values still plaintext, sealed with another key or without their hash
   * after the walk: 0 unless a process with an older configuration writes.
   */
  remaining: number;
}

export interface RotationProgress {
  table: string;
  rowsScanned: number;
  columns: ColumnRotation[];
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/**
 * Re-encrypts, with the active key, every value of the given columns that was
 * sealed with an older key (FieldCipher.needsRotation); also encrypts plaintext
 * left from before a column was encrypted and fills missing hashes. Walks each
 * table by primary key (`id`) in batches, reading only rows with something to
 * do, so a second run reads nothing. Every update is conditional on the value
 * still being the one read, so it never overwrites a concurrent writer. Safe
 * to interrupt and run again. The application keeps running throughout: every
 * key of ENCRYPTION_KEYS decrypts.
 */
export async function rotateEncryptedColumns(
  dataSource: DataSource,
  cipher: FieldCipher,
  specs: EncryptedColumnSpec[],
  options: RotationOptions = {},
): Promise<ColumnRotation[]> {
  const batchSize = options.batchSize ?? 1000;
  const results: ColumnRotation[] = [];
  const tables = [...new Set(specs.map((s) => s.table))];
  for (const table of tables) {
    const columns = specs.filter((s) => s.table === table);
    for (const name of [table, ...columns.flatMap((c) => [c.column, c.hash?.column ?? 'id'])]) {
      if (!IDENTIFIER.test(name)) throw new Error(`not a plain SQL identifier: ${name}`);
    }
    const totals = columns.map((c): ColumnRotation => ({
      table,
      column: c.column,
      reencrypted: 0,
      encrypted: 0,
      hashesFilled: 0,
      skipped: 0,
      remaining: 0,
    }));
    results.push(...totals);
    // A row has work when a value is plaintext, sealed with another key than
    // the active one ($2), or lacks its hash.
    const work = (c: EncryptedColumnSpec, kid: string) => {
      const reasons = [
        `split_part(${c.column}, ':', 1) <> 'enc1'`,
        `split_part(${c.column}, ':', 2) <> ${kid}`,
        ...(c.hash ? [`${c.hash.column} IS NULL`] : []),
      ];
      return `(${c.column} IS NOT NULL AND (${reasons.join(' OR ')}))`;
    };
    const pending = columns.map((c) => work(c, '$2')).join(' OR ');
    const selected = columns
      .flatMap((c) => (c.hash ? [c.column, c.hash.column] : [c.column]))
      .join(', ');
    const key = keyOf(columns[0]);
    let after = key.first;
    let rowsScanned = 0;
    for (;;) {
      const rows: Record<string, string | null>[] = await dataSource.query(
        `SELECT ${key.column}::text AS id, ${selected} FROM ${table}
         WHERE ${key.column} > $1::${key.type} AND (${pending}) ORDER BY ${key.column} LIMIT $3`,
        [after, cipher.activeKeyId, batchSize],
      );
      if (!rows.length) break;
      after = rows[rows.length - 1].id!;
      rowsScanned += rows.length;
      for (const [i, spec] of columns.entries()) {
        await rotateColumn(dataSource, cipher, table, spec, rows, totals[i]);
      }
      options.onProgress?.({ table, rowsScanned, columns: totals });
      if (rows.length < batchSize) break;
    }
    const counts = columns.map((c, i) => `count(*) FILTER (WHERE ${work(c, '$1')})::int AS c${i}`);
    const [left]: Record<string, number>[] = await dataSource.query(
      `SELECT ${counts.join(', ')} FROM ${table}`,
      [cipher.activeKeyId],
    );
    totals.forEach((total, i) => (total.remaining = left[`c${i}`]));
  }
  return results;
}

type Change = 'reencrypted' | 'encrypted' | 'hashesFilled';

/** Writes one column of one batch; counts into `total`. */
async function rotateColumn(
  dataSource: DataSource,
  cipher: FieldCipher,
  table: string,
  spec: EncryptedColumnSpec,
  rows: Record<string, string | null>[],
  total: ColumnRotation,
): Promise<void> {
  const ids: string[] = [];
  const olds: string[] = [];
  const news: string[] = [];
  const hashes: (string | null)[] = [];
  const changes: Change[][] = [];
  for (const row of rows) {
    const stored = row[spec.column];
    if (stored === null) continue;
    const sealed = cipher.isEncrypted(stored);
    const rotate = !sealed || cipher.needsRotation(stored);
    const fillHash = !!spec.hash && row[spec.hash.column] === null;
    if (!rotate && !fillHash) continue;
    const plaintext = sealed ? cipher.decrypt(stored) : stored;
    const change: Change[] = [];
    if (rotate) change.push(sealed ? 'reencrypted' : 'encrypted');
    if (fillHash) change.push('hashesFilled');
    ids.push(row.id!);
    olds.push(stored);
    news.push(rotate ? cipher.encrypt(plaintext) : stored);
    hashes.push(fillHash ? spec.hash!.of(cipher, plaintext) : null);
    changes.push(change);
  }
  if (!ids.length) return;
  const hashSet = spec.hash
    ? `, ${spec.hash.column} = COALESCE(u.hash, t.${spec.hash.column})`
    : '';
  // Only where the value is still the one read: a concurrent writer wins.
  // TypeORM answers an UPDATE with [rows, affected].
  const key = keyOf(spec);
  const [updated]: [{ id: string }[], number] = await dataSource.query(
    `UPDATE ${table} t SET ${spec.column} = u.new${hashSet}
     FROM unnest($1::${key.type}[], $2::text[], $3::text[], $4::text[]) AS u(id, old, new, hash)
     WHERE t.${key.column} = u.id AND t.${spec.column} = u.old
     RETURNING t.${key.column}::text AS id`,
    [ids, olds, news, hashes],
  );
  const written = new Set(updated.map((r) => r.id));
  for (let k = 0; k < ids.length; k++) {
    if (!written.has(ids[k])) total.skipped++;
    else for (const change of changes[k]) total[change]++;
  }
}
