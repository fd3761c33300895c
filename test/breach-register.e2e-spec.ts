import request from 'supertest';
import { Clock } from '../src/common/clock';
import { apiSignIn, browserSignIn, createUser, csrfFrom } from './helpers/auth';
import { startTestApp, TestApp } from './helpers/test-app';

const HOUR = 3_600_000;

describe('breach register: incidents with the 72-hour notification deadline', () => {
  let t: TestApp;
  let clock: jest.SpyInstance<Date, []>;
  let admin: string;
  let adminUserId: string;
  /** When the main incident was discovered: an hour before the test started. */
  const discovered = new Date(Math.floor((Date.now() - HOUR) / 60_000) * 60_000);
  const at = (hours: number) => new Date(discovered.getTime() + hours * HOUR);
  const api = (method: 'get' | 'post' | 'patch', path: string, body?: object, token = admin) => {
    const req = request(t.http)[method](path).set('Authorization', `Bearer ${token}`);
    return body ? req.send(body) : req;
  };
  const valid = {
    title: 'Tutor export emailed to the wrong school',
    description: 'A CSV of tutor names and emails was sent to an outside address.',
    discoveredAt: discovered.toISOString(),
    affectedRecordCount: 240,
    affectedCategories: ['names', 'contact_details'],
    affectedSubjectKinds: ['tutors'],
    affectedSubjectCount: 240,
    severity: 'high',
  };
  let id: string;

  beforeAll(async () => {
    t = await startTestApp({ ROLE: 'web' });
    const user = await createUser(t, ['admin']);
    adminUserId = user.id;
    admin = (await apiSignIn(t, user.email, user.password, '198.18.21.1')).accessToken;
    clock = jest.spyOn(t.app.get(Clock), 'now');
  });
  afterAll(async () => {
    clock.mockRestore();
    await t.close();
  });
  afterEach(() => {
    clock.mockImplementation(() => new Date());
  });

  it('records an incident with its deadline, SLA badge and duties, and audits it', async () => {
    const res = await api('post', '/api/v1/compliance/breaches', valid).expect(201);
    id = res.body.id;
    expect(res.body).toMatchObject({
      title: valid.title,
      severity: 'high',
      status: 'open',
      affectedRecordCount: 240,
      affectedCategories: ['names', 'contact_details'],
      authorityNotifiedAt: null,
      notificationDeadline: at(72).toISOString(),
      sla: 'on_track',
      slaLabel: 'On track',
      authorityNotificationRequired: true,
      subjectNotificationRequired: false,
      recordedByUserId: adminUserId,
    });
    expect(res.body.hoursLeft).toBe(70);
    const list = await api('get', '/api/v1/compliance/breaches').expect(200);
    expect(list.body.items.map((b: { id: string }) => b.id)).toEqual([id]);
    expect(list.body.nextCursor).toBeNull();
    expect((await api('get', `/api/v1/compliance/breaches/${id}`).expect(200)).body.id).toBe(id);
    const audit = await t.dataSource.query(
      `SELECT action, actor_id, details FROM audit_log WHERE resource_type = 'breach_incident' ORDER BY seq`,
    );
    expect(audit).toEqual([
      {
        action: 'compliance.breach_recorded',
        actor_id: adminUserId,
        details: { severity: 'high', status: 'open', affectedRecordCount: 240 },
      },
    ]);
  });

  it('refuses bad input with a 400 naming the problem, and stores nothing', async () => {
    const cases: [object, RegExp][] = [
      [{ ...valid, title: undefined }, /title must be 3-200 characters/],
      [
        { ...valid, severity: 'apocalyptic' },
        /severity must be one of low, medium, high, critical/,
      ],
      [{ ...valid, affectedCategories: ['names', 'dna'] }, /affectedCategories must be one of/],
      [{ ...valid, affectedCategories: [] }, /affectedCategories must name at least one/],
      [{ ...valid, affectedRecordCount: -1 }, /affectedRecordCount must not be negative/],
      [{ ...valid, affectedRecordCount: 'many' }, /affectedRecordCount must be a whole number/],
      [{ ...valid, discoveredAt: 'yesterday' }, /discoveredAt must be an ISO 8601 date-time/],
      [
        { ...valid, discoveredAt: new Date(Date.now() + 24 * HOUR).toISOString() },
        /discoveredAt must not be in the future/,
      ],
      [
        { ...valid, authorityNotifiedAt: at(-2).toISOString() },
        /authorityNotifiedAt must not be before discoveredAt/,
      ],
      [{ ...valid, status: 'notified' }, /status notified needs authorityNotifiedAt/],
      [{ ...valid, status: 'forgotten' }, /status must be one of open, notified, closed/],
      [{ ...valid, secret: 1 }, /secret is not a known field/],
    ];
    for (const [body, message] of cases) {
      const res = await api('post', '/api/v1/compliance/breaches', body);
      expect({ status: res.status, message: res.body.message }).toEqual({
        status: 400,
        message: expect.stringMatching(message),
      });
    }
    await api('patch', `/api/v1/compliance/breaches/${id}`, { title: null }).expect(400);
    await api('patch', `/api/v1/compliance/breaches/${id}`, { status: 'notified' }).expect(400);
    // An update checks each field it carries by the same rules as a new incident.
    for (const [body, message] of [
      [{ severity: 'apocalyptic' }, /severity/],
      [{ affectedRecordCount: -1 }, /affectedRecordCount/],
      [{ discoveredAt: 'yesterday' }, /discoveredAt/],
      [{ colour: 'red' }, /colour/],
    ] as const) {
      const res = await api('patch', `/api/v1/compliance/breaches/${id}`, body);
      expect({ status: res.status, message: res.body.message }).toEqual({
        status: 400,
        message: expect.stringMatching(message),
      });
    }
    await api('patch', '/api/v1/compliance/breaches/not-a-uuid', { status: 'closed' }).expect(400);
    await api('patch', '/api/v1/compliance/breaches/00000000-0000-4000-8000-000000000000', {
      status: 'closed',
    }).expect(404);
    const [{ n }] = await t.dataSource.query('SELECT count(*)::int AS n FROM breach_incidents');
    expect(n).toBe(1);
    const [b] = await t.dataSource.query('SELECT status, title FROM breach_incidents');
    expect(b).toEqual({ status: 'open', title: valid.title });
  });

  it('the badge moves with the clock: on track, at risk after 75% of 72 h, breached after; met when notified in time', async () => {
    const sla = async () => (await api('get', `/api/v1/compliance/breaches/${id}`)).body;
    clock.mockReturnValue(at(53));
    expect((await sla()).sla).toBe('on_track');
    clock.mockReturnValue(at(55));
    expect(await sla()).toMatchObject({ sla: 'at_risk', slaLabel: 'Deadline near', hoursLeft: 17 });
    clock.mockReturnValue(at(73));
    expect(await sla()).toMatchObject({ sla: 'breached', hoursLeft: -1 });

    // Told at 70 h (recorded afterwards): met; an open incident becomes notified.
    const told = await api('patch', `/api/v1/compliance/breaches/${id}`, {
      authorityNotifiedAt: at(70).toISOString(),
    }).expect(200);
    expect(told.body).toMatchObject({
      sla: 'met',
      slaLabel: 'Notified in time',
      status: 'notified',
      hoursLeft: null,
    });
    const [updated] = await t.dataSource.query(
      `SELECT changed_fields FROM audit_log WHERE action = 'compliance.breach_updated' AND resource_id = $1`,
      [id],
    );
    expect(updated.changed_fields.sort()).toEqual(['authorityNotifiedAt', 'status']);

    // Another, told late: breached for good.
    clock.mockReturnValue(at(90));
    const late = await api('post', '/api/v1/compliance/breaches', {
      ...valid,
      title: 'Laptop with session notes stolen',
      authorityNotifiedAt: at(80).toISOString(),
    }).expect(201);
    expect(late.body).toMatchObject({
      sla: 'breached',
      slaLabel: 'Notified late',
      status: 'notified',
    });

    // A low-severity incident closed without notification: none was required.
    const low = await api('post', '/api/v1/compliance/breaches', {
      ...valid,
      title: 'One feedback comment shown to the wrong tutor',
      severity: 'low',
      affectedRecordCount: 1,
      affectedCategories: ['feedback'],
    }).expect(201);
    expect(low.body).toMatchObject({ sla: 'breached', authorityNotificationRequired: false });
    const closed = await api('patch', `/api/v1/compliance/breaches/${low.body.id}`, {
      status: 'closed',
      actionsTaken: 'Comment removed; tutor asked to delete it.',
    }).expect(200);
    expect(closed.body).toMatchObject({ sla: 'not_required', status: 'closed' });
    const actions = await t.dataSource.query(
      `SELECT action FROM audit_log WHERE resource_type = 'breach_incident' ORDER BY seq`,
    );
    expect(actions.map((a: { action: string }) => a.action)).toEqual([
      'compliance.breach_recorded',
      'compliance.breach_updated',
      'compliance.breach_recorded',
      'compliance.breach_recorded',
      'compliance.breach_updated',
    ]);
  });

  it('the admin page lists incidents with their badges and records one from the form', async () => {
    const user = await createUser(t, ['admin']);
    const browser = await browserSignIn(t, user.email, user.password, '198.51.100.61');
    const list = await browser.agent.get('/compliance/breaches').expect(200);
    expect(list.text).toContain('Breach register');
    expect(list.text).toContain(valid.title);
    expect(list.text).toContain('<span class="sla sla-met">Notified in time</span>');
    expect(list.text).toContain('<span class="sla sla-breached">Notified late</span>');
    expect(list.text).toContain('href="/compliance/breaches"');

    const form = await browser.agent.get('/compliance/breaches/new').expect(200);
    const csrf = csrfFrom(form.text);
    const fields = (extra: [string, string][]) =>
      new URLSearchParams([
        ['_csrf', csrf],
        ['title', 'Backup bucket was public for a day'],
        ['description', 'Object storage bucket listing was public.'],
        ['discoveredAt', new Date().toISOString().slice(0, 16)],
        ['severity', 'critical'],
        ['affectedRecordCount', '1200'],
        ['affectedCategoriesPresent', '1'],
        ['affectedSubjectKindsPresent', '1'],
        ['status', 'open'],
        ...extra,
      ]).toString();
    const refused = await browser.agent.post('/compliance/breaches').type('form').send(fields([]));
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('affectedCategories must name at least one category');
    expect(refused.text).toContain('Backup bucket was public for a day');
    const created = await browser.agent
      .post('/compliance/breaches')
      .type('form')
      .send(
        fields([
          ['affectedCategories', 'names'],
          ['affectedCategories', 'education_records'],
          ['affectedSubjectKinds', 'students'],
        ]),
      );
    expect(created.status).toBe(303);
    const detail = await browser.agent.get(created.headers.location).expect(200);
    expect(detail.text).toContain('Backup bucket was public for a day');
    expect(detail.text).toContain('<span class="sla sla-on_track">On track</span>');
    expect(detail.text).toMatch(/must be told without undue delay/);
    const [row] = await t.dataSource.query(
      `SELECT severity, affected_categories, affected_subject_kinds FROM breach_incidents WHERE title = 'Backup bucket was public for a day'`,
    );
    expect(row).toEqual({
      severity: 'critical',
      affected_categories: ['names', 'education_records'],
      affected_subject_kinds: ['students'],
    });
    const saved = await browser.agent
      .post(created.headers.location)
      .type('form')
      .send(
        new URLSearchParams([
          ['_csrf', csrfFrom(detail.text)],
          ['status', 'notified'],
          ['authorityNotifiedAt', new Date().toISOString().slice(0, 16)],
        ]).toString(),
      );
    expect(saved.status).toBe(303);
    expect((await browser.agent.get(created.headers.location)).text).toContain(
      '<span class="sla sla-met">Notified in time</span>',
    );
  });

  it('refuses everyone but admins', async () => {
    for (const role of ['operations_manager', 'people_ops', 'tutor', 'student'] as const) {
      const user = await createUser(t, [role]);
      const token = (await apiSignIn(t, user.email, user.password, '198.18.21.9')).accessToken;
      await api('get', '/api/v1/compliance/breaches', undefined, token).expect(403);
      await api('post', '/api/v1/compliance/breaches', valid, token).expect(403);
      await api('patch', `/api/v1/compliance/breaches/${id}`, { status: 'closed' }, token).expect(
        403,
      );
    }
    await request(t.http).get('/api/v1/compliance/breaches').expect(401);
    const ops = await createUser(t, ['operations_manager']);
    const browser = await browserSignIn(t, ops.email, ops.password, '198.51.100.62');
    expect((await browser.agent.get('/compliance/breaches')).status).toBe(403);
    const [{ n }] = await t.dataSource.query('SELECT count(*)::int AS n FROM breach_incidents');
    expect(n).toBe(4);
  });
});
