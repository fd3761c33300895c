import { gunzipSync } from 'node:zlib';
import request from 'supertest';
import { AuditService } from '../src/audit/audit.service';
import { Clock } from '../src/common/clock';
import { FieldCipher } from '../src/security/field-cipher';
import { apiSignIn, browserSignIn, createUser } from './helpers/auth';
import { scanDatabase } from './helpers/database-scan';
import { completedSession, feedbackItem, studentItem, tutorItem } from './helpers/fixtures';
import { ingest } from './helpers/ingest';
import { startTestApp, TestApp } from './helpers/test-app';
import { waitForIdle } from './helpers/workers';

const DAY = 86_400_000;
/** The education-record tables, in the order a restore puts them back. */
const TABLES: [string, string][] = [
  ['students', 'id'],
  ['student_privacy_settings', 'student_id'],
  ['parental_consents', 'student_id'],
  ['sessions', 'student_id'],
  ['first_session_predictions', 'student_id'],
  ['student_feedback', 'student_id'],
];

describe('retention: education-record archive and restore, inactive anonymisation, audit pruning', () => {
  let t: TestApp;
  let clock: jest.SpyInstance<Date, []>;
  const token: Record<string, string> = {};
  const tobias = tutorItem({ name: 'Tobias Wexford', email: 'tobias.w@example.invalid' });
  const ottoline = tutorItem({ name: 'Ottoline Brackenbury' });
  const PERSEPHONE_EMAIL = 'persephone.a@example.invalid';
  const persephone = studentItem({ name: 'Persephone Albright', email: PERSEPHONE_EMAIL });
  const rowena = studentItem({ name: 'Rowena Hartigan' });
  const cassius = studentItem({ name: 'Cassius Pemberton' });
  let tutorId: string;
  let otherTutorId: string;
  let studentA: string;
  let heldB: string;
  let studentC: string;
  let tutorUser: { id: string };
  let studentUser: { id: string };
  let adminId: string;
  let opsId: string;
  let heldAuditSeq: string;
  let browser: Awaited<ReturnType<typeof browserSignIn>>;
  const SEVEN = new Date(Date.now() + (2555 + 30) * DAY);
  const later = (days: number) => new Date(SEVEN.getTime() + days * DAY);

  const api = (who: string) => ({
    get: (path: string) => request(t.http).get(path).set('Authorization', `Bearer ${token[who]}`),
    post: (path: string, body: object = {}) =>
      request(t.http).post(path).set('Authorization', `Bearer ${token[who]}`).send(body),
  });
  const sweep = async () =>
    (await api('admin').post('/api/v1/compliance/retention/sweep').expect(201)).body as {
      due: Record<string, number>;
      acted: Record<string, number>;
    };
  const enable = (key: string, enabled = true) =>
    api('admin').post(`/api/v1/compliance/retention/${key}/acting`, { enabled }).expect(201);
  const q = <T = Record<string, unknown>>(sql: string, params: unknown[] = []) =>
    t.dataSource.query(sql, params) as Promise<T[]>;
  const count = async (sql: string, params: unknown[] = []) =>
    (await q<{ n: number }>(sql, params))[0].n;
  /** Every education-record row of a student, as JSON, per table. */
  const snapshot = async (studentId: string) => {
    const out: Record<string, unknown[]> = {};
    for (const [table, column] of TABLES)
      out[table] = (
        await q<{ r: unknown }>(`SELECT to_jsonb(x) AS r FROM ${table} x WHERE x.${column} = $1`, [
          studentId,
        ])
      ).map((x) => x.r);
    for (const table of Object.keys(out))
      out[table].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    return out;
  };
  const archivedFor = (studentId: string) =>
    count('SELECT count(*)::int AS n FROM archive.records WHERE subject_id = $1', [studentId]);
  const studentName = async (id: string) => {
    const [row] = await q<{ name: string }>('SELECT name FROM students WHERE id = $1', [id]);
    return row ? t.app.get(FieldCipher).decrypt(row.name) : null;
  };
  const createRequest = async (subjectUserId: string, kind: string) => {
    const r = await api('admin')
      .post('/api/v1/compliance/gdpr-requests', { subjectUserId, kind })
      .expect(201);
    await api('admin').post(`/api/v1/compliance/gdpr-requests/${r.body.id}/complete`).expect(201);
    return r.body.id as string;
  };

  beforeAll(async () => {
    t = await startTestApp();
    [{ id: tutorId }, { id: otherTutorId }] = (await ingest(t.http, 'tutors', [
      tobias,
      ottoline,
    ])) as { id: string }[];
    [{ id: studentA }, { id: heldB }, { id: studentC }] = (await ingest(t.http, 'students', [
      persephone,
      rowena,
      cassius,
    ])) as { id: string }[];
    const sessions = [
      completedSession(tobias.externalId, persephone.externalId),
      completedSession(tobias.externalId, persephone.externalId, { sessionNumber: undefined }),
      completedSession(tobias.externalId, rowena.externalId),
      completedSession(tobias.externalId, cassius.externalId),
      completedSession(ottoline.externalId, rowena.externalId),
    ];
    await ingest(t.http, 'sessions', sessions);
    await ingest(t.http, 'feedback', [
      feedbackItem(sessions[0].externalId, { freeText: 'Tobias Wexford made fractions easy.' }),
      feedbackItem(sessions[2].externalId, { freeText: 'Tobias Wexford is great.' }),
      feedbackItem(sessions[3].externalId, { freeText: 'Tobias Wexford was patient with me.' }),
    ]);
    tutorUser = await createUser(t, ['tutor'], {
      email: tobias.email,
      fullName: tobias.name,
      tutorId,
    });
    studentUser = await createUser(t, ['student'], {
      email: PERSEPHONE_EMAIL,
      fullName: persephone.name,
      studentId: studentA,
    });
    const admin = await createUser(t, ['admin']);
    const ops = await createUser(t, ['operations_manager']);
    adminId = admin.id;
    opsId = ops.id;
    token.admin = (await apiSignIn(t, admin.email, admin.password, '198.18.40.1')).accessToken;
    token.ops = (await apiSignIn(t, ops.email, ops.password, '198.18.40.2')).accessToken;
    browser = await browserSignIn(t, admin.email, admin.password, '198.51.100.40');
    await t.dataSource.query(
      `INSERT INTO legal_holds (student_id, reason) VALUES ($1, 'Safeguarding investigation')`,
      [heldB],
    );
    // An audited read of the held student's records: the audit log is kept from here on.
    heldAuditSeq = (
      await t.app.get(AuditService).record({
        action: 'student_records.read',
        outcome: 'success',
        actor: { type: 'user', id: adminId },
        resourceType: 'student',
        resourceId: heldB,
      })
    ).seq;
    await waitForIdle(t, 120_000);
    clock = jest.spyOn(t.app.get(Clock), 'now');
  }, 180_000);
  afterAll(async () => {
    clock?.mockRestore();
    await t?.close();
  });

  it('refuses the archive, restore and retention switches to non-admins and to anonymous callers', async () => {
    await api('ops').get('/api/v1/compliance/retention/archive').expect(403);
    await api('ops').get(`/api/v1/compliance/retention/archive?subject=${studentA}`).expect(403);
    await api('ops').post(`/api/v1/compliance/retention/archive/${studentA}/restore`).expect(403);
    await api('ops')
      .post('/api/v1/compliance/retention/education_records/acting', {
        enabled: true,
      })
      .expect(403);
    await api('ops').post('/api/v1/compliance/retention/sweep').expect(403);
    await request(t.http).get('/api/v1/compliance/retention/archive').expect(401);
    await request(t.http)
      .post(`/api/v1/compliance/retention/archive/${studentA}/restore`)
      .expect(401);
    await api('admin').get('/api/v1/compliance/retention/archive?subject=nope').expect(400);
  });

  it('7 years on, the report counts the new classes but nothing is touched until enabled', async () => {
    clock.mockReturnValue(SEVEN);
    const before = await snapshot(studentA);
    const run = await sweep();
    expect(run.due.education_records).toBe(2); // A and C; B is under legal hold
    expect(run.due.inactive_personal_data).toBeGreaterThanOrEqual(4);
    expect(run.due.audit_log).toBeGreaterThan(0);
    expect(run.due.education_archive).toBe(0);
    expect(run.acted).toEqual({});
    expect(await snapshot(studentA)).toEqual(before);
    expect(await count('SELECT count(*)::int AS n FROM archive.records')).toBe(0);
    expect(await count('SELECT min(seq)::int AS n FROM audit_log')).toBe(1);
    const [tutor] = await q<{ name: string }>('SELECT name FROM tutors WHERE id = $1', [tutorId]);
    expect(tutor.name).toBe('Tobias Wexford');
    const page = await browser.agent.get('/compliance/retention').expect(200);
    expect(page.text).toContain('Archived education records (10 years after last activity');
    expect(page.text).not.toContain('not built yet');
  });

  let snapshotA: Record<string, unknown[]>;
  it('archives education records as compressed JSON and deletes them from the live tables', async () => {
    clock.mockReturnValue(SEVEN);
    snapshotA = await snapshot(studentA);
    expect(snapshotA.sessions).toHaveLength(2);
    expect(snapshotA.student_feedback).toHaveLength(1);
    await enable('education_records');
    const run = await sweep();
    expect(run.acted.education_records).toBe(2);
    const emptied = await snapshot(studentA);
    for (const table of Object.keys(emptied)) expect(emptied[table]).toEqual([]);
    const archived = await q<{
      class_key: string;
      source_table: string;
      original_id: string;
      subject_id: string;
      archived_at: Date;
      payload: Buffer;
    }>('SELECT * FROM archive.records WHERE subject_id = $1 ORDER BY id', [studentA]);
    const total = Object.values(snapshotA).reduce((a, rows) => a + rows.length, 0);
    expect(archived).toHaveLength(total);
    for (const a of archived) {
      expect(a.class_key).toBe('education_records');
      expect(a.payload.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b])); // gzip
      expect(new Date(a.archived_at).getTime()).toBe(SEVEN.getTime());
    }
    const student = archived.find((a) => a.source_table === 'students')!;
    expect(student.original_id).toBe(studentA);
    const doc = gunzipSync(student.payload).toString('utf8');
    expect(JSON.parse(doc).row.id).toBe(studentA);
    expect(doc).not.toContain('Persephone'); // still encrypted inside the archive
    const [user] = await q<{ student_id: string | null }>(
      'SELECT student_id FROM users WHERE id = $1',
      [studentUser.id],
    );
    expect(user.student_id).toBeNull();
    // The held student is untouched; the tutor stays.
    expect(await studentName(heldB)).toBe('Rowena Hartigan');
    expect(
      await count('SELECT count(*)::int AS n FROM sessions WHERE student_id = $1', [heldB]),
    ).toBe(2);
    expect(await archivedFor(heldB)).toBe(0);
    expect(await archivedFor(studentC)).toBeGreaterThanOrEqual(3);
    const audit = await q<{ resource_id: string }>(
      `SELECT resource_id FROM audit_log WHERE action = 'retention.archived' ORDER BY resource_id`,
    );
    expect(audit.map((a) => a.resource_id)).toEqual([studentA, studentC].sort());
  });

  it('an admin lists a student’s archived records (by student or user id) and restores them as they were', async () => {
    clock.mockReturnValue(SEVEN);
    const byStudent = await api('admin')
      .get(`/api/v1/compliance/retention/archive?subject=${studentA}`)
      .expect(200);
    const byUser = await api('admin')
      .get(`/api/v1/compliance/retention/archive?subject=${studentUser.id}`)
      .expect(200);
    expect(byUser.body.items).toEqual(byStudent.body.items);
    expect(byStudent.body.studentId).toBe(studentA);
    expect(byStudent.body.items.map((i: { sourceTable: string }) => i.sourceTable)).toEqual(
      TABLES.flatMap(([table]) => Array(snapshotA[table].length).fill(table)),
    );
    expect(Date.parse(byStudent.body.items[0].deleteAfter) - SEVEN.getTime()).toBe(1095 * DAY);
    const recent = await api('admin').get('/api/v1/compliance/retention/archive').expect(200);
    expect(recent.body.subjects.map((s: { subjectId: string }) => s.subjectId).sort()).toEqual(
      [studentA, studentC].sort(),
    );
    const page = await browser.agent
      .get(`/compliance/retention/archive?subject=${studentA}`)
      .expect(200);
    expect(page.text).toContain('Restore all of them');
    expect(page.text).toContain((snapshotA.sessions[0] as { id: string }).id);

    const restored = await api('admin')
      .post(`/api/v1/compliance/retention/archive/${studentA}/restore`)
      .expect(201);
    expect(restored.body.restored.students).toBe(1);
    expect(restored.body.restored.sessions).toBe(2);
    expect(restored.body.relinkedUsers).toBe(1);
    expect(await snapshot(studentA)).toEqual(snapshotA);
    expect(await archivedFor(studentA)).toBe(0);
    const [user] = await q<{ student_id: string | null }>(
      'SELECT student_id FROM users WHERE id = $1',
      [studentUser.id],
    );
    expect(user.student_id).toBe(studentA);
    const [audit] = await q<{ actor_id: string; details: { tables: Record<string, number> } }>(
      `SELECT actor_id, details FROM audit_log WHERE action = 'retention.restored' AND resource_id = $1`,
      [studentA],
    );
    expect(audit.actor_id).toBe(adminId);
    expect(audit.details.tables.sessions).toBe(2);
    await api('admin').post(`/api/v1/compliance/retention/archive/${studentA}/restore`).expect(404);
    // Not archived again straight away: a restored student has 90 days.
    const run = await sweep();
    expect(run.due.education_records).toBe(0);
    expect(await archivedFor(studentA)).toBe(0);
  });

  it('GDPR access reaches the archive; erasure scrubs it and deletes the subject’s archived records', async () => {
    clock.mockReturnValue(later(100));
    const run = await sweep();
    expect(run.acted.education_records).toBe(1); // A again, after the 90 days
    expect(await archivedFor(studentA)).toBeGreaterThanOrEqual(4);

    const access = await createRequest(studentUser.id, 'access');
    const archive = JSON.parse(
      (await api('admin').get(`/api/v1/compliance/gdpr-requests/${access}/archive`).expect(200))
        .text,
    );
    const rows = archive.tables.archived_education_records.rows as {
      sourceTable: string;
      record: Record<string, unknown>;
    }[];
    expect(rows.find((r) => r.sourceTable === 'students')!.record.name).toBe('Persephone Albright');
    expect(rows.filter((r) => r.sourceTable === 'sessions')).toHaveLength(2);
    expect(archive.tables.archived_education_records.csv).toContain('sourceTable');

    // The tutor's erasure reaches the comments about them in archived feedback (A's and C's).
    await createRequest(tutorUser.id, 'erasure');
    const tutorNeedles = ['Tobias', 'Wexford', tobias.email, tobias.externalId];
    const afterTutor = await scanDatabase(t, tutorNeedles);
    expect(afterTutor.found).toEqual([]);
    expect(afterTutor.compressedValues).toBeGreaterThanOrEqual(7);
    const feedbackC = await q<{ payload: Buffer }>(
      `SELECT payload FROM archive.records WHERE subject_id = $1 AND source_table = 'student_feedback'`,
      [studentC],
    );
    const freeText = JSON.parse(gunzipSync(feedbackC[0].payload).toString('utf8')).row.free_text;
    expect(t.app.get(FieldCipher).decrypt(freeText)).toBe('[erased] was patient with me.');

    // The student's erasure deletes their archived records; nothing of either is left anywhere.
    await createRequest(studentUser.id, 'erasure');
    expect(await archivedFor(studentA)).toBe(0);
    const all = await scanDatabase(t, [
      ...tutorNeedles,
      'Persephone',
      'Albright',
      PERSEPHONE_EMAIL,
      persephone.externalId,
    ]);
    expect(all.found).toEqual([]);
    expect(await archivedFor(studentC)).toBeGreaterThanOrEqual(3);
  });

  it('prunes audit rows older than 7 years up to the first row about a held person; the chain still verifies and tampering is still caught', async () => {
    clock.mockReturnValue(later(100));
    const cut = new Date(later(100).getTime() - 2555 * DAY);
    const old = await count('SELECT count(*)::int AS n FROM audit_log WHERE occurred_at < $1', [
      cut,
    ]);
    expect(old).toBeGreaterThan(Number(heldAuditSeq));
    await enable('audit_log');
    const run = await sweep();
    expect(run.acted.audit_log).toBe(Number(heldAuditSeq) - 1);
    expect(await count('SELECT min(seq)::int AS n FROM audit_log')).toBe(Number(heldAuditSeq));
    const [anchor] = await q<{ seq: string }>('SELECT seq::text AS seq FROM audit_anchor');
    expect(anchor.seq).toBe(String(Number(heldAuditSeq) - 1));
    const audit = t.app.get(AuditService);
    expect(await audit.verify()).toMatchObject({ ok: true, anchorSeq: anchor.seq });
    const [marker] = await q<{ details: { anchorSeq: string } }>(
      `SELECT details FROM audit_log WHERE action = 'audit.pruned'`,
    );
    expect(marker.details.anchorSeq).toBe(anchor.seq);
    // Rows are still removed only by pruning.
    await expect(
      t.dataSource.query('DELETE FROM audit_log WHERE seq = $1', [heldAuditSeq]),
    ).rejects.toThrow(/append-only/);
  });

  it('deletes archived records when their 3 archive years end, and audits it', async () => {
    clock.mockReturnValue(later(1095 + 10));
    const report = await sweep();
    const due = await archivedFor(studentC);
    expect(report.due.education_archive).toBe(due);
    expect(report.acted.education_archive).toBeUndefined();
    await enable('education_archive');
    const run = await sweep();
    expect(run.acted.education_archive).toBe(due);
    expect(await count('SELECT count(*)::int AS n FROM archive.records')).toBe(0);
    const audit = await q<{ resource_id: string; details: { records: number } }>(
      `SELECT resource_id, details FROM audit_log WHERE action = 'retention.archive_deleted'`,
    );
    expect(audit).toEqual([
      { resource_id: studentC, details: expect.objectContaining({ records: due }) },
    ]);
  });

  it('anonymises people inactive for 3 years, keeps aggregates, skips the held and the active', async () => {
    const now = later(1095 + 10);
    clock.mockReturnValue(now);
    await enable('education_records', false);
    // The admin signed in lately; the operations manager has not for years.
    await t.dataSource.query('UPDATE users SET last_login_at = $2 WHERE id = $1', [adminId, now]);
    const sessionsBefore = await count(
      'SELECT count(*)::int AS n FROM sessions WHERE tutor_id = $1',
      [otherTutorId],
    );
    await api('ops').get('/api/v1/me').expect(200);
    const report = await sweep();
    expect(report.due.inactive_personal_data).toBe(2);
    expect(report.acted.inactive_personal_data).toBeUndefined();
    const [ottolineRow] = await q<{ name: string }>('SELECT name FROM tutors WHERE id = $1', [
      otherTutorId,
    ]);
    expect(ottolineRow.name).toBe('Ottoline Brackenbury');

    await enable('inactive_personal_data');
    const run = await sweep();
    expect(run.acted.inactive_personal_data).toBe(2);
    const [tutor] = await q<{ name: string; email: string }>(
      'SELECT name, email FROM tutors WHERE id = $1',
      [otherTutorId],
    );
    expect(tutor.name).toBe('Erased tutor');
    expect(tutor.email).toMatch(/@erased\.invalid$/);
    const [ops] = await q<{ email: string; is_active: boolean }>(
      'SELECT email, is_active FROM users WHERE id = $1',
      [opsId],
    );
    expect(ops).toEqual({ email: expect.stringMatching(/^erased-/), is_active: false });
    await api('ops').get('/api/v1/me').expect(401);
    expect(
      await count('SELECT count(*)::int AS n FROM sessions WHERE tutor_id = $1', [otherTutorId]),
    ).toBe(sessionsBefore);
    expect(await studentName(heldB)).toBe('Rowena Hartigan');
    const [admin] = await q<{ is_active: boolean }>('SELECT is_active FROM users WHERE id = $1', [
      adminId,
    ]);
    expect(admin.is_active).toBe(true);
    const audit = await q<{ resource_type: string; resource_id: string }>(
      `SELECT resource_type, resource_id FROM audit_log WHERE action = 'retention.anonymised' ORDER BY resource_type`,
    );
    expect(audit).toEqual([
      { resource_type: 'tutor', resource_id: otherTutorId },
      { resource_type: 'user', resource_id: opsId },
    ]);
    const again = await sweep();
    expect(again.due.inactive_personal_data).toBe(0);
  });

  it('after pruning, an edited audit row is still detected', async () => {
    const audit = t.app.get(AuditService);
    expect((await audit.verify()).ok).toBe(true);
    await t.dataSource.transaction(async (m) => {
      await m.query('SET LOCAL session_replication_role = replica');
      await m.query(`UPDATE audit_log SET details = '{"forged":true}' WHERE seq = $1`, [
        Number(heldAuditSeq) + 1,
      ]);
    });
    expect(await audit.verify()).toMatchObject({
      ok: false,
      problem: 'edited',
      seq: String(Number(heldAuditSeq) + 1),
    });
  });
});
