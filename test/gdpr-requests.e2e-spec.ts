import { existsSync, readFileSync } from 'node:fs';
import request from 'supertest';
import { FieldCipher } from '../src/security/field-cipher';
import { emailBlindIndex } from '../src/security/keyed-hash';
import { apiSignIn, browserSignIn, createUser } from './helpers/auth';
import { scanDatabase } from './helpers/database-scan';
import { completedSession, feedbackItem, studentItem, tutorItem } from './helpers/fixtures';
import { ingest } from './helpers/ingest';
import { startTestApp, TestApp } from './helpers/test-app';

const DAY = 86_400_000;

describe('GDPR requests: tracked, answered, and erasure that leaves nothing behind', () => {
  let t: TestApp;
  const tutor = tutorItem({ name: 'Zebulon Quackenbush', email: 'zebulon.q@example.invalid' });
  const STUDENT_EMAIL = 'marigold.t@example.invalid';
  const student = studentItem({ name: 'Marigold Thistlewood', email: STUDENT_EMAIL });
  let tutorId: string;
  let studentId: string;
  let tutorUser: { id: string; email: string; password: string };
  let studentUser: { id: string; email: string; password: string };
  const token: Record<string, string> = {};
  let n = 0;

  const api = (who: string) => ({
    get: (path: string) => request(t.http).get(path).set('Authorization', `Bearer ${token[who]}`),
    post: (path: string, body: object = {}) =>
      request(t.http).post(path).set('Authorization', `Bearer ${token[who]}`).send(body),
    put: (path: string, body: object) =>
      request(t.http).put(path).set('Authorization', `Bearer ${token[who]}`).send(body),
  });
  const signIn = async (name: string, user: { email: string; password: string }) => {
    token[name] = (await apiSignIn(t, user.email, user.password, `198.18.9.${++n}`)).accessToken;
  };
  const ask = async (who: string, body: object) =>
    (await api(who).post('/api/v1/privacy/requests', body).expect(201)).body as {
      id: string;
      receivedAt: string;
      dueAt: string;
      sla: string;
    };
  const complete = (id: string) =>
    api('admin').post(`/api/v1/compliance/gdpr-requests/${id}/complete`);

  beforeAll(async () => {
    t = await startTestApp();
    [{ id: tutorId }] = (await ingest(t.http, 'tutors', [tutor])) as { id: string }[];
    [{ id: studentId }] = (await ingest(t.http, 'students', [student])) as { id: string }[];
    const sessions = [
      completedSession(tutor.externalId, student.externalId),
      completedSession(tutor.externalId, student.externalId, { sessionNumber: undefined }),
    ];
    await ingest(t.http, 'sessions', sessions);
    await ingest(t.http, 'feedback', [
      feedbackItem(sessions[0].externalId, { freeText: 'Zebulon Quackenbush explained well.' }),
    ]);
    tutorUser = await createUser(t, ['tutor'], {
      email: tutor.email,
      fullName: tutor.name,
      tutorId,
    });
    studentUser = await createUser(t, ['student'], {
      email: STUDENT_EMAIL,
      fullName: student.name,
      studentId,
    });
    const admin = await createUser(t, ['admin']);
    const ops = await createUser(t, ['operations_manager']);
    await signIn('tutor', tutorUser);
    await signIn('student', studentUser);
    await signIn('admin', admin);
    await signIn('ops', ops);
    // Churn scores (the prediction module's tables) and an intervention naming the tutor.
    await t.dataSource.query(
      `INSERT INTO tutor_risk (tutor_id, churn_score, band, scored_score, probabilities, top_factors, model_version, as_of, scored_at)
       VALUES ($1, 72, 'high', 72, '{"30d":0.72}', '[{"feature":"no_show_rate","contribution":0.3}]', 'v1', now(), now())
       ON CONFLICT (tutor_id) DO NOTHING`,
      [tutorId],
    );
    await t.dataSource.query(
      `INSERT INTO tutor_risk_scores (tutor_id, churn_score, band, probabilities, top_factors, model_version, as_of, scored_at)
       VALUES ($1, 60, 'high', '{}', '[]', 'v1', now() - interval '400 days', now())`,
      [tutorId],
    );
    const iv = await api('ops')
      .post('/api/v1/interventions', {
        tutorId,
        type: 'retention_interview',
        priority: 'high',
        reason: 'Zebulon Quackenbush (zebulon.q@example.invalid) missed sessions',
      })
      .expect(201);
    await api('ops')
      .post(`/api/v1/interventions/${iv.body.id}/notes`, {
        body: 'Called Zebulon Quackenbush today',
      })
      .expect((res) => expect([200, 201]).toContain(res.status));
  });
  afterAll(() => t.close());

  it('a request is received with a due date 30 calendar days later and listed for the person and staff', async () => {
    const r = await ask('student', { kind: 'access' });
    expect(Date.parse(r.dueAt) - Date.parse(r.receivedAt)).toBe(30 * DAY);
    expect(r.sla).toBe('on_track');
    const own = await api('student').get('/api/v1/privacy/requests').expect(200);
    expect(own.body.items.map((i: { id: string }) => i.id)).toContain(r.id);
    const mine = await api('tutor').get('/api/v1/privacy/requests').expect(200);
    expect(mine.body.items.map((i: { id: string }) => i.id)).not.toContain(r.id);
    const queue = await api('admin')
      .get('/api/v1/compliance/gdpr-requests?status=received')
      .expect(200);
    expect(queue.body.items.map((i: { id: string }) => i.id)).toContain(r.id);
    await api('ops').get('/api/v1/compliance/gdpr-requests').expect(403);
    await api('student').post(`/api/v1/compliance/gdpr-requests/${r.id}/complete`).expect(403);
  });

  it('access: one archive with JSON and CSV per table; only the person and admins download it', async () => {
    const r = await ask('student', { kind: 'access' });
    await api('student').get(`/api/v1/privacy/requests/${r.id}/archive`).expect(409);
    await complete(r.id).expect(201);
    const res = await api('student').get(`/api/v1/privacy/requests/${r.id}/archive`).expect(200);
    expect(res.headers['content-disposition']).toMatch(
      /attachment; filename="tutormax-data-.*\.json"/,
    );
    const archive = JSON.parse(res.text);
    expect(archive.tables.students.rows[0].name).toBe('Marigold Thistlewood');
    expect(archive.tables.students.csv.split('\r\n')[0]).toContain('name');
    expect(archive.tables.feedback_given.rows).toHaveLength(1);
    expect(archive.tables.account.rows[0].email).toBe(STUDENT_EMAIL);
    expect(archive.churnModel).toBeNull();
    await api('tutor').get(`/api/v1/privacy/requests/${r.id}/archive`).expect(403);
    await api('admin').get(`/api/v1/compliance/gdpr-requests/${r.id}/archive`).expect(200);
  });

  it('portability for a tutor includes churn scores and a plain-language explanation of the model', async () => {
    const r = await ask('tutor', { kind: 'portability' });
    await complete(r.id).expect(201);
    const archive = JSON.parse(
      (await api('tutor').get(`/api/v1/privacy/requests/${r.id}/archive`).expect(200)).text,
    );
    const [current] = await t.dataSource.query(
      'SELECT churn_score FROM tutor_risk WHERE tutor_id = $1',
      [tutorId],
    );
    expect(archive.tables.churn_risk_current.rows[0].churn_score).toBe(current.churn_score);
    const [history] = await t.dataSource.query(
      'SELECT count(*)::int AS n FROM tutor_risk_scores WHERE tutor_id = $1',
      [tutorId],
    );
    expect(history.n).toBeGreaterThanOrEqual(1);
    expect(archive.tables.churn_risk_history.rows).toHaveLength(history.n);
    expect(archive.tables.churn_risk_history.csv).toContain('churn_score');
    expect(archive.churnModel).toMatch(/no-show/i);
    expect(archive.churnModel).toMatch(/object/i);
    // Feedback about the tutor is shown without the student.
    expect(archive.tables.feedback_received.rows[0]).not.toHaveProperty('studentId');
  });

  it('rectification changes only whitelisted fields', async () => {
    const bad = await api('student')
      .post('/api/v1/privacy/requests', { kind: 'rectification', changes: { roles: 'admin' } })
      .expect(400);
    expect(bad.body.message).toMatch(/cannot be rectified: roles/);
    const r = await ask('student', {
      kind: 'rectification',
      changes: { studentGradeLevel: '11' },
    });
    await complete(r.id).expect(201);
    const [row] = await t.dataSource.query('SELECT grade_level FROM students WHERE id = $1', [
      studentId,
    ]);
    expect(row.grade_level).toBe('11');
  });

  it('consent per purpose can be given and withdrawn', async () => {
    expect((await api('student').get('/api/v1/privacy/consents').expect(200)).body).toEqual({
      analytics: false,
      marketing: false,
      profiling: false,
    });
    await api('student')
      .put('/api/v1/privacy/consents', { purpose: 'marketing', granted: true })
      .expect(200);
    await api('student')
      .put('/api/v1/privacy/consents', { purpose: 'selling', granted: true })
      .expect(400);
    const after = await api('student').put('/api/v1/privacy/consents', {
      purpose: 'analytics',
      granted: true,
    });
    expect(after.body).toEqual({ analytics: true, marketing: true, profiling: false });
    await api('student')
      .put('/api/v1/privacy/consents', { purpose: 'marketing', granted: false })
      .expect(200);
    expect((await api('student').get('/api/v1/privacy/consents')).body.marketing).toBe(false);
  });

  it('restriction withdraws consent for every purpose', async () => {
    const r = await ask('student', { kind: 'restriction' });
    await complete(r.id).expect(201);
    expect((await api('student').get('/api/v1/privacy/consents')).body).toEqual({
      analytics: false,
      marketing: false,
      profiling: false,
    });
  });

  it('a deadline is extended once, with a reason; a refusal carries its reason', async () => {
    const r = await ask('student', { kind: 'access' });
    await api('admin').post(`/api/v1/compliance/gdpr-requests/${r.id}/extend`, {}).expect(400);
    const ext = await api('admin')
      .post(`/api/v1/compliance/gdpr-requests/${r.id}/extend`, { reason: 'Records held on paper' })
      .expect(201);
    expect(Date.parse(ext.body.dueAt) - Date.parse(r.dueAt)).toBe(60 * DAY);
    const again = await api('admin')
      .post(`/api/v1/compliance/gdpr-requests/${r.id}/extend`, { reason: 'More time' })
      .expect(409);
    expect(again.body.message).toMatch(/already extended once/);
    const refused = await api('admin')
      .post(`/api/v1/compliance/gdpr-requests/${r.id}/refuse`, {
        reason: 'Duplicate of an answered request',
      })
      .expect(201);
    expect(refused.body).toMatchObject({
      status: 'refused',
      resolution: 'Duplicate of an answered request',
    });
  });

  it('the staff queue shows SLA badges; an overdue request is breached', async () => {
    const r = await ask('student', { kind: 'access' });
    await t.dataSource.query(
      `UPDATE gdpr_requests SET received_at = now() - interval '31 days', due_at = now() - interval '1 day' WHERE id = $1`,
      [r.id],
    );
    const soon = await ask('student', { kind: 'portability' });
    await t.dataSource.query(
      `UPDATE gdpr_requests SET due_at = now() + interval '3 days' WHERE id = $1`,
      [soon.id],
    );
    const admin = await createUser(t, ['admin']);
    const browser = await browserSignIn(t, admin.email, admin.password, '198.51.100.91');
    const page = await browser.agent.get('/compliance/requests').expect(200);
    expect(page.text).toContain('sla sla-breached');
    expect(page.text).toContain('sla sla-at_risk');
    expect(page.text).toContain('1 d late');
    const detail = await browser.agent.get(`/compliance/requests/${r.id}`).expect(200);
    expect(detail.text).toContain('Carry out this request');
    const list = await api('admin').get('/api/v1/compliance/gdpr-requests').expect(200);
    expect(list.body.items.find((i: { id: string }) => i.id === r.id).sla).toBe('breached');
  });

  it('self-service: /privacy lists my requests and takes a new one from the form', async () => {
    const browser = await browserSignIn(
      t,
      studentUser.email,
      studentUser.password,
      '198.51.100.92',
    );
    const csrf = await browser.csrf('/privacy');
    const page = await browser.agent.get('/privacy').expect(200);
    expect(page.text).toContain('Your requests');
    const res = await browser.agent
      .post('/privacy/requests')
      .set('X-Forwarded-For', '198.51.100.92')
      .type('form')
      .send({
        _csrf: csrf,
        kind: 'rectification',
        field: 'studentName',
        value: 'Marigold T. Thistlewood',
      });
    expect(res.status).toBe(303);
    const own = await api('student').get('/api/v1/privacy/requests?limit=100').expect(200);
    expect(
      own.body.items.some(
        (i: { kind: string; details: { changes?: object } }) =>
          i.kind === 'rectification' && i.details.changes && 'studentName' in i.details.changes,
      ),
    ).toBe(true);
  });

  it('objection to profiling sets the flag and deletes the tutor’s stored churn scores', async () => {
    const r = await ask('tutor', { kind: 'objection', scope: 'profiling' });
    await complete(r.id).expect(201);
    const [tutorRow] = await t.dataSource.query(
      'SELECT profiling_objection FROM tutors WHERE id = $1',
      [tutorId],
    );
    expect(tutorRow.profiling_objection).toBe(true);
    expect(
      await t.dataSource.query('SELECT 1 FROM tutor_risk WHERE tutor_id = $1', [tutorId]),
    ).toEqual([]);
    expect(
      await t.dataSource.query('SELECT 1 FROM tutor_risk_scores WHERE tutor_id = $1', [tutorId]),
    ).toEqual([]);
  });

  it('erasure is refused under a legal hold, with the reason', async () => {
    const hold = await api('admin')
      .post('/api/v1/compliance/legal-holds', {
        subjectUserId: tutorUser.id,
        reason: 'Pending employment tribunal',
      })
      .expect(201);
    const r = await ask('tutor', { kind: 'erasure' });
    const refused = await complete(r.id).expect(409);
    expect(refused.body.message).toMatch(/legal hold applies: Pending employment tribunal/);
    const [row] = await t.dataSource.query('SELECT name FROM tutors WHERE id = $1', [tutorId]);
    expect(row.name).toBe('Zebulon Quackenbush');
    await api('admin').post(`/api/v1/compliance/legal-holds/${hold.body.id}/release`).expect(201);
  });

  it('erasure anonymises every table: a scan of the whole database finds none of the identifiers', async () => {
    const sessionsBefore = await t.dataSource.query(
      'SELECT count(*)::int AS n FROM sessions WHERE tutor_id = $1',
      [tutorId],
    );
    const open = (
      await api('tutor').get('/api/v1/privacy/requests?status=received&limit=100').expect(200)
    ).body.items as { id: string; kind: string; status: string }[];
    const erasure = open.find((i) => i.kind === 'erasure' && i.status === 'received')!;
    await complete(erasure.id).expect(201);
    const s = await ask('student', { kind: 'erasure' });
    await complete(s.id).expect(201);

    const cipher = t.app.get(FieldCipher);
    const needles = [
      'Zebulon',
      'Quackenbush',
      tutor.email,
      tutor.externalId,
      'Marigold',
      'Thistlewood',
      STUDENT_EMAIL,
      student.externalId,
    ].map((x) => x.toLowerCase());
    const indexes = [emailBlindIndex(cipher, tutor.email), emailBlindIndex(cipher, STUDENT_EMAIL)];
    // Every text-like column of every schema, the archive's compressed records decompressed.
    const { found, columns } = await scanDatabase(t, needles, indexes);
    expect(found).toEqual([]);
    expect(columns).toBeGreaterThan(50);

    // Aggregates stay: the sessions and the ratings.
    const sessionsAfter = await t.dataSource.query(
      'SELECT count(*)::int AS n FROM sessions WHERE tutor_id = $1',
      [tutorId],
    );
    expect(sessionsAfter).toEqual(sessionsBefore);
    const [f] = await t.dataSource.query(
      'SELECT overall_rating FROM student_feedback WHERE tutor_id = $1',
      [tutorId],
    );
    expect(f.overall_rating).toBe(4);
    // The accounts cannot sign in any more.
    await request(t.http)
      .post('/api/v1/auth/login')
      .send({ email: tutor.email, password: tutorUser.password })
      .expect(401);

    // Ledger: table and JSONL file; tombstone rows in the audit log.
    const ledger = await t.dataSource.query(
      'SELECT subject_user_id FROM erasure_ledger ORDER BY seq',
    );
    expect(ledger.map((l: { subject_user_id: string }) => l.subject_user_id)).toEqual([
      tutorUser.id,
      studentUser.id,
    ]);
    const file = t.config.erasureLedgerFile;
    expect(existsSync(file)).toBe(true);
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.subjectUserId)).toEqual([tutorUser.id, studentUser.id]);
    expect(lines[0]).toMatchObject({ tutorId, studentId: null });
    const tombstones = await t.dataSource.query(
      `SELECT resource_id FROM audit_log WHERE action = 'gdpr.erasure_tombstone'`,
    );
    expect(tombstones).toHaveLength(2);
    await expect(t.dataSource.query('DELETE FROM erasure_ledger')).rejects.toThrow(/append-only/);
  });
  it('erasing one person leaves other people who share a first name alone; free text mentioning them is scrubbed', async () => {
    const hopper = tutorItem({ name: 'Grace Hopperton', email: 'grace.hopperton@example.invalid' });
    const kelly = tutorItem({ name: 'Grace Kellerman', email: 'grace.kellerman@example.invalid' });
    const [{ id: hopperId }, { id: kellyId }] = (await ingest(t.http, 'tutors', [
      hopper,
      kelly,
    ])) as { id: string }[];
    const hopperUser = await createUser(t, ['tutor'], {
      email: hopper.email,
      fullName: hopper.name,
      tutorId: hopperId,
    });
    const kellyUser = await createUser(t, ['tutor'], {
      email: kelly.email,
      fullName: kelly.name,
      tutorId: kellyId,
    });
    const iv = await api('ops')
      .post('/api/v1/interventions', {
        tutorId: kellyId,
        type: 'peer_mentoring',
        priority: 'low',
        reason: 'Pair with Grace Hopperton, who mentored last term',
      })
      .expect(201);
    const asked = await api('admin')
      .post('/api/v1/compliance/gdpr-requests', { kind: 'erasure', subjectUserId: hopperUser.id })
      .expect(201);
    await complete(asked.body.id).expect(201);

    const [kept] = await t.dataSource.query('SELECT name, email FROM tutors WHERE id = $1', [
      kellyId,
    ]);
    expect(kept).toEqual({ name: 'Grace Kellerman', email: kelly.email });
    const [account] = await t.dataSource.query('SELECT full_name FROM users WHERE id = $1', [
      kellyUser.id,
    ]);
    expect(account.full_name).toBe('Grace Kellerman');
    const [erased] = await t.dataSource.query('SELECT name FROM tutors WHERE id = $1', [hopperId]);
    expect(erased.name).toBe('Erased tutor');
    const [{ reason }] = await t.dataSource.query(
      'SELECT reason FROM interventions WHERE id = $1',
      [iv.body.id],
    );
    expect(reason).not.toMatch(/Hopperton/i);
  });
});
