import { EntityManager } from 'typeorm';
import type { ItemStatus } from './batch';

export interface BulkColumn {
  name: string;
  /** PostgreSQL type of one value, used to cast the parameter array. */
  type: string;
  /** Expression over the unnested value `ref`, when it needs converting. */
  select?: (ref: string) => string;
  /** Written on insert only; never compared or overwritten (e.g. server-computed values). */
  insertOnly?: boolean;
  /**
   * Another column of the batch that stands for this one when comparing with
   * the stored row: an encrypted column differs on every write, so its keyed
   * hash is compared instead. This column is then rewritten only when that
   * one changed.
   */
  compareBy?: string;
}

/** A text[] column travels as one JSON array string per row (unnest would flatten 2-D arrays). */
export const textArrayColumn = (name: string): BulkColumn => ({
  name,
  type: 'text',
  select: (ref) => `ARRAY(SELECT jsonb_array_elements_text(${ref}::jsonb))::text[]`,
});

export interface StoredOutcome {
  id: string;
  status: Exclude<ItemStatus, 'rejected'>;
}

/**
 * Inserts or updates rows by external_id in one statement: the whole batch is
 * passed as one array per column (so any row count fits in a handful of
 * parameters). Rows whose values are all equal to the stored ones are left
 * untouched and reported as unchanged; encrypted columns are compared through
 * their keyed hash (`compareBy`).
 */
export async function bulkUpsert(
  manager: EntityManager,
  table: string,
  columns: BulkColumn[],
  rows: unknown[][],
  options: { touchUpdatedAt: boolean },
): Promise<Map<string, StoredOutcome>> {
  const outcomes = new Map<string, StoredOutcome>();
  if (rows.length === 0) return outcomes;
  if (columns[0].name !== 'external_id') throw new Error('external_id must be the first column');
  const names = columns.map((c) => c.name);
  const params = columns.map((_, i) => rows.map((r) => r[i]));
  const unnest = columns.map((c, i) => `$${i + 1}::${c.type}[]`).join(', ');
  const selects = columns
    .map((c) => (c.select ? c.select(`u.${c.name}`) : `u.${c.name}`))
    .join(', ');
  const updatable = columns.slice(1).filter((c) => !c.insertOnly);
  for (const c of updatable) {
    if (c.compareBy && !updatable.some((o) => o.name === c.compareBy && !o.compareBy)) {
      throw new Error(`${c.name} is compared by ${c.compareBy}, which is not an updatable column`);
    }
  }
  const set = updatable.map((c) =>
    c.compareBy
      ? `${c.name} = CASE WHEN ${table}.${c.compareBy} IS DISTINCT FROM EXCLUDED.${c.compareBy} THEN EXCLUDED.${c.name} ELSE ${table}.${c.name} END`
      : `${c.name} = EXCLUDED.${c.name}`,
  );
  if (options.touchUpdatedAt) set.push('updated_at = now()');
  const compared = updatable.filter((c) => !c.compareBy).map((c) => c.name);
  const sql = `
    INSERT INTO ${table} (${names.join(', ')})
    SELECT ${selects} FROM unnest(${unnest}) AS u(${names.join(', ')})
    ON CONFLICT (external_id) DO UPDATE SET ${set.join(', ')}
    WHERE (${compared.map((n) => `${table}.${n}`).join(', ')}) IS DISTINCT FROM (${compared
      .map((n) => `EXCLUDED.${n}`)
      .join(', ')})
    RETURNING id, external_id, (xmax = 0) AS inserted`;
  const written: { id: string; external_id: string; inserted: boolean }[] = await manager.query(
    sql,
    params,
  );
  for (const row of written) {
    outcomes.set(row.external_id, { id: row.id, status: row.inserted ? 'created' : 'updated' });
  }
  const untouched = (params[0] as string[]).filter((id) => !outcomes.has(id));
  if (untouched.length) {
    const same: { id: string; external_id: string }[] = await manager.query(
      `SELECT id, external_id FROM ${table} WHERE external_id = ANY($1::varchar[])`,
      [untouched],
    );
    for (const row of same) outcomes.set(row.external_id, { id: row.id, status: 'unchanged' });
  }
  return outcomes;
}

/** Looks up ids by external_id in one query. */
export async function idsByExternalId(
  manager: EntityManager,
  table: string,
  externalIds: string[],
): Promise<Map<string, string>> {
  if (!externalIds.length) return new Map();
  const rows: { id: string; external_id: string }[] = await manager.query(
    `SELECT id, external_id FROM ${table} WHERE external_id = ANY($1::varchar[])`,
    [[...new Set(externalIds)]],
  );
  return new Map(rows.map((r) => [r.external_id, r.id]));
}
