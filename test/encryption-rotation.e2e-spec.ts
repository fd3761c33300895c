import request from 'supertest';
import { ENCRYPTED_COLUMNS, runEncryptionRotation } from '../src/cli/encryption-rotate';
import { EncryptedColumnTransformer } from '../src/database/encrypted-column';
import { loadConfig } from '../src/config/app-config';
import { rotateEncryptedColumns } from '../src/security/encryption-rotation';
import { FieldCipher } from '../src/security/field-cipher';
import { TUTORING_ENCRYPTED_COLUMNS } from '../src/tutoring/personal-data';
import { StudentsService } from '../src/tutoring/students.service';
import { completedSession, feedbackItem, studentItem, tutorItem } from './helpers/fixtures';
import { startTestApp, TEST_API_KEY, TestApp } from './helpers/test-app';

const key = (fill: string) => Buffer.alloc(32, fill).toString('base64');
const OLD_KEY = `k1:${key('a')}`;
const NEW_KEY = `k2:${key('b')}`;

describe('encryption key rotation', () => {
  let t: TestApp;
  /** The application's cipher, mid-rotation: k2 encrypts, k1 still decrypts. */
  let cipher: FieldCipher;
  /** The configuration before the rotation: only k1. */
  const before = new FieldCipher(loadConfig({ ENCRYPTION_KEYS: OLD_KEY }));
  const post = (path: string, body: unknown) =>
    request(t.http)
      .post(`/api/v1/${path}`)
      .set('X-API-Key', TEST_API_KEY)
      .send(body as object);
  const get = (path: string) => request(t.http).get(path).set('X-API-Key', TEST_API_KEY);

  const year = new Date().getUTCFullYear();
  const parentOf = (i: number) => `rotation.parent.${i}@example.invalid`;
  const kids = Array.from({ length: 5 }, (_, i) =>
    studentItem({
      name: `Rotated Child ${i}`,
      // 14: old enough that the name is stored without a parent's consent (COPPA).
      birthYear: year - 14,
      parentEmail: parentOf(i),
    }),
  );
  const teen = studentItem({ name: 'Rotated Teen', email: 'rotated.teen@example.invalid' });
  const tutor = tutorItem();
  const sessions = kids.map((k) => completedSession(tutor.externalId, k.externalId));
  const feedback = sessions.map((s, i) =>
    feedbackItem(s.externalId, { freeText: `Comment number ${i}` }),
  );

  const keyIds = async (table: string, column: string): Promise<Set<string>> =>
    new Set(
      (
        await t.dataSource.query(
          `SELECT DISTINCT split_part(${column}, ':', 2) AS kid FROM ${table} WHERE ${column} IS NOT NULL`,
        )
      ).map((r: { kid: string }) => r.kid),
    );
  const allKeyIds = async (): Promise<Set<string>> => {
    const ids = new Set<string>();
    for (const { table, column } of TUTORING_ENCRYPTED_COLUMNS)
      for (const kid of await keyIds(table, column)) ids.add(kid);
    return ids;
  };
  const names = async () =>
    (await get('/api/v1/students?limit=100').expect(200)).body.items
      .map((s: { name: string }) => s.name)
      .sort();

  beforeAll(async () => {
    t = await startTestApp({ ENCRYPTION_KEYS: `${NEW_KEY},${OLD_KEY}` });
    cipher = t.app.get(FieldCipher);
    await post('tutors', { items: [tutor] }).expect(200);
    await post('students', { items: [...kids, teen] }).expect(200);
    await post('sessions', { items: sessions }).expect(200);
    await post('feedback', { items: feedback }).expect(200);
    // Everything was written before k2 existed: seal it again with k1 only.
    for (const { table, column } of TUTORING_ENCRYPTED_COLUMNS) {
      const rows: { id: string; value: string }[] = await t.dataSource.query(
        `SELECT id, ${column} AS value FROM ${table} WHERE ${column} IS NOT NULL`,
      );
      for (const row of rows) {
        await t.dataSource.query(`UPDATE ${table} SET ${column} = $2 WHERE id = $1`, [
          row.id,
          before.encrypt(cipher.decrypt(row.value)),
        ]);
      }
    }
  });
  afterAll(() => t.close());

  it('walks every column that an entity encrypts', () => {
    const declared = t.dataSource.entityMetadatas.flatMap((m) =>
      m.columns
        .filter((c) => c.transformer instanceof EncryptedColumnTransformer)
        .map((c) => `${m.tableName}.${c.databaseName}`),
    );
    expect(declared.length).toBeGreaterThan(0);
    const walked = ENCRYPTED_COLUMNS.map((c) => `${c.table}.${c.column}`);
    expect(walked).toEqual(expect.arrayContaining(declared));
  });

  it('reads values sealed with the older key while it is still listed', async () => {
    expect(await allKeyIds()).toEqual(new Set(['k1']));
    expect(await names()).toEqual([...kids.map((k) => k.name), teen.name].sort());
    // The hashes do not depend on the encryption key: nothing looks changed.
    const res = await post('students', { items: [...kids, teen] }).expect(200);
    expect(res.body.summary.unchanged).toBe(6);
  });

  it('re-encrypts in batches with the new key; half-rotated data reads the same', async () => {
    // Only the names first: a table half on k1, half on k2.
    const names1 = await rotateEncryptedColumns(
      t.dataSource,
      cipher,
      TUTORING_ENCRYPTED_COLUMNS.filter((c) => c.column === 'name'),
      { batchSize: 2 },
    );
    expect(names1).toEqual([
      expect.objectContaining({ column: 'name', reencrypted: 6, encrypted: 0, remaining: 0 }),
    ]);
    expect(await keyIds('students', 'name')).toEqual(new Set(['k2']));
    expect(await keyIds('students', 'parent_email')).toEqual(new Set(['k1']));
    expect(await keyIds('student_feedback', 'free_text')).toEqual(new Set(['k1']));
    expect(await names()).toEqual([...kids.map((k) => k.name), teen.name].sort());
    const found = await t.app.get(StudentsService).findByParentEmail(parentOf(3));
    expect(found.map((s) => s.name)).toEqual([kids[3].name]);

    const progress: number[] = [];
    const all = await rotateEncryptedColumns(t.dataSource, cipher, TUTORING_ENCRYPTED_COLUMNS, {
      batchSize: 2,
      onProgress: (p) => progress.push(p.rowsScanned),
    });
    expect(progress.length).toBeGreaterThan(2);
    const by = Object.fromEntries(all.map((c) => [`${c.table}.${c.column}`, c]));
    expect(by['students.name'].reencrypted).toBe(0);
    expect(by['students.email'].reencrypted).toBe(1);
    expect(by['students.parent_email'].reencrypted).toBe(5);
    expect(by['student_feedback.free_text'].reencrypted).toBe(5);
    expect(all.every((c) => c.remaining === 0 && c.skipped === 0 && c.hashesFilled === 0)).toBe(
      true,
    );
    expect(await allKeyIds()).toEqual(new Set(['k2']));

    // The old key alone can no longer read anything; the app reads everything.
    const [row] = await t.dataSource.query(`SELECT name FROM students LIMIT 1`);
    expect(() => before.decrypt(row.name)).toThrow(/no key k2/);
    expect(await names()).toEqual([...kids.map((k) => k.name), teen.name].sort());
    const fb = await get('/api/v1/feedback?limit=100').expect(200);
    expect(fb.body.items.map((f: { freeText: string }) => f.freeText).sort()).toEqual(
      feedback.map((f) => f.freeText).sort(),
    );
    const res = await post('students', { items: [...kids, teen] }).expect(200);
    expect(res.body.summary.unchanged).toBe(6);
  });

  it('npm run encryption:rotate encrypts plaintext left from before encryption, fills its hashes, and is idempotent', async () => {
    // A row as a database created before the EncryptPersonalData migration holds it.
    await t.dataSource.query(
      `INSERT INTO students (external_id, name, birth_year, birth_month, parent_email, parent_consent_status)
       VALUES ('legacy-1', 'Lena Oldrow', $1, 5, 'lena.parent@example.invalid', 'pending')`,
      [year - 10],
    );
    const out: string[] = [];
    const io = { log: (l: string) => out.push(l), error: (l: string) => out.push(l) };
    const env = { DATABASE_URL: t.database.url, ENCRYPTION_KEYS: `${NEW_KEY},${OLD_KEY}` };
    expect(await runEncryptionRotation(['--batch-size', '2'], env, io)).toBe(0);
    expect(out.join('\n')).toMatch(
      /students\.name\s+0 re-encrypted, 1 encrypted from plaintext, 1 hashes filled, 0 changed meanwhile, 0 remaining/,
    );
    const [legacy] = await t.dataSource.query(
      `SELECT name, name_hash, parent_email, parent_email_index FROM students WHERE external_id = 'legacy-1'`,
    );
    expect(legacy.name).toMatch(/^enc1:k2:/);
    expect(legacy.parent_email).toMatch(/^enc1:k2:/);
    expect(legacy.name_hash).not.toBeNull();
    const found = await t.app.get(StudentsService).findByParentEmail('Lena.Parent@example.invalid');
    expect(found.map((s) => s.name)).toEqual(['Lena Oldrow']);

    out.length = 0;
    expect(await runEncryptionRotation([], env, io)).toBe(0);
    expect(out.join('\n')).not.toMatch(
      /[1-9]\d* (re-encrypted|encrypted from|hashes|changed|remaining)/,
    );
  });

  it('refuses to run with a bad flag or without the key that sealed the data', async () => {
    const io = { log: () => undefined, error: () => undefined };
    expect(await runEncryptionRotation(['--batch-size', '0'], {}, io)).toBe(2);
    // Rotating to k3 without k2 listed cannot decrypt: it fails and writes nothing.
    await expect(
      runEncryptionRotation(
        [],
        { DATABASE_URL: t.database.url, ENCRYPTION_KEYS: `k3:${key('c')}` },
        io,
      ),
    ).rejects.toThrow(/no key k2/);
    expect(await allKeyIds()).toEqual(new Set(['k2']));
  });
});
