import request from 'supertest';
import { Clock } from '../src/common/clock';
import { FieldCipher } from '../src/security/field-cipher';
import { WITHHELD_STUDENT_NAME } from '../src/tutoring/personal-data';
import { apiSignIn, browserSignIn, createUser } from './helpers/auth';
import { studentItem } from './helpers/fixtures';
import { ingest } from './helpers/ingest';
import { startTestApp, TestApp } from './helpers/test-app';

const DAY = 86_400_000;

describe('retention sweep: dry-run report, acting only where enabled, nothing under legal hold', () => {
  let t: TestApp;
  let token: string;
  let clock: jest.SpyInstance<Date, []>;
  let pendingChild: string;
  let heldChild: string;
  const api = (method: 'get' | 'post', path: string, body: object = {}) =>
    request(t.http)[method](path).set('Authorization', `Bearer ${token}`).send(body);

  beforeAll(async () => {
    t = await startTestApp();
    const admin = await createUser(t, ['admin']);
    token = (await apiSignIn(t, admin.email, admin.password, '198.18.12.1')).accessToken;
    const year = new Date().getUTCFullYear() - 9;
    const kids = [
      studentItem({ name: 'Juniper Coldwell', birthYear: year, parentEmail: 'p1@example.invalid' }),
      studentItem({ name: 'Rowan Ashgrove', birthYear: year, parentEmail: 'p2@example.invalid' }),
    ];
    [{ id: pendingChild }, { id: heldChild }] = (await ingest(t.http, 'students', kids)) as {
      id: string;
    }[];
    await t.dataSource.query(
      `INSERT INTO legal_holds (student_id, reason) VALUES ($1, 'Safeguarding investigation')`,
      [heldChild],
    );
    await t.dataSource.query(
      `INSERT INTO service_checks (service, up, latency_ms, checked_at) SELECT 'postgres', true, 3, now() FROM generate_series(1, 5)`,
    );
    await t.dataSource.query(
      'UPDATE outbox_events SET published_at = COALESCE(published_at, now())',
    );
    clock = jest.spyOn(t.app.get(Clock), 'now');
  });
  afterAll(async () => {
    clock.mockRestore();
    await t.close();
  });

  const nameOf = async (id: string) =>
    t.app
      .get(FieldCipher)
      .decrypt((await t.dataSource.query('SELECT name FROM students WHERE id = $1', [id]))[0].name);

  it('today nothing is due', async () => {
    const run = (await api('post', '/api/v1/compliance/retention/sweep').expect(201)).body;
    expect(run.due.health_checks).toBe(0);
    expect(run.due.coppa_unverified).toBe(0);
    expect(run.acted).toEqual({});
  });

  it('40 days later the report counts what is due but nothing is touched until an admin enables it', async () => {
    const later = new Date(Date.now() + 40 * DAY);
    clock.mockReturnValue(later);
    const run = (await api('post', '/api/v1/compliance/retention/sweep').expect(201)).body;
    expect(run.due.health_checks).toBeGreaterThanOrEqual(5);
    expect(run.due.outbox_sent).toBeGreaterThanOrEqual(2);
    expect(run.due.coppa_unverified).toBe(1); // the child under legal hold is not counted
    expect(run.acted).toEqual({});
    const [checks] = await t.dataSource.query(
      'SELECT count(*)::int AS n FROM service_checks WHERE checked_at < $1',
      [new Date(later.getTime() - 30 * DAY)],
    );
    expect(checks.n).toBeGreaterThanOrEqual(5);
    // Before consent the name was never stored (COPPA); the placeholder shows the row untouched.
    expect(await nameOf(pendingChild)).toBe(WITHHELD_STUDENT_NAME);
  });

  it('acts for the enabled classes, keeps what is under legal hold, and audits it', async () => {
    const later = new Date(Date.now() + 40 * DAY);
    clock.mockReturnValue(later);
    await api('post', '/api/v1/compliance/retention/no_such_class/acting', {
      enabled: true,
    }).expect(400);
    for (const key of ['health_checks', 'outbox_sent', 'coppa_unverified'])
      await api('post', `/api/v1/compliance/retention/${key}/acting`, { enabled: true }).expect(
        201,
      );
    const run = (await api('post', '/api/v1/compliance/retention/sweep').expect(201)).body;
    expect(run.acted.health_checks).toBeGreaterThanOrEqual(5);
    expect(run.acted.coppa_unverified).toBe(1);
    expect(run.acted.message_log).toBeUndefined();
    const cut = new Date(later.getTime() - 30 * DAY);
    expect(
      (
        await t.dataSource.query(
          'SELECT count(*)::int AS n FROM service_checks WHERE checked_at < $1',
          [cut],
        )
      )[0].n,
    ).toBe(0);
    expect(
      (
        await t.dataSource.query(
          'SELECT count(*)::int AS n FROM outbox_events WHERE published_at < $1',
          [new Date(later.getTime() - 7 * DAY)],
        )
      )[0].n,
    ).toBe(0);
    expect(await nameOf(pendingChild)).toBe('Erased student');
    expect(await nameOf(heldChild)).toBe(WITHHELD_STUDENT_NAME);
    const [held] = await t.dataSource.query(
      'SELECT parent_email IS NOT NULL AS has_parent FROM students WHERE id = $1',
      [heldChild],
    );
    expect(held.has_parent).toBe(true);
    const audit = await t.dataSource.query(
      `SELECT action, details FROM audit_log WHERE action IN ('retention.swept', 'retention.acting_changed') ORDER BY seq`,
    );
    expect(audit.map((a: { action: string }) => a.action)).toEqual([
      'retention.acting_changed',
      'retention.acting_changed',
      'retention.acting_changed',
      'retention.swept',
    ]);
    // A second sweep finds nothing left to do.
    const again = (await api('post', '/api/v1/compliance/retention/sweep').expect(201)).body;
    expect(again.due.coppa_unverified).toBe(0);
  });

  it('the admin page shows the report and the switches', async () => {
    const admin = await createUser(t, ['admin']);
    const browser = await browserSignIn(t, admin.email, admin.password, '198.51.100.93');
    const page = await browser.agent.get('/compliance/retention').expect(200);
    expect(page.text).toContain('Under-13 students without verified parental consent');
    expect(page.text).toContain('Report only');
    expect(page.text).toContain('Let it act');
  });
});
