import { gunzipSync, gzipSync } from 'node:zlib';
import type { EntityManager } from 'typeorm';
import { DetailedHttpError } from '../common/error-body';
import type { FieldCipher } from '../security/field-cipher';
import { ERASED_NAMES, isIdentityField, nameNeedles, needlesFor, scrubFreeText } from './erasure';
import type { DataSubject, ExportedTable, PersonalDataHandler } from './personal-data-registry';

/*
 * The education-record archive (schema `archive`, migration RetentionArchive):
 * the retention sweep moves a student's records there 7 years after their
 * last activity, one row per record, the row's JSON gzip-compressed in a
 * bytea column, and deletes them from the live tables in the same
 * transaction. An admin can list and restore them (rows come back as they
 * were); the sweep deletes them from the archive when its period ends; GDPR
 * export reads them and erasure deletes the subject's own and scrubs the
 * subject's names from everyone else's.
 */

/** The retention class whose action fills the archive. */
export const ARCHIVE_CLASS = 'education_records';

interface ArchivedTable {
  table: string;
  /** The primary key column (uuid). */
  key: string;
  /** Rows of the student `$1`. */
  where: string;
  /** The tutor the row is about, if any (for tutors' export and erasure). */
  tutorColumn?: string;
}

/**
 * A student's education records, in restore order (parents first); archiving
 * deletes them in the reverse order.
 */
export const ARCHIVED_TABLES: readonly ArchivedTable[] = [
  { table: 'students', key: 'id', where: 'x.id = $1' },
  { table: 'student_privacy_settings', key: 'student_id', where: 'x.student_id = $1' },
  { table: 'parental_consents', key: 'id', where: 'x.student_id = $1' },
  { table: 'sessions', key: 'id', where: 'x.student_id = $1', tutorColumn: 'tutor_id' },
  {
    table: 'first_session_predictions',
    key: 'session_id',
    where:
      'x.student_id = $1 OR x.session_id IN (SELECT s.id FROM sessions s WHERE s.student_id = $1)',
    tutorColumn: 'tutor_id',
  },
  {
    table: 'student_feedback',
    key: 'id',
    where:
      'x.student_id = $1 OR x.session_id IN (SELECT s.id FROM sessions s WHERE s.student_id = $1)',
    tutorColumn: 'tutor_id',
  },
];
const TABLE_ORDER = ARCHIVED_TABLES.map((t) => t.table);

/** What one archive row holds once decompressed. */
export interface ArchivedDocument {
  table: string;
  /** The live row exactly as `to_jsonb` gave it (encrypted columns still encrypted). */
  row: Record<string, unknown>;
  /** Students only: the user accounts linked to the student when archived (re-linked on restore). */
  linkedUserIds?: string[];
}

export const compress = (json: string): Buffer => gzipSync(Buffer.from(json, 'utf8'));
export const decompress = (payload: Buffer): string => gunzipSync(payload).toString('utf8');

/** The archive rows of a subject: the student, or a user account linked to them when archived. */
const SUBJECT_MATCH = `(subject_id = $1::uuid OR $2::uuid = ANY(subject_user_ids))`;

/**
 * Moves one student's education records into the archive and deletes them
 * from the live tables, inside the caller's transaction (the caller has
 * locked the student row, so no session can be added meanwhile). Returns
 * rows archived per table.
 */
export async function archiveStudent(
  m: EntityManager,
  studentId: string,
  lastActivityAt: Date,
  archivedAt: Date,
): Promise<Record<string, number>> {
  const linked: { id: string }[] = await m.query(
    'SELECT id FROM users WHERE student_id = $1 ORDER BY id',
    [studentId],
  );
  const userIds = linked.map((u) => u.id);
  const counts: Record<string, number> = {};
  const keys = new Map<string, string[]>();
  for (const spec of ARCHIVED_TABLES) {
    const isStudent = spec.table === 'students';
    const rows: { id: string; tutor_id: string | null; doc: string }[] = await m.query(
      `SELECT x.${spec.key}::text AS id, ${spec.tutorColumn ? `x.${spec.tutorColumn}` : 'NULL::uuid'} AS tutor_id,
              jsonb_build_object('table', '${spec.table}', 'row', to_jsonb(x)${isStudent ? `, 'linkedUserIds', to_jsonb($2::uuid[])` : ''})::text AS doc
         FROM ${spec.table} x WHERE ${spec.where}`,
      isStudent ? [studentId, userIds] : [studentId],
    );
    if (!rows.length) continue;
    await m.query(
      `INSERT INTO archive.records (class_key, source_table, original_id, subject_type, subject_id,
         subject_user_ids, tutor_id, last_activity_at, archived_at, payload)
       SELECT $1::varchar, $2::varchar, r.id, 'student', $3::uuid, $4::uuid[], r.tutor_id,
              $5::timestamptz, $6::timestamptz, decode(r.payload, 'base64')
         FROM unnest($7::text[], $8::uuid[], $9::text[]) AS r(id, tutor_id, payload)`,
      [
        ARCHIVE_CLASS,
        spec.table,
        studentId,
        userIds,
        lastActivityAt,
        archivedAt,
        rows.map((r) => r.id),
        rows.map((r) => r.tutor_id),
        rows.map((r) => compress(r.doc).toString('base64')),
      ],
    );
    keys.set(spec.table, [...new Set(rows.map((r) => r.id))]);
    counts[spec.table] = rows.length;
  }
  for (const spec of [...ARCHIVED_TABLES].reverse()) {
    const ids = keys.get(spec.table);
    if (ids) await m.query(`DELETE FROM ${spec.table} WHERE ${spec.key} = ANY($1::uuid[])`, [ids]);
  }
  return counts;
}

