import { gunzipSync } from 'node:zlib';
import { FieldCipher } from '../../src/security/field-cipher';
import type { TestApp } from './test-app';

/** Every string inside a JSON text, FieldCipher values decrypted. */
function stringsOf(cipher: FieldCipher, json: string): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (typeof v === 'string') out.push(v.startsWith('enc1:') ? cipher.decrypt(v) : v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) {
        out.push(k);
        walk(x);
      }
  };
  walk(JSON.parse(json));
  return out;
}

/**
 * Scans every text-like column of every table in every schema (the archive
 * included) for the needles (lowercase) and blind indexes: encrypted values
 * are decrypted, and gzip-compressed bytea values (the archive's records)
 * are decompressed and every string in them decrypted. Returns where each hit is.
 */
export async function scanDatabase(
  t: TestApp,
  needles: string[],
  indexes: string[] = [],
): Promise<{ found: string[]; columns: number; compressedValues: number }> {
  const cipher = t.app.get(FieldCipher);
  const lowered = needles.map((n) => n.toLowerCase());
  const columns: {
    table_schema: string;
    table_name: string;
    column_name: string;
    data_type: string;
  }[] = await t.dataSource.query(
    `SELECT c.table_schema, c.table_name, c.column_name, c.data_type FROM information_schema.columns c
       JOIN information_schema.tables tb ON tb.table_schema = c.table_schema AND tb.table_name = c.table_name
      WHERE c.table_schema NOT IN ('pg_catalog', 'information_schema') AND tb.table_type = 'BASE TABLE'
        AND c.data_type IN ('text', 'character varying', 'jsonb', 'bytea', 'ARRAY', 'json', 'character')`,
  );
  const found: string[] = [];
  let compressedValues = 0;
  const check = (where: string, raw: string, plain: string) => {
    const low = plain.toLowerCase();
    const hit = lowered.find((x) => low.includes(x)) ?? indexes.find((i) => raw.includes(i));
    if (hit) found.push(`${where}: ${hit}`);
  };
  for (const c of columns) {
    const where = `${c.table_schema}.${c.table_name}.${c.column_name}`;
    const from = `"${c.table_schema}"."${c.table_name}"`;
    if (c.data_type === 'bytea') {
      const rows: { v: Buffer | null }[] = await t.dataSource.query(
        `SELECT "${c.column_name}" AS v FROM ${from}`,
      );
      for (const { v } of rows) {
        if (!v) continue;
        if (v[0] === 0x1f && v[1] === 0x8b) {
          compressedValues++;
          const text = gunzipSync(v).toString('utf8');
          let strings: string[];
          try {
            strings = stringsOf(cipher, text);
          } catch {
            strings = [text];
          }
          check(where, text, strings.join('\n'));
        } else check(where, v.toString('latin1'), v.toString('utf8'));
      }
      continue;
    }
    const rows: { v: string | null }[] = await t.dataSource.query(
      `SELECT "${c.column_name}"::text AS v FROM ${from}`,
    );
    for (const { v } of rows) {
      if (!v) continue;
      check(where, v, v.startsWith('enc1:') ? cipher.decrypt(v) : v);
    }
  }
  return { found, columns: columns.length, compressedValues };
}
