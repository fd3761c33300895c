import type { EntityManager } from 'typeorm';
import type { FieldCipher } from '../security/field-cipher';
import { WITHHELD_STUDENT_NAME } from '../tutoring/personal-data';
import type { DataSubject, PersonalDataHandler } from './personal-data-registry';

/** What identifies a person in free text: names, emails, upstream ids (decrypted). */
export interface SubjectIdentifiers {
  subject: DataSubject;
  needles: string[];
}

/** Tables whose text is never scrubbed: the audit chain (no personal values by rule), ledgers, migrations. */
const SCRUB_EXCLUDED = new Set([
  'audit_log',
  'audit_anchor',
  'erasure_ledger',
  'migrations',
  'ferpa_disclosures',
]);

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The names erasure leaves behind, and the placeholder of a child whose name is
 * withheld until parental consent; never treated as a person's identifiers
 * (replays are idempotent, and "Student" is nobody's name).
 */
export const ERASED_NAMES = new Set([
  'Erased tutor',
  'Erased student',
  'Erased user',
  WITHHELD_STUDENT_NAME,
]);

/** A column (or archived field) that holds one person's name or address. */
export const isIdentityField = (name: string) => /(^|_)(name|email)$/.test(name);
/** One word of a name (a first or last name alone): other people may bear it too. */
const isNamePart = (needle: string) => /^\p{L}[\p{L}'-]{3,}$/u.test(needle);

/**
 * The identifiers to replace in one field. In free text every one, name parts included (a
 * note may say only "Grace"); in a field holding someone's name or address only whole ones, so
 * erasing Grace Hopper leaves Grace Kelly's name alone (the subject's own name fields are
 * anonymised by the handlers).
 */
export function needlesFor(field: string, needles: readonly string[]): string[] {
  return isIdentityField(field) ? needles.filter((n) => !isNamePart(n)) : [...needles];
}

/**
 * A name and each of its parts of 4+ letters (free text often has only the first or last
 * name); nothing for an erased name or the withheld-name placeholder.
 */
export function nameNeedles(name: string | null | undefined): string[] {
  if (!name || ERASED_NAMES.has(name.trim())) return [];
  return [name, ...name.split(/\s+/).filter(isNamePart)];
}

/** Reads the subject's identifying values before anything is erased. */
export async function identifiersOf(
  manager: EntityManager,
  cipher: FieldCipher,
  subject: DataSubject,
): Promise<SubjectIdentifiers> {
  const needles: string[] = [];
  const add = (v: string | null | undefined) => {
    const s = v?.trim();
    if (s && s.length >= 4 && !s.startsWith('erased-') && !needles.includes(s)) needles.push(s);
  };
  const addName = (v: string | null | undefined) => nameNeedles(v).forEach(add);
  if (subject.userId) {
    const [u]: { email: string; full_name: string }[] = await manager.query(
      'SELECT email, full_name FROM users WHERE id = $1',
      [subject.userId],
    );
    add(u?.email);
    addName(u?.full_name);
    const ids: { email: string | null; subject: string }[] = await manager.query(
      'SELECT email, subject FROM user_identities WHERE user_id = $1',
      [subject.userId],
    );
    for (const i of ids) {
      add(i.email);
      add(i.subject);
    }
  }
  if (subject.tutorId) {
    const [t]: { name: string; email: string; external_id: string }[] = await manager.query(
      'SELECT name, email, external_id FROM tutors WHERE id = $1',
      [subject.tutorId],
    );
    addName(t?.name);
    add(t?.email);
    add(t?.external_id);
  }
  if (subject.studentId) {
    const [s]: { name: string; email: string | null; external_id: string }[] = await manager.query(
      'SELECT name, email, external_id FROM students WHERE id = $1',
      [subject.studentId],
    );
    if (s) {
      addName(cipher.isEncrypted(s.name) ? cipher.decrypt(s.name) : s.name);
      add(s.email && cipher.isEncrypted(s.email) ? cipher.decrypt(s.email) : s.email);
      add(s.external_id);
    }
  }
  return { subject, needles };
}

/**
 * Replaces the subject's identifiers wherever they remain in free text: every
 * text, varchar and jsonb column of every table (plaintext with a
 * case-insensitive whole-word regex in SQL; FieldCipher values decrypted,
 * replaced, re-encrypted). The handlers have anonymised the structured
 * columns already; this catches names in notes, reasons, payloads, contexts.
 */
export async function scrubFreeText(
  manager: EntityManager,
  cipher: FieldCipher,
  needles: string[],
): Promise<number> {
  if (!needles.length) return 0;
  const columns: { table_name: string; column_name: string; data_type: string }[] =
    await manager.query(
      `SELECT c.table_name, c.column_name, c.data_type
         FROM information_schema.columns c
         JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
        WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
          AND c.data_type IN ('text', 'character varying', 'jsonb')
        ORDER BY 1, 2`,
    );
  let changed = 0;
  for (const { table_name: table, column_name: column, data_type: type } of columns) {
    if (SCRUB_EXCLUDED.has(table)) continue;
    const own = needlesFor(column, needles);
    if (!own.length) continue;
    const pattern = `\\m(${own.map(escapeRegex).join('|')})\\M`;
    const lowered = own.map((n) => n.toLowerCase());
    const col = `"${column}"`;
    const tbl = `"${table}"`;
    if (type === 'jsonb') {
      const [, n] = (await manager.query(
        `UPDATE ${tbl} SET ${col} = regexp_replace(${col}::text, $1, '[erased]', 'gi')::jsonb
          WHERE ${col}::text ~* $1`,
        [pattern],
      )) as [unknown, number];
      changed += n;
      continue;
    }
    const [, n] = (await manager.query(
      `UPDATE ${tbl} SET ${col} = left(regexp_replace(${col}, $1, '[erased]', 'gi'), GREATEST(length(${col}), 8))
        WHERE ${col} ~* $1 AND ${col} NOT LIKE 'enc1:%'`,
      [pattern],
    )) as [unknown, number];
    changed += n;
    const sealed: { ctid: string; v: string }[] = await manager.query(
      `SELECT ctid::text AS ctid, ${col} AS v FROM ${tbl} WHERE ${col} LIKE 'enc1:%'`,
    );
    for (const row of sealed) {
      let plain: string;
      try {
        plain = cipher.decrypt(row.v);
      } catch {
        continue;
      }
      const low = plain.toLowerCase();
      if (!lowered.some((n) => low.includes(n))) continue;
      const replaced = plain.replace(
        new RegExp(pattern.replace(/\\m|\\M/g, '\\b'), 'gi'),
        '[erased]',
      );
      const next = lowered.some((n) => replaced.toLowerCase().includes(n)) ? '[erased]' : replaced;
      await manager.query(`UPDATE ${tbl} SET ${col} = $1 WHERE ctid = $2::tid`, [
        cipher.encrypt(next),
        row.ctid,
      ]);
      changed++;
    }
  }
  return changed;
}

/** Runs every handler's erase, then the free-text scrub; returns rows touched per table. */
export async function eraseSubject(
  manager: EntityManager,
  cipher: FieldCipher,
  handlers: PersonalDataHandler[],
  subject: DataSubject,
): Promise<Record<string, number>> {
  const { needles } = await identifiersOf(manager, cipher, subject);
  const counts: Record<string, number> = {};
  for (const handler of handlers) {
    for (const [table, n] of Object.entries(await handler.erase(subject, manager, needles)))
      counts[table] = (counts[table] ?? 0) + n;
  }
  counts['free_text_scrubbed'] = await scrubFreeText(manager, cipher, needles);
  return counts;
}