export interface ArchivedItem {
  id: string;
  classKey: string;
  sourceTable: string;
  originalId: string;
  subjectId: string;
  lastActivityAt: Date;
  archivedAt: Date;
  /** Compressed size. */
  bytes: number;
}

/** The archived records of a student (by student id, or by a user id linked when archived). */
export async function listArchived(m: EntityManager, subjectId: string): Promise<ArchivedItem[]> {
  const rows: {
    id: string;
    class_key: string;
    source_table: string;
    original_id: string;
    subject_id: string;
    last_activity_at: Date;
    archived_at: Date;
    bytes: number;
  }[] = await m.query(
    `SELECT id::text AS id, class_key, source_table, original_id, subject_id, last_activity_at,
            archived_at, octet_length(payload) AS bytes
       FROM archive.records WHERE ${SUBJECT_MATCH} ORDER BY id`,
    [subjectId, subjectId],
  );
  const order = (t: string) => TABLE_ORDER.indexOf(t);
  return rows
    .map((r) => ({
      id: r.id,
      classKey: r.class_key,
      sourceTable: r.source_table,
      originalId: r.original_id,
      subjectId: r.subject_id,
      lastActivityAt: r.last_activity_at,
      archivedAt: r.archived_at,
      bytes: Number(r.bytes),
    }))
    .sort((a, b) => order(a.sourceTable) - order(b.sourceTable) || Number(a.id) - Number(b.id));
}

export interface ArchivedSubject {
  subjectId: string;
  records: number;
  archivedAt: Date;
  lastActivityAt: Date;
}

/** The most recently archived students, newest first. */
export async function recentArchivedSubjects(
  m: EntityManager,
  limit = 50,
): Promise<ArchivedSubject[]> {
  const rows: {
    subject_id: string;
    records: number;
    archived_at: Date;
    last_activity_at: Date;
  }[] = await m.query(
    `SELECT subject_id, count(*)::int AS records, max(archived_at) AS archived_at,
            max(last_activity_at) AS last_activity_at
       FROM archive.records GROUP BY subject_id ORDER BY max(archived_at) DESC, subject_id LIMIT $1`,
    [limit],
  );
  return rows.map((r) => ({
    subjectId: r.subject_id,
    records: r.records,
    archivedAt: r.archived_at,
    lastActivityAt: r.last_activity_at,
  }));
}

export interface RestoreResult {
  studentId: string;
  /** Rows put back per table. */
  restored: Record<string, number>;
  /** User accounts linked to the student again. */
  relinkedUsers: number;
}

const liveColumns = async (m: EntityManager, table: string): Promise<Set<string>> => {
  const rows: { column_name: string }[] = await m.query(
    `SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1`,
    [table],
  );
  return new Set(rows.map((r) => r.column_name));
};

/**
 * Puts a student's archived records back into the live tables as they were
 * (the stored JSON goes to PostgreSQL unparsed: `jsonb_populate_record`
 * restores every value with its own type), re-links the user accounts that
 * were linked, and removes the records from the archive; inside the caller's
 * transaction. A live row in the way (same id or upstream id) is a 409 and
 * nothing is restored.
 */
