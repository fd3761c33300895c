import request from 'supertest';
import { Role } from '../src/auth/entities/user.entity';
import { apiSignIn, browserSignIn, createUser } from './helpers/auth';
import { completedSession, feedbackItem, studentItem, tutorItem } from './helpers/fixtures';
import { ingest } from './helpers/ingest';
import { startTestApp, TEST_API_KEY, TestApp } from './helpers/test-app';

describe('FERPA: one access policy on every education-record read, and the disclosure log', () => {
  let t: TestApp;
  let studentId: string;
  let tutorA: string;
  let tutorB: string;
  const bearer: Record<string, string> = {};
  let studentUserId: string;
  let n = 0;

  const as = (who: string) => ({
    get: (path: string) =>
      request(t.http)
        .get(path)
        .set(
          who === 'api-key' ? 'X-API-Key' : 'Authorization',
          who === 'api-key' ? TEST_API_KEY : `Bearer ${bearer[who]}`,
        ),
    put: (path: string, body: object) =>
      request(t.http).put(path).set('Authorization', `Bearer ${bearer[who]}`).send(body),
  });

  async function signIn(
    name: string,
    roles: Role[],
    extra: { tutorId?: string; studentId?: string } = {},
  ) {
    const user = await createUser(t, roles, extra);
    bearer[name] = (await apiSignIn(t, user.email, user.password, `198.18.7.${++n}`)).accessToken;
    return user;
  }

  beforeAll(async () => {
    t = await startTestApp();
    const tutors = [tutorItem(), tutorItem()];
    const [a, b] = await ingest(t.http, 'tutors', tutors);
    tutorA = a.id!;
    tutorB = b.id!;
    const student = studentItem({ name: 'Priya Fernsby', email: 'priya.fernsby@example.invalid' });
    const other = studentItem();
    const [s] = await ingest(t.http, 'students', [student, other]);
    studentId = s.id!;
    const session = completedSession(tutors[0].externalId, student.externalId);
    await ingest(t.http, 'sessions', [session]);
    await ingest(t.http, 'feedback', [
      feedbackItem(session.externalId, { freeText: 'Patient and clear.' }),
    ]);
    for (const role of ['admin', 'operations_manager', 'people_ops'] as Role[])
      await signIn(role, [role]);
    await signIn('tutorA', ['tutor'], { tutorId: tutorA });
    await signIn('tutorB', ['tutor'], { tutorId: tutorB });
    studentUserId = (await signIn('student', ['student'], { studentId })).id;
    const [o] = await t.dataSource.query('SELECT id FROM students WHERE external_id = $1', [
      other.externalId,
    ]);
    await signIn('otherStudent', ['student'], { studentId: o.id });
  });
  afterAll(() => t.close());

  const recordPath = () => `/api/v1/students/${studentId}/education-record`;

  it.each([
    ['student', 'student_self'],
    ['admin', 'school_official'],
    ['operations_manager', 'school_official'],
    ['people_ops', 'school_official'],
    ['tutorA', 'tutor_of_student'],
  ])('%s may read the education record (basis %s)', async (who, basis) => {
    const res = await as(who).get(recordPath()).expect(200);
    expect(res.body.basis).toBe(basis);
    expect(res.body.student.id).toBe(studentId);
    expect(res.body.sessions).toHaveLength(1);
    expect(res.body.feedback).toHaveLength(1);
  });

  it.each(['tutorB', 'otherStudent'])('%s is refused with the reason', async (who) => {
    const res = await as(who).get(recordPath()).expect(403);
    expect(res.body.message).toMatch(/taught|no basis/);
  });

  it('a tutor sees the feedback anonymised: ratings and comment, no student id or session', async () => {
    const res = await as('tutorA').get(recordPath()).expect(200);
    const [f] = res.body.feedback;
    expect(f.overallRating).toBe(4);
    expect(f.freeText).toBe('Patient and clear.');
    expect(f).not.toHaveProperty('studentId');
    expect(f).not.toHaveProperty('sessionId');
    const staff = await as('admin').get(recordPath()).expect(200);
    expect(staff.body.feedback[0].studentId).toBe(studentId);
  });

  it('tutors and students cannot use the staff lists and searches; staff and API clients can', async () => {
    await as('tutorA').get('/api/v1/students').expect(403);
    await as('student').get(`/api/v1/sessions?studentId=${studentId}`).expect(403);
    const list = await as('people_ops')
      .get(`/api/v1/students?externalId=${encodeURIComponent('x')}`)
      .expect(200);
    expect(list.body.items).toEqual([]);
    await as('api-key').get(`/api/v1/students/${studentId}`).expect(200);
  });

  it('every disclosure is logged; the student and admins see the report, others do not', async () => {
    await as('people_ops').get(`/api/v1/sessions?studentId=${studentId}`).expect(200);
    await as('operations_manager').get(`/api/v1/feedback?tutorId=${tutorA}`).expect(200);
    const report = await as('student')
      .get(`/api/v1/students/${studentId}/disclosures?limit=100`)
      .expect(200);
    const rows = report.body.items as {
      recipient: string;
      basis: string;
      recordKind: string;
      recipientUserId: string | null;
    }[];
    expect(rows.some((r) => r.recipient === 'user:tutor' && r.basis === 'tutor_of_student')).toBe(
      true,
    );
    expect(rows.some((r) => r.recipient === 'user:people_ops' && r.recordKind === 'sessions')).toBe(
      true,
    );
    expect(
      rows.some((r) => r.recipient === 'user:operations_manager' && r.recordKind === 'feedback'),
    ).toBe(true);
    expect(
      rows.some((r) => r.recipient.startsWith('api-key:') && r.basis === 'school_official'),
    ).toBe(true);
    // The student's own reads are not disclosures; refused reads disclosed nothing.
    expect(rows.some((r) => r.recipientUserId === studentUserId)).toBe(false);
    expect(rows.filter((r) => r.recipient === 'user:tutor')).toHaveLength(
      rows.filter((r) => r.basis === 'tutor_of_student').length,
    );
    await as('admin').get(`/api/v1/students/${studentId}/disclosures`).expect(200);
    for (const who of ['tutorA', 'people_ops', 'otherStudent']) {
      await as(who).get(`/api/v1/students/${studentId}/disclosures`).expect(403);
    }
  });

  it('the disclosure log is append-only in the database', async () => {
    await expect(t.dataSource.query(`UPDATE ferpa_disclosures SET basis = 'x'`)).rejects.toThrow(
      /append-only/,
    );
    await expect(t.dataSource.query('DELETE FROM ferpa_disclosures')).rejects.toThrow(
      /append-only/,
    );
  });

  it('a tutor reads the record without the student’s identity; opt-out never hides it from officials', async () => {
    const before = await as('tutorA').get(recordPath()).expect(200);
    expect(before.body.student).toEqual({ id: studentId, gradeLevel: expect.anything() });
    expect(JSON.stringify(before.body)).not.toContain('Fernsby');
    await as('tutorA')
      .put(`/api/v1/students/${studentId}/directory-opt-out`, { optOut: true })
      .expect(403);
    await as('student')
      .put(`/api/v1/students/${studentId}/directory-opt-out`, { optOut: 'yes' })
      .expect(400);
    await as('student')
      .put(`/api/v1/students/${studentId}/directory-opt-out`, { optOut: true })
      .expect(200);
    const tutorView = await as('tutorA').get(recordPath()).expect(200);
    expect(tutorView.body.student.name).toBeUndefined();
    expect(JSON.stringify(tutorView.body)).not.toContain('Fernsby');
    const staffView = await as('admin').get(recordPath()).expect(200);
    expect(staffView.body.student.name).toBe('Priya Fernsby');
    const own = await as('student').get(recordPath()).expect(200);
    expect(own.body.student.name).toBe('Priya Fernsby');
  });

  it('the disclosure report page renders for an admin', async () => {
    const admin = await createUser(t, ['admin']);
    const browser = await browserSignIn(t, admin.email, admin.password, '198.51.100.77');
    const page = await browser.agent
      .get(`/compliance/students/${studentId}/disclosures`)
      .expect(200);
    expect(page.text).toContain('Disclosures of education records');
    expect(page.text).toContain('tutor of student');
    const retention = await browser.agent.get('/compliance/retention').expect(200);
    expect(retention.text).toContain('Under-13 students without verified parental consent');
  });
});
