import request from 'supertest';
import { FieldCipher } from '../src/security/field-cipher';
import { Student } from '../src/tutoring/entities/student.entity';
import { WITHHELD_STUDENT_NAME } from '../src/tutoring/personal-data';
import { StudentsService } from '../src/tutoring/students.service';
import { completedSession, feedbackItem, studentItem, tutorItem } from './helpers/fixtures';
import { startTestApp, TEST_API_KEY, TestApp } from './helpers/test-app';

describe('personal data encrypted at rest', () => {
  let t: TestApp;
  let students: StudentsService;
  const post = (path: string, body: unknown) =>
    request(t.http)
      .post(`/api/v1/${path}`)
      .set('X-API-Key', TEST_API_KEY)
      .send(body as object);
  const get = (path: string) => request(t.http).get(path).set('X-API-Key', TEST_API_KEY);

  const year = new Date().getUTCFullYear();
  const teen = studentItem({
    name: 'Teodora Quillfeather',
    birthYear: year - 15,
    email: 'Teodora.Quillfeather@Example.Invalid',
  });
  const child = studentItem({
    name: 'Milo Brightwater',
    birthYear: year - 9,
    parentEmail: 'Parent.Brightwater@example.invalid',
  });
  const tutor = tutorItem();
  const session = completedSession(tutor.externalId, child.externalId);
  const feedback = feedbackItem(session.externalId, {
    freeText: 'Milo loved the fraction games with Ms Vance.',
  });
  /** Every fragment of personal data sent, lower-cased. */
  const secrets = [
    'teodora',
    'quillfeather',
    'milo',
    'brightwater',
    'parent.brightwater',
    'fraction games',
    'ms vance',
  ];

  interface StudentRow {
    id: string;
    name: string;
    name_hash: string;
    email: string | null;
    email_index: string | null;
    parent_email: string | null;
    parent_email_index: string | null;
    updated_at: Date;
    json: string;
  }
  const studentRow = async (externalId: string): Promise<StudentRow> =>
    (
      await t.dataSource.query(
        `SELECT s.*, row_to_json(s)::text AS json FROM students s WHERE external_id = $1`,
        [externalId],
      )
    )[0];
  const feedbackRow = async (
    externalId: string,
  ): Promise<{ free_text: string | null; free_text_hash: string | null; json: string }> =>
    (
      await t.dataSource.query(
        `SELECT f.*, row_to_json(f)::text AS json FROM student_feedback f WHERE external_id = $1`,
        [externalId],
      )
    )[0];

  beforeAll(async () => {
    t = await startTestApp();
    students = t.app.get(StudentsService);
    expect((await post('tutors', { items: [tutor] }).expect(200)).body.summary.created).toBe(1);
    const res = await post('students', { items: [teen, child] }).expect(200);
    expect(res.body.summary).toEqual({ created: 2, updated: 0, unchanged: 0, rejected: 0 });
    // COPPA: the child's name is stored only after a parent's verified consent
    // (the emailed link; here straight in the database), with the next ingestion.
    await t.dataSource.query(
      `UPDATE students SET parent_consent_status = 'granted', parent_consent_at = now() WHERE external_id = $1`,
      [child.externalId],
    );
    expect((await post('students', { items: [child] }).expect(200)).body.summary.updated).toBe(1);
    await post('sessions', { items: [session] }).expect(200);
    expect((await post('feedback', { items: [feedback] }).expect(200)).body.summary.created).toBe(
      1,
    );
  });
  afterAll(() => t.close());

  it('stores ciphertext with its key id and no plaintext: the raw rows read with SQL', async () => {
    const rows = [await studentRow(teen.externalId), await studentRow(child.externalId)];
    const comment = await feedbackRow(feedback.externalId);
    for (const json of [...rows.map((r) => r.json), comment.json]) {
      const text = json.toLowerCase();
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
    const sealed = /^enc1:dev1:[\w-]+:[\w-]+:[\w-]+$/;
    expect(rows[0].name).toMatch(sealed);
    expect(rows[0].email).toMatch(sealed);
    expect(rows[0].parent_email).toBeNull();
    expect(rows[1].name).toMatch(sealed);
    expect(rows[1].email).toBeNull();
    expect(rows[1].parent_email).toMatch(sealed);
    expect(comment.free_text).toMatch(sealed);
    // Hashes beside them: present exactly where a value is.
    expect(rows[0].name_hash).toMatch(/^[\w-]{43}$/);
    expect(rows[0].email_index).toMatch(/^[\w-]{43}$/);
    expect(rows[0].parent_email_index).toBeNull();
    expect(rows[1].parent_email_index).toMatch(/^[\w-]{43}$/);
    expect(comment.free_text_hash).toMatch(/^[\w-]{43}$/);
    // Decrypted with the app's key, the values are the ones sent (emails lower-cased).
    const cipher = t.app.get(FieldCipher);
    expect(cipher.decrypt(rows[0].name)).toBe('Teodora Quillfeather');
    expect(cipher.decrypt(rows[0].email!)).toBe('teodora.quillfeather@example.invalid');
    expect(cipher.decrypt(rows[1].parent_email!)).toBe('parent.brightwater@example.invalid');
    expect(cipher.decrypt(comment.free_text!)).toBe(feedback.freeText);
  });

  it('answers the read API in plaintext, without the hashes', async () => {
    const list = await get(`/api/v1/students?externalId=${teen.externalId}`).expect(200);
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0]).toMatchObject({
      name: 'Teodora Quillfeather',
      email: 'teodora.quillfeather@example.invalid',
      parentEmail: null,
    });
    const { id } = await studentRow(child.externalId);
    const one = await get(`/api/v1/students/${id}`).expect(200);
    expect(one.body).toMatchObject({
      name: 'Milo Brightwater',
      email: null,
      parentEmail: 'parent.brightwater@example.invalid',
    });
    const fb = await get('/api/v1/feedback').expect(200);
    expect(fb.body.items.map((f: { freeText: string }) => f.freeText)).toEqual([feedback.freeText]);
    for (const body of [list.body.items[0], one.body, fb.body.items[0]]) {
      for (const key of ['nameHash', 'emailIndex', 'parentEmailIndex', 'freeTextHash'])
        expect(body).not.toHaveProperty(key);
    }
  });

  it('reports a re-sent batch as unchanged and leaves the stored ciphertext as it was', async () => {
    const before = [await studentRow(teen.externalId), await studentRow(child.externalId)];
    const fbBefore = await feedbackRow(feedback.externalId);
    const res = await post('students', { items: [teen, child] }).expect(200);
    expect(res.body.summary).toEqual({ created: 0, updated: 0, unchanged: 2, rejected: 0 });
    const fb = await post('feedback', { items: [feedback] }).expect(200);
    expect(fb.body.summary).toEqual({ created: 0, updated: 0, unchanged: 1, rejected: 0 });
    expect([await studentRow(teen.externalId), await studentRow(child.externalId)]).toEqual(before);
    expect(await feedbackRow(feedback.externalId)).toEqual(fbBefore);
  });

  it('reports a changed name as updated and rewrites only that ciphertext', async () => {
    const before = await studentRow(teen.externalId);
    const renamed = { ...teen, name: 'Teodora Quillfeather-Marsh' };
    const res = await post('students', { items: [renamed, child] }).expect(200);
    expect(res.body.summary).toEqual({ created: 0, updated: 1, unchanged: 1, rejected: 0 });
    expect(res.body.results[0].status).toBe('updated');
    const after = await studentRow(teen.externalId);
    expect(after.name).not.toBe(before.name);
    expect(after.name_hash).not.toBe(before.name_hash);
    expect(after.email).toBe(before.email);
    expect(after.email_index).toBe(before.email_index);
    const api = await get(`/api/v1/students/${after.id}`).expect(200);
    expect(api.body.name).toBe('Teodora Quillfeather-Marsh');
    // The same email in another case is the same email: unchanged.
    const again = await post('students', {
      items: [{ ...renamed, email: 'TEODORA.QUILLFEATHER@example.invalid' }],
    }).expect(200);
    expect(again.body.summary.unchanged).toBe(1);
  });

  it('reports a changed or removed comment as updated', async () => {
    const before = await feedbackRow(feedback.externalId);
    const changed = await post('feedback', {
      items: [{ ...feedback, freeText: 'Great with fractions.' }],
    }).expect(200);
    expect(changed.body.summary.updated).toBe(1);
    const after = await feedbackRow(feedback.externalId);
    expect(after.free_text_hash).not.toBe(before.free_text_hash);
    const removed = await post('feedback', {
      items: [{ ...feedback, freeText: undefined }],
    }).expect(200);
    expect(removed.body.summary.updated).toBe(1);
    expect(await feedbackRow(feedback.externalId)).toMatchObject({
      free_text: null,
      free_text_hash: null,
    });
  });

  it('finds students by parent email and by email through the blind indexes', async () => {
    const sibling = studentItem({
      name: 'Nell Brightwater',
      birthYear: year - 7,
      parentEmail: 'parent.brightwater@example.invalid',
    });
    await post('students', { items: [sibling] }).expect(200);
    const found = await students.findByParentEmail('  PARENT.Brightwater@example.INVALID ');
    // Nell's parent has not consented yet: her name is not stored.
    expect(found.map((s) => [s.externalId, s.name, s.parentEmail]).sort()).toEqual(
      [
        [child.externalId, 'Milo Brightwater', 'parent.brightwater@example.invalid'],
        [sibling.externalId, WITHHELD_STUDENT_NAME, 'parent.brightwater@example.invalid'],
      ].sort(),
    );
    expect(found.every((s) => s instanceof Student)).toBe(true);
    expect((await students.findByEmail('teodora.quillfeather@example.invalid'))[0]).toMatchObject({
      externalId: teen.externalId,
      name: 'Teodora Quillfeather-Marsh',
    });
    expect(await students.findByParentEmail('nobody@example.invalid')).toEqual([]);
    // A parent email is an email, not a student's own: the indexes are separate columns.
    expect(await students.findByEmail('parent.brightwater@example.invalid')).toEqual([]);

    await post('students', {
      items: [{ ...sibling, parentEmail: 'guardian.brightwater@example.invalid' }],
    }).expect(200);
    expect(
      (await students.findByParentEmail('parent.brightwater@example.invalid')).map(
        (s) => s.externalId,
      ),
    ).toEqual([child.externalId]);
    expect(
      (await students.findByParentEmail('guardian.brightwater@example.invalid')).map(
        (s) => s.externalId,
      ),
    ).toEqual([sibling.externalId]);
  });

  it('encrypts and hashes a student saved through the ORM', async () => {
    const repo = t.dataSource.getRepository(Student);
    const saved = await repo.save(
      repo.create({
        externalId: 'orm-1',
        name: 'Orla Finch',
        birthYear: year - 10,
        birthMonth: 3,
        gradeLevel: null,
        email: null,
        subjectsInterested: [],
        parentEmail: 'orla.parent@example.invalid',
        parentConsentStatus: 'granted',
        parentConsentAt: new Date(),
      }),
    );
    const row = await studentRow('orm-1');
    expect(row.name).toMatch(/^enc1:dev1:/);
    expect(row.json.toLowerCase()).not.toContain('orla');
    expect((await students.findByParentEmail('orla.parent@example.invalid'))[0]).toMatchObject({
      id: saved.id,
      name: 'Orla Finch',
    });
    // An update through the ORM keeps the hash in step: re-sending the new name is unchanged.
    saved.name = 'Orla Finch-Hale';
    await repo.save(saved);
    const res = await post('students', {
      items: [
        {
          externalId: 'orm-1',
          name: 'Orla Finch-Hale',
          birthYear: year - 10,
          birthMonth: 3,
          parentEmail: 'orla.parent@example.invalid',
        },
      ],
    }).expect(200);
    expect(res.body.summary.unchanged).toBe(1);
  });
});