export async function restoreStudent(m: EntityManager, studentId: string): Promise<RestoreResult> {
  const rows: { id: string; source_table: string; payload: Buffer }[] = await m.query(
    `SELECT id::text AS id, source_table, payload FROM archive.records
      WHERE subject_id = $1 ORDER BY id FOR UPDATE`,
    [studentId],
  );
  if (!rows.length)
    throw new DetailedHttpError(404, `Nothing is archived for student ${studentId}`);
  rows.sort(
    (a, b) =>
      TABLE_ORDER.indexOf(a.source_table) - TABLE_ORDER.indexOf(b.source_table) ||
      Number(a.id) - Number(b.id),
  );
  const columns = new Map<string, Set<string>>();
  const restored: Record<string, number> = {};
  let linkedUserIds: string[] = [];
  for (const r of rows) {
    const table = r.source_table;
    if (!TABLE_ORDER.includes(table))
      throw new DetailedHttpError(409, `archive row ${r.id} names an unknown table ${table}`);
    if (!columns.has(table)) columns.set(table, await liveColumns(m, table));
    const doc = decompress(r.payload);
    const parsed = JSON.parse(doc) as ArchivedDocument;
    if (table === 'students') linkedUserIds = parsed.linkedUserIds ?? [];
    // Only columns the table still has (a column added since keeps its default).
    const list = Object.keys(parsed.row)
      .filter((c) => columns.get(table)!.has(c))
      .map((c) => `"${c}"`)
      .join(', ');
    try {
      await m.query(
        `INSERT INTO ${table} (${list}) SELECT ${list} FROM jsonb_populate_record(NULL::${table}, $1::jsonb -> 'row')`,
        [doc],
      );
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === '23505' || code === '23503')
        throw new DetailedHttpError(
          409,
          `Cannot restore ${table} row ${(parsed.row.id ?? parsed.row.session_id ?? parsed.row.student_id) as string}: ${
            code === '23505'
              ? 'a live row with the same id or upstream id exists'
              : 'a row it refers to is gone'
          }. Nothing was restored.`,
        );
      throw error;
    }
    restored[table] = (restored[table] ?? 0) + 1;
  }
  const [, relinkedUsers] = (await m.query(
    'UPDATE users SET student_id = $1 WHERE id = ANY($2::uuid[]) AND student_id IS NULL',
    [studentId, linkedUserIds],
  )) as [unknown, number];
  await m.query('DELETE FROM archive.records WHERE subject_id = $1', [studentId]);
  return { studentId, restored, relinkedUsers };
}

/** Applies `fn` to every string value (not key) of a JSON value. */
function mapStrings(value: unknown, fn: (s: string, key: string) => string, key = ''): unknown {
  if (typeof value === 'string') return fn(value, key);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, fn, key));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, fn, k)]));
  return value;
}

/** A row with its FieldCipher values decrypted (for export). */
export function decryptRow(cipher: FieldCipher, row: Record<string, unknown>) {
  return mapStrings(row, (s) => {
    if (!cipher.isEncrypted(s)) return s;
    try {
      return cipher.decrypt(s);
    } catch {
      return s;
    }
  }) as Record<string, unknown>;
}

/** The identifying values of an archived student row (decrypted), as identifiersOf reads them live. */
function studentIdentifiers(cipher: FieldCipher, row: Record<string, unknown>): string[] {
  const plain = decryptRow(cipher, row);
  const out: string[] = [];
  const add = (v: unknown) => {
    const x = typeof v === 'string' ? v.trim() : '';
    if (x.length >= 4 && !x.startsWith('erased-') && !ERASED_NAMES.has(x) && !out.includes(x))
      out.push(x);
  };
  nameNeedles(typeof plain.name === 'string' ? plain.name : '').forEach(add);
  add(plain.email);
  add(plain.parent_email);
  add(plain.external_id);
  return out;
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Replaces identifiers in every string value of every archived record
 * (FieldCipher values decrypted, replaced, re-encrypted), the way
 * scrubFreeText does for the live tables. Reads the whole archive in
 * batches; returns the records changed.
 */
export async function scrubArchive(
  m: EntityManager,
  cipher: FieldCipher,
  identifiers: readonly string[],
): Promise<number> {
  const needles = [...new Set(identifiers.filter((n) => n.trim().length >= 4))];
  if (!needles.length) return 0;
  // Name and address fields: whole identifiers only (see needlesFor); other strings: all.
  const matcher = (list: string[]) => {
    const lowered = list.map((n) => n.toLowerCase());
    const pattern = list.length
      ? new RegExp(`\\b(${list.map(escapeRegex).join('|')})\\b`, 'gi')
      : null;
    const mentions = (s: string) => {
      const low = s.toLowerCase();
      return lowered.some((n) => low.includes(n));
    };
    const scrub = (s: string) => {
      const replaced = pattern ? s.replace(pattern, '[erased]') : s;
      return mentions(replaced) ? '[erased]' : replaced;
    };
    return { mentions, scrub };
  };
  const inText = matcher(needles);
  const inIdentity = matcher(needlesFor('name', needles));
  const { mentions } = inText;
  let changed = 0;
  let after = '0';
  for (;;) {
    const rows: { id: string; payload: Buffer }[] = await m.query(
      'SELECT id::text AS id, payload FROM archive.records WHERE id > $1 ORDER BY id LIMIT 500',
      [after],
    );
    if (!rows.length) break;
    after = rows[rows.length - 1].id;
    for (const r of rows) {
      const text = decompress(r.payload);
      const hasSealed = text.includes('enc1:');
      if (!hasSealed && !mentions(text)) continue;
      let touched = false;
      const doc = mapStrings(JSON.parse(text), (s, key) => {
        const field = isIdentityField(key) ? inIdentity : inText;
        if (cipher.isEncrypted(s)) {
          let plain: string;
          try {
            plain = cipher.decrypt(s);
          } catch {
            return s;
          }
          if (!field.mentions(plain)) return s;
          touched = true;
          return cipher.encrypt(field.scrub(plain));
        }
        if (!field.mentions(s)) return s;
        touched = true;
        return field.scrub(s);
      });
      if (!touched) continue;
      await m.query('UPDATE archive.records SET payload = $2 WHERE id = $1', [
        r.id,
        compress(JSON.stringify(doc)),
      ]);
      changed++;
    }
  }
  return changed;
}

type ExportRow = { original_id: string; source_table: string; archived_at: Date; payload: Buffer };
const exported = (cipher: FieldCipher, r: ExportRow) => ({
  archivedAt: r.archived_at,
  sourceTable: r.source_table,
  originalId: r.original_id,
  record: decryptRow(cipher, (JSON.parse(decompress(r.payload)) as ArchivedDocument).row),
});

/**
 * The archive's personal-data handler. Export: the subject's archived
 * records, decrypted (a tutor gets the archived sessions they taught and the
 * feedback about them without the student). Erasure: the subject's own
 * archived records are deleted, and their identifiers are scrubbed from
 * everyone else's (e.g. a tutor named in a student's archived comment).
 */
export function archivePersonalData(cipher: FieldCipher): PersonalDataHandler {
  return {
    name: 'archive',
    async export(s: DataSubject, m: EntityManager) {
      const out: Record<string, ExportedTable> = {};
      if (s.studentId || s.userId) {
        const rows: ExportRow[] = await m.query(
          `SELECT original_id, source_table, archived_at, payload FROM archive.records
            WHERE ${SUBJECT_MATCH} ORDER BY id`,
          [s.studentId, s.userId],
        );
        if (rows.length) out.archived_education_records = rows.map((r) => exported(cipher, r));
      }
      if (s.tutorId) {
        const rows: ExportRow[] = await m.query(
          `SELECT original_id, source_table, archived_at, payload FROM archive.records
            WHERE tutor_id = $1 AND source_table IN ('sessions', 'student_feedback') ORDER BY id`,
          [s.tutorId],
        );
        if (rows.length)
          out.archived_tutor_records = rows.map((r) => {
            const item = exported(cipher, r);
            // Feedback about the tutor, as tutors see it: without the student.
            if (r.source_table === 'student_feedback') {
              delete item.record.student_id;
              delete item.record.session_id;
              delete item.record.external_id;
            }
            return item;
          });
      }
      return out;
    },
    async erase(s: DataSubject, m: EntityManager, identifiers: readonly string[] = []) {
      let deleted = 0;
      let scrubbedLive = 0;
      const needles = [...identifiers];
      if (s.studentId || s.userId) {
        // An archived student's name, emails and upstream id are no longer in the live
        // students table, so the erasure did not read them: take them from the archive.
        const students: { payload: Buffer }[] = await m.query(
          `SELECT payload FROM archive.records WHERE ${SUBJECT_MATCH} AND source_table = 'students'`,
          [s.studentId, s.userId],
        );
        const extra = students.flatMap((r) =>
          studentIdentifiers(cipher, (JSON.parse(decompress(r.payload)) as ArchivedDocument).row),
        );
        const [, n] = (await m.query(`DELETE FROM archive.records WHERE ${SUBJECT_MATCH}`, [
          s.studentId,
          s.userId,
        ])) as [unknown, number];
        deleted = n;
        const fresh = extra.filter((x) => !needles.includes(x));
        if (fresh.length) {
          scrubbedLive = await scrubFreeText(m, cipher, fresh);
          needles.push(...fresh);
        }
      }
      const scrubbed = await scrubArchive(m, cipher, needles);
      return {
        archive_records_deleted: deleted,
        archive_records_scrubbed: scrubbed,
        archived_student_free_text_scrubbed: scrubbedLive,
      };
    },
  };
}
