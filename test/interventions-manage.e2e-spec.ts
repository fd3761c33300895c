import request from 'supertest';
import { Clock } from '../src/common/clock';
import { NotificationWorkflows } from '../src/notifications/notification-workflows.service';
import { OutboxService } from '../src/workers/outbox.service';
import { apiSignIn, browserSignIn, createUser } from './helpers/auth';
import { tutorItem } from './helpers/fixtures';
import { ingest } from './helpers/ingest';
import { startSmtpSink, SmtpSink } from './helpers/smtp-sink';
import { startTestApp, TestApp } from './helpers/test-app';
import { waitFor, waitForIdle } from './helpers/workers';

/** Form fields of one <form> in a rendered page, as a browser would submit them. */
function formFields(html: string, action: string): Record<string, string> {
  const start = html.indexOf(`action="${action}"`);
  if (start < 0) throw new Error(`no form posting to ${action}`);
  const form = html.slice(start, html.indexOf('</form>', start));
  const unescape = (v: string) =>
    v
      .replace(/&quot;/g, '"')
      .replace(/&#x27;/g, "'")
      .replace(/&#x3D;/g, '=')
      .replace(/&#x60;/g, '`')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
  const fields: Record<string, string> = {};
  for (const m of form.matchAll(/<input([^>]*)>/g)) {
    const attrs = m[1];
    const name = /name="([^"]*)"/.exec(attrs)?.[1];
    if (!name) continue;
    if (/type="checkbox"/.test(attrs) && !/\schecked/.test(attrs)) continue;
    fields[unescape(name)] = unescape(/value="([^"]*)"/.exec(attrs)?.[1] ?? '');
  }
  for (const m of form.matchAll(/<textarea[^>]*name="([^"]*)"[^>]*>([\s\S]*?)<\/textarea>/g))
    fields[unescape(m[1])] = unescape(m[2]);
  return fields;
}

describe('interventions: priority, policy changes, manager notes, configuration page, churn, notices', () => {
  let t: TestApp;
  let smtp: SmtpSink;
  let tutorIds: string[];
  const tokens: Record<string, string> = {};
  const users: Record<string, { id: string; email: string; password: string }> = {};
  const as = (who: string) => ({ Authorization: `Bearer ${tokens[who]}` });
  const to = (m: SmtpSink['messages'][number]) =>
    ([] as { value: { address?: string }[] }[])
      .concat(m.to as never)
      .flatMap((a) => a.value.map((v) => v.address));

  beforeAll(async () => {
    smtp = await startSmtpSink({ rejectRecipients: /^bounce\./ });
    t = await startTestApp({ SMTP_URL: smtp.url });
    const results = await ingest(t.http, 'tutors', [
      tutorItem({ name: 'Risky Rita' }),
      tutorItem({ name: 'Middling Max' }),
      tutorItem({ name: 'Low Lou' }),
      tutorItem({ name: 'Unscored Uma' }),
      tutorItem({ name: 'Bouncing Bo', email: 'bounce.bo@example.invalid' }),
      tutorItem({ name: 'Quiet Quinn' }),
    ]);
    tutorIds = results.map((r) => r.id!);
    let n = 0;
    for (const [name, role] of [
      ['manager', 'operations_manager'],
      ['ops', 'people_ops'],
      ['ops2', 'people_ops'],
      ['tutor', 'tutor'],
      ['admin', 'admin'],
    ] as const) {
      const u = await createUser(t, [role], { fullName: `The ${name}` });
      users[name] = { id: u.id, email: u.email, password: u.password };
      tokens[name] = (await apiSignIn(t, u.email, u.password, `203.0.113.${++n}`)).accessToken;
    }
    // Booting and five password hashes can take over a minute on a busy 2-core machine.
  }, 180_000);
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  const create = (who: string, body: object) =>
    request(t.http).post('/api/v1/interventions').set(as(who)).send(body).expect(201);
  const get = async (id: string) =>
    (await request(t.http).get(`/api/v1/interventions/${id}`).set(as('manager')).expect(200)).body;

  it('changes priority with recomputed SLA targets that keep paused time, and a policy change keeps it too', async () => {
    const clock = t.app.get(Clock);
    const real = clock.now.bind(clock);
    // Monday 23 November 2026, 09:00 in New York (the default calendar): working time from the start.
    const t0 = Date.parse('2026-11-23T14:00:00Z');
    const at = (minutes: number) => () => new Date(t0 + minutes * 60_000);
    try {
      clock.now = at(0);
      const { body: iv } = await create('manager', {
        tutorId: tutorIds[5],
        type: 'retention_interview',
        priority: 'low',
        reason: 'Priority test',
      });
      const { body: other } = await create('manager', {
        tutorId: tutorIds[5],
        type: 'peer_mentoring',
        priority: 'medium',
        reason: 'Policy test',
      });
      clock.now = at(10);
      await request(t.http)
        .post(`/api/v1/interventions/${iv.id}/assign`)
        .set(as('manager'))
        .send({ assigneeId: users.ops.id })
        .expect(200);
      clock.now = at(20);
      await request(t.http)
        .post(`/api/v1/interventions/${iv.id}/transitions`)
        .set(as('ops'))
        .send({ to: 'in_progress' })
        .expect(200);
      clock.now = at(60);
      await request(t.http)
        .post(`/api/v1/interventions/${iv.id}/transitions`)
        .set(as('ops'))
        .send({ to: 'waiting' })
        .expect(200);
      clock.now = at(240); // three working hours waiting on the tutor

      // people_ops may not change priority; a bad priority is 400.
      await request(t.http)
        .post(`/api/v1/interventions/${iv.id}/priority`)
        .set(as('ops'))
        .send({ priority: 'critical' })
        .expect(403);
      const bad = await request(t.http)
        .post(`/api/v1/interventions/${iv.id}/priority`)
        .set(as('manager'))
        .send({ priority: 'urgent' })
        .expect(400);
      expect(bad.body.message).toMatch(/priority must be one of critical, high, medium, low/);

      const before = await get(iv.id);
      expect(before.sla[1]).toMatchObject({ targetMinutes: 112 * 60, pausedMinutes: 180 });
      const changed = await request(t.http)
        .post(`/api/v1/interventions/${iv.id}/priority`)
        .set(as('manager'))
        .send({ priority: 'critical', note: 'Said they are leaving' })
        .expect(200);
      expect(changed.body).toMatchObject({ priority: 'critical', status: 'waiting' });
      // Critical: 16 working hours to resolve; 1 h worked, 3 h paused (kept), 15 h left.
      expect(changed.body.sla[1]).toMatchObject({
        target: 'resolution',
        targetMinutes: 16 * 60,
        pausedMinutes: 180,
        elapsedMinutes: 60,
        leftMinutes: 15 * 60,
        paused: true,
      });
      expect(Date.parse(changed.body.sla[1].dueAt)).toBeLessThan(Date.parse(before.sla[1].dueAt));
      expect(changed.body.history.at(-1)).toMatchObject({
        from: 'waiting',
        to: 'waiting',
        actorId: users.manager.id,
        note: 'priority low → critical: Said they are leaving',
      });
      const [row] = await t.dataSource.query(
        `SELECT priority, priority_rank, resolution_paused_ms::bigint AS paused, resolution_due_at
           FROM interventions WHERE id = $1`,
        [iv.id],
      );
      expect(row).toMatchObject({ priority: 'critical', priority_rank: 0, paused: '10800000' });
      expect(row.resolution_due_at.toISOString()).toBe(changed.body.sla[1].dueAt);
      const audit = await t.dataSource.query(
        `SELECT action, outcome FROM audit_log WHERE resource_type = 'intervention' AND resource_id = $1
            AND action = 'intervention.priority_changed' ORDER BY seq`,
        [iv.id],
      );
      // The refused people_ops call is recorded by the guard's fallback; the bad body and the change here.
      expect(audit.map((a: { outcome: string }) => a.outcome)).toEqual(['failure', 'success']);

      // A policy change recomputes every open intervention, set-based; paused time survives it.
      const otherBefore = await get(other.id);
      const sla = await request(t.http)
        .get('/api/v1/interventions/config/sla')
        .set(as('admin'))
        .expect(200);
      const doc = sla.body.document;
      const saved = await request(t.http)
        .put('/api/v1/interventions/config/sla')
        .set(as('admin'))
        .send({
          document: {
            ...doc,
            defaults: {
              ...doc.defaults,
              critical: { firstActionHours: 4, resolutionHours: 24 },
              medium: { firstActionHours: 24, resolutionHours: 80 },
            },
          },
        })
        .expect(200);
      expect(saved.body.recomputed).toBeGreaterThanOrEqual(2);
      const after = await get(iv.id);
      expect(after.sla[1]).toMatchObject({ targetMinutes: 24 * 60, pausedMinutes: 180 });
      expect(after.slaPolicyVersion).toBe(saved.body.version);
      const otherAfter = await get(other.id);
      expect(otherAfter.sla[1].targetMinutes).toBe(80 * 60);
      expect(Date.parse(otherAfter.sla[1].dueAt)).toBeGreaterThan(
        Date.parse(otherBefore.sla[1].dueAt),
      );
      expect(Date.parse(otherAfter.slaDueAt)).toBeGreaterThan(Date.parse(otherBefore.slaDueAt));
      const [stored] = await t.dataSource.query(
        'SELECT resolution_due_at, sla_policy_version FROM interventions WHERE id = $1',
        [other.id],
      );
      expect(stored.resolution_due_at.toISOString()).toBe(otherAfter.sla[1].dueAt);
      expect(stored.sla_policy_version).toBe(saved.body.version);

      // Finished: no more priority changes.
      for (const id of [iv.id, other.id])
        await request(t.http)
          .post(`/api/v1/interventions/${id}/transitions`)
          .set(as('manager'))
          .send({ to: 'cancelled', reason: 'test over' })
          .expect(200);
      const done = await request(t.http)
        .post(`/api/v1/interventions/${iv.id}/priority`)
        .set(as('manager'))
        .send({ priority: 'high' })
        .expect(409);
      expect(done.body.message).toBe('an intervention that is cancelled cannot change priority');
    } finally {
      clock.now = real;
    }
  });

  it('changes priority from the detail page form, without JavaScript', async () => {
    const { body: iv } = await create('manager', {
      tutorId: tutorIds[3],
      type: 'manager_coaching',
      priority: 'medium',
      reason: 'Page priority test',
    });
    const browser = await browserSignIn(t, users.manager.email, users.manager.password, '10.1.0.1');
    const page = await browser.agent.get(`/interventions/${iv.id}`).expect(200);
    const fields = formFields(page.text, `/interventions/${iv.id}/priority`);
    expect(fields.priority).toBeUndefined(); // a <select>: chosen below
    await browser.agent
      .post(`/interventions/${iv.id}/priority`)
      .type('form')
      .send({ ...fields, priority: 'high', note: 'from the page' })
      .expect(303);
    const after = await browser.agent.get(`/interventions/${iv.id}`).expect(200);
    expect(after.text).toContain('priority medium → high: from the page');
    expect(after.text).toMatch(/<option value="high" selected>/);
  });

  it('filters the queue page by due date and exports the same filters as CSV', async () => {
    const { body: iv } = await create('manager', {
      tutorId: tutorIds[4],
      type: 'manager_coaching',
      priority: 'critical',
      reason: 'Due-date filter test',
    });
    const due = iv.slaDueAt.slice(0, 10);
    const dayBefore = new Date(Date.parse(iv.slaDueAt) - 2 * 86_400_000).toISOString().slice(0, 10);
    const browser = await browserSignIn(t, users.manager.email, users.manager.password, '10.1.0.5');
    const hit = await browser.agent
      .get(`/interventions?dueBefore=${due}&type=manager_coaching&priority=critical`)
      .expect(200);
    expect(hit.text).toContain(`/interventions/${iv.id}`);
    expect(hit.text).toContain(`value="${due}"`);
    const miss = await browser.agent
      .get(`/interventions?dueBefore=${dayBefore}&type=manager_coaching&priority=critical`)
      .expect(200);
    expect(miss.text).not.toContain(`/interventions/${iv.id}`);
    const href = /href="(\/api\/v1\/interventions\/export\.csv\?[^"]+)"/
      .exec(hit.text)![1]
      .replace(/&amp;/g, '&')
      .replace(/&#x3D;/g, '=');
    expect(href).toContain('dueBefore=');
    const csv = await browser.agent.get(href).expect(200);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    const lines = csv.text.trim().split('\r\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(iv.id);
  });

  it('bulk-assigns from the queue page and says which could not be assigned and why', async () => {
    const { body: a } = await create('manager', {
      tutorId: tutorIds[4],
      type: 'peer_mentoring',
      priority: 'low',
      reason: 'Bulk page A',
    });
    const { body: b } = await create('manager', {
      tutorId: tutorIds[4],
      type: 'retention_interview',
      priority: 'low',
      reason: 'Bulk page B',
    });
    await request(t.http)
      .post(`/api/v1/interventions/${b.id}/transitions`)
      .set(as('manager'))
      .send({ to: 'cancelled', reason: 'no longer needed' })
      .expect(200);
    const browser = await browserSignIn(t, users.manager.email, users.manager.password, '10.1.0.6');
    const page = await browser.agent.get('/interventions').expect(200);
    const fields = formFields(page.text, '/interventions/bulk-assign');
    const res = await browser.agent
      .post('/interventions/bulk-assign')
      .type('form')
      .send({ _csrf: fields._csrf, ids: [a.id, b.id], assigneeId: users.ops2.id })
      .expect(200);
    expect(res.text).toContain(
      'Assigned 1 of 2; 1 could not be assigned: an intervention that is cancelled cannot be assigned.',
    );
    expect((await get(a.id)).assigneeId).toBe(users.ops2.id);
    const ok = await browser.agent
      .post('/interventions/bulk-assign')
      .type('form')
      .send({ _csrf: fields._csrf, ids: a.id, assigneeId: users.ops.id })
      .expect(303);
    expect(ok.headers.location).toBe('/interventions');
    expect((await get(a.id)).assigneeId).toBe(users.ops.id);
  });

  it('keeps manager notes about a tutor: page form and API, audited, encrypted, never for tutors', async () => {
    const tutorId = tutorIds[0];
    const browser = await browserSignIn(t, users.manager.email, users.manager.password, '10.1.0.2');
    const page = await browser.agent.get(`/tutors/${tutorId}`).expect(200);
    expect(page.text).toContain('Manager notes');
    const fields = formFields(page.text, `/tutors/${tutorId}/notes`);
    const posted = await browser.agent
      .post(`/tutors/${tutorId}/notes`)
      .type('form')
      .send({ ...fields, body: 'Talked about their exam season; lighter load until June.' })
      .expect(303);
    expect(posted.headers.location).toBe(`/tutors/${tutorId}#h-mnotes`);
    // Without the CSRF token the form is refused.
    await browser.agent
      .post(`/tutors/${tutorId}/notes`)
      .type('form')
      .send({ body: 'forged' })
      .expect(403);

    const api = await request(t.http)
      .post(`/api/v1/tutors/${tutorId}/manager-notes`)
      .set(as('ops'))
      .send({ body: 'Prefers email over calls.' })
      .expect(201);
    expect(api.body).toMatchObject({
      tutorId,
      body: 'Prefers email over calls.',
      authorId: users.ops.id,
      authorName: 'The ops',
    });
    await request(t.http)
      .post(`/api/v1/tutors/${tutorId}/manager-notes`)
      .set(as('ops'))
      .send({ body: '' })
      .expect(400);
    await request(t.http)
      .post('/api/v1/tutors/00000000-0000-4000-8000-000000000009/manager-notes')
      .set(as('ops'))
      .send({ body: 'nobody' })
      .expect(404);

    const list = await request(t.http)
      .get(`/api/v1/tutors/${tutorId}/manager-notes?limit=1`)
      .set(as('manager'))
      .expect(200);
    expect(list.body.items).toMatchObject([{ body: 'Prefers email over calls.' }]);
    const rest = await request(t.http)
      .get(`/api/v1/tutors/${tutorId}/manager-notes?limit=1&cursor=${list.body.nextCursor}`)
      .set(as('manager'))
      .expect(200);
    expect(rest.body).toMatchObject({
      items: [
        {
          body: 'Talked about their exam season; lighter load until June.',
          authorId: users.manager.id,
        },
      ],
      nextCursor: null,
    });
    const shown = await browser.agent.get(`/tutors/${tutorId}`).expect(200);
    expect(shown.text).toContain('Prefers email over calls.');
    expect(shown.text).toContain('lighter load until June.');

    // Tutors see neither the notes nor the page.
    await request(t.http)
      .get(`/api/v1/tutors/${tutorId}/manager-notes`)
      .set(as('tutor'))
      .expect(403);
    await request(t.http)
      .post(`/api/v1/tutors/${tutorId}/manager-notes`)
      .set(as('tutor'))
      .send({ body: 'me' })
      .expect(403);
    await request(t.http).get(`/tutors/${tutorId}`).set(as('tutor')).expect(403);

    const stored: { body: string }[] = await t.dataSource.query(
      'SELECT body FROM tutor_manager_notes WHERE tutor_id = $1',
      [tutorId],
    );
    expect(stored).toHaveLength(2);
    for (const s of stored) expect(s.body).toMatch(/^enc1:/);
    const audit = await t.dataSource.query(
      `SELECT actor_id, outcome FROM audit_log WHERE action = 'tutor.manager_note_added' AND resource_id = $1
        ORDER BY seq`,
      [tutorId],
    );
    expect(audit.filter((a: { outcome: string }) => a.outcome === 'success')).toEqual([
      { actor_id: users.manager.id, outcome: 'success' },
      { actor_id: users.ops.id, outcome: 'success' },
    ]);
  });

  it('lets admins edit the rule and SLA configuration on a page, with the API’s validation and a version history', async () => {
    const admin = await browserSignIn(t, users.admin.email, users.admin.password, '10.1.0.3');
    const page = await admin.agent.get('/admin/intervention-config').expect(200);
    expect(page.text).toContain('Rule configuration');
    expect(page.text).toContain('SLA policies and calendar');
    const rules = formFields(page.text, '/admin/intervention-config/rules');
    expect(rules['rules.critical_churn_risk']).toBe('true');
    expect(rules['thresholds.lowEngagement']).toBe('0.6');

    // A percentage where a fraction belongs: refused, with the reason on the page.
    const refused = await admin.agent
      .post('/admin/intervention-config/rules')
      .type('form')
      .send({ ...rules, 'thresholds.lowEngagement': '60' })
      .expect(400);
    expect(refused.text).toContain('thresholds.lowEngagement must be a fraction between 0 and 1');
    expect(refused.text).toContain('Not saved');
    expect(refused.text).toMatch(/name="thresholds\.lowEngagement" value="60"/);

    // Disable a rule (an unticked box is not sent) and lower a threshold.
    const withoutRule: Record<string, string> = { ...rules, 'thresholds.lowEngagement': '0.55' };
    delete withoutRule['rules.critical_churn_risk'];
    const saved = await admin.agent
      .post('/admin/intervention-config/rules')
      .type('form')
      .send(withoutRule)
      .expect(303);
    expect(saved.headers.location).toBe('/admin/intervention-config?saved=rules');
    const api = await request(t.http)
      .get('/api/v1/interventions/config/rules')
      .set(as('admin'))
      .expect(200);
    expect(api.body.document.rules.critical_churn_risk).toBe(false);
    expect(api.body.document.rules.high_churn_risk).toBe(true);
    expect(api.body.document.thresholds.lowEngagement).toBe(0.55);
    expect(api.body.document.maxOpenPerTutor).toBe(5);
    const version = api.body.version;

    // SLA: time zone, working days and hours, holidays.
    const again = await admin.agent.get('/admin/intervention-config?saved=rules').expect(200);
    expect(again.text).toContain('Saved a new version of the rule configuration.');
    expect(again.text).toContain(`Version ${version} ·`);
    const sla = formFields(again.text, '/admin/intervention-config/sla');
    expect(sla['calendar.timeZone']).toBe('America/New_York');
    const badSla = await admin.agent
      .post('/admin/intervention-config/sla')
      .type('form')
      .send({ ...sla, 'calendar.timeZone': 'Mars/Base', overrides: '[{"type": ' })
      .expect(400);
    expect(badSla.text).toContain('overrides is not valid JSON');
    const badZone = await admin.agent
      .post('/admin/intervention-config/sla')
      .type('form')
      .send({ ...sla, 'calendar.timeZone': 'Mars/Base' })
      .expect(400);
    expect(badZone.text).toMatch(/calendar: .*Mars\/Base/);
    await admin.agent
      .post('/admin/intervention-config/sla')
      .type('form')
      .send({
        ...sla,
        'calendar.timeZone': 'Europe/Berlin',
        'calendar.workingDays': '1, 2, 3, 4',
        'calendar.dayStart': '08:30',
        'calendar.holidays': '2026-12-24\n2026-12-25',
        'defaults.low.resolutionHours': '120',
      })
      .expect(303);
    const slaApi = await request(t.http)
      .get('/api/v1/interventions/config/sla')
      .set(as('admin'))
      .expect(200);
    expect(slaApi.body.document.calendar).toEqual({
      timeZone: 'Europe/Berlin',
      workingDays: [1, 2, 3, 4],
      dayStart: '08:30',
      dayEnd: '17:00',
      holidays: ['2026-12-24', '2026-12-25'],
    });
    expect(slaApi.body.document.defaults.low.resolutionHours).toBe(120);
    expect(slaApi.body.document.overrides).toEqual([
      { type: 'manager_coaching', firstActionHours: 4, resolutionHours: 16 },
    ]);
    const audit = await t.dataSource.query(
      `SELECT resource_id, outcome FROM audit_log WHERE action = 'intervention_config.saved' ORDER BY seq`,
    );
    expect(audit).toEqual([
      { resource_id: 'rules', outcome: 'failure' },
      { resource_id: 'rules', outcome: 'success' },
      { resource_id: 'sla', outcome: 'failure' },
      { resource_id: 'sla', outcome: 'failure' },
      { resource_id: 'sla', outcome: 'success' },
    ]);

    // Operations managers may not configure.
    const manager = await browserSignIn(t, users.manager.email, users.manager.password, '10.1.0.4');
    await manager.agent.get('/admin/intervention-config').expect(403);
  });

  it('shows churn score and band on /tutors (sorted, filtered), the tutor page and the dashboard chart', async () => {
    const risk = async (tutorId: string, score: number, band: string) =>
      t.dataSource.query(
        `INSERT INTO tutor_risk (tutor_id, churn_score, band, scored_score, probabilities, top_factors,
           model_version, as_of, scored_at)
         VALUES ($1, $2, $3, $2, '{}', '[]', 'weighted-v1', current_date, now())`,
        [tutorId, score, band],
      );
    await risk(tutorIds[0], 88, 'critical');
    await risk(tutorIds[1], 40, 'medium');
    await risk(tutorIds[2], 10, 'low');
    const list = await request(t.http).get('/tutors').set(as('manager')).expect(200);
    const order = ['Risky Rita', 'Middling Max', 'Low Lou', 'Unscored Uma'].map((n) =>
      list.text.indexOf(n),
    );
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(list.text).toMatch(/risk-critical">88 · critical</);
    expect(list.text).toContain('not scored');

    const critical = await request(t.http)
      .get('/tutors?band=critical')
      .set(as('manager'))
      .expect(200);
    expect(critical.text).toContain('Risky Rita');
    expect(critical.text).not.toContain('Middling Max');
    expect(critical.text).toMatch(/<option value="critical" selected>/);
    const medium = await request(t.http).get('/tutors?band=medium').set(as('manager')).expect(200);
    expect(medium.text).toContain('Middling Max');
    expect(medium.text).not.toContain('Risky Rita');

    const detail = await request(t.http)
      .get(`/tutors/${tutorIds[0]}`)
      .set(as('manager'))
      .expect(200);
    expect(detail.text).toMatch(/id="churn-score">88 · critical</);

    const dashboard = await request(t.http).get('/dashboard').set(as('manager')).expect(200);
    const count = (band: string) =>
      Number(new RegExp(`data-band="${band}">(\\d+)<`).exec(dashboard.text)?.[1]);
    expect(count('critical')).toBe(1);
    expect(count('high')).toBe(0);
    expect(count('medium')).toBe(1);
    expect(count('low')).toBe(1);
    expect(count('none')).toBe(3);
    expect(dashboard.text).toContain('3 tutors scored');
  });

  it('sends "assigned to you" once, from the assignment event: email and in-app, not for self-assignment', async () => {
    const ids: string[] = [];
    for (const type of ['first_session_checkin', 'performance_improvement_plan', 'peer_mentoring'])
      ids.push(
        (
          await create('manager', {
            tutorId: tutorIds[2],
            type,
            priority: 'high',
            reason: `Assignment notice ${type}`,
          })
        ).body.id,
      );
    // Notices about this test's interventions (the first test assigned one to ops too).
    const mine = (email: string) =>
      smtp.messages.filter(
        (m) =>
          to(m).includes(email) &&
          m.subject?.startsWith('Assigned to you') &&
          [...ids, ...extra].some((id) => m.text?.includes(id)),
      );
    const extra: string[] = [];
    await request(t.http)
      .post(`/api/v1/interventions/${ids[0]}/assign`)
      .set(as('manager'))
      .send({ assigneeId: users.ops.id })
      .expect(200);
    await waitFor('the assignment email to ops', () => mine(users.ops.email).length === 1);
    expect(mine(users.ops.email)[0].subject).toBe(
      'Assigned to you: First-session check-in for Low Lou',
    );
    expect(mine(users.ops.email)[0].text).toContain(ids[0]);
    const inApp = await t.dataSource.query(
      'SELECT title FROM in_app_notifications WHERE user_id = $1 AND url = $2',
      [users.ops.id, `/interventions/${ids[0]}`],
    );
    expect(inApp).toEqual([{ title: 'Assigned to you: First-session check-in for Low Lou' }]);
    // Every page's header counts it, and stops once it is read.
    const ops = await browserSignIn(t, users.ops.email, users.ops.password, '10.1.0.9');
    const badge = async () =>
      /<span class="badge" aria-label="(\d+) unread">/.exec(
        (await ops.agent.get('/interventions').set('X-Forwarded-For', '10.1.0.9').expect(200)).text,
      )?.[1] ?? null;
    const [{ n: unread }]: { n: number }[] = await t.dataSource.query(
      'SELECT count(*)::int AS n FROM in_app_notifications WHERE user_id = $1 AND read_at IS NULL',
      [users.ops.id],
    );
    expect(unread).toBeGreaterThan(0);
    expect(await badge()).toBe(String(unread));
    await ops.agent
      .post('/notifications/read-all')
      .set('X-Forwarded-For', '10.1.0.9')
      .type('form')
      .send({ _csrf: await ops.csrf('/notifications') })
      .expect(303);
    expect(await badge()).toBeNull();

    const bulk = await request(t.http)
      .post('/api/v1/interventions/bulk-assign')
      .set(as('manager'))
      .send({ ids: [ids[1], ids[2]], assigneeId: users.ops2.id })
      .expect(200);
    expect(bulk.body.assigned).toHaveLength(2);
    await waitFor('both assignment emails to ops2', () => mine(users.ops2.email).length === 2);

    // Taking one yourself sends nothing; the event is not even written.
    const { body: own } = await create('manager', {
      tutorId: tutorIds[2],
      type: 'manager_coaching',
      priority: 'low',
      reason: 'Mine',
    });
    extra.push(own.id);
    await request(t.http)
      .post(`/api/v1/interventions/${own.id}/assign`)
      .set(as('manager'))
      .send({ assigneeId: users.manager.id })
      .expect(200);
    const events = async (id: string) =>
      (
        await t.dataSource.query(
          `SELECT count(*)::int AS n FROM outbox_events
            WHERE event_type = 'intervention.assigned' AND payload->>'interventionId' = $1`,
          [id],
        )
      )[0].n;
    expect(await events(own.id)).toBe(0);
    expect(await events(ids[0])).toBe(1);

    // The same event delivered again (at least once) sends nothing more.
    await t.dataSource.transaction((m) =>
      t.app.get(OutboxService).append(m, [
        {
          type: 'intervention.assigned',
          payload: { interventionId: ids[0], assigneeId: users.ops.id },
        },
      ]),
    );
    await waitForIdle(t);
    expect(mine(users.ops.email)).toHaveLength(1);
    expect(mine(users.manager.email)).toHaveLength(0);
    const logged = await t.dataSource.query(
      `SELECT entity_key, status FROM notification_messages
        WHERE workflow = 'intervention-assigned' AND split_part(entity_key, ':', 1) = ANY($1) ORDER BY entity_key`,
      [[...ids, own.id]],
    );
    expect(logged).toEqual(
      [
        { entity_key: `${ids[0]}:${users.ops.id}`, status: 'sent' },
        { entity_key: `${ids[1]}:${users.ops2.id}`, status: 'sent' },
        { entity_key: `${ids[2]}:${users.ops2.id}`, status: 'sent' },
      ].sort((a, b) => a.entity_key.localeCompare(b.entity_key)),
    );
  });

  it('records the real delivery outcome of automated interventions: sent completes, a bounce stays open, unsubscribed cancels', async () => {
    const { body: sent } = await create('manager', {
      tutorId: tutorIds[1],
      type: 'automated_coaching',
      priority: 'medium',
      reason: 'Ratings slipping',
    });
    expect(sent.deliveryStatus).toBe('pending');
    const done = await waitFor('the coaching email to be sent', async () => {
      const iv = await get(sent.id);
      return iv.status === 'completed' ? iv : null;
    });
    expect(done).toMatchObject({ deliveryStatus: 'sent', deliveryError: null, outcome: null });
    const [message] = await t.dataSource.query(
      `SELECT status, sent_at FROM notification_messages WHERE workflow = 'intervention-automated' AND entity_key = $1`,
      [sent.id],
    );
    expect(message.status).toBe('sent');
    // Completed when the message was sent, not when it was queued.
    expect(Date.parse(done.resolvedAt)).toBeGreaterThanOrEqual(message.sent_at.getTime());
    expect(smtp.messages.some((m) => m.subject?.includes('Coaching Tips'))).toBe(true);

    const { body: bounced } = await create('manager', {
      tutorId: tutorIds[4],
      type: 'training_module',
      priority: 'medium',
      reason: 'Engagement low',
    });
    const failed = await waitFor('the bounce to be recorded', async () => {
      const iv = await get(bounced.id);
      return iv.deliveryStatus === 'failed' ? iv : null;
    });
    expect(failed).toMatchObject({ status: 'open', outcome: null });
    expect(failed.deliveryError).toMatch(/^bounced: .*mailbox unavailable/);

    await t.dataSource.query(
      `INSERT INTO notification_preferences (recipient_kind, recipient_id, category) VALUES ('tutor', $1, 'tutor-tips')`,
      [tutorIds[3]],
    );
    const { body: unsubscribed } = await create('manager', {
      tutorId: tutorIds[3],
      type: 'recognition',
      priority: 'low',
      reason: 'Great month',
    });
    const cancelled = await waitFor('the suppressed email to cancel it', async () => {
      const iv = await get(unsubscribed.id);
      return iv.status === 'cancelled' ? iv : null;
    });
    expect(cancelled).toMatchObject({
      deliveryStatus: 'suppressed',
      cancelReason: 'not delivered: the tutor unsubscribed from these emails',
    });
  });

  it('counts on the queue exactly what its filters list, for managers and (own and unassigned) for people ops', async () => {
    const clock = t.app.get(Clock);
    const real = clock.now.bind(clock);
    const made: string[] = [];
    const counted = await ingest(
      t.http,
      'tutors',
      ['Cora Count', 'Cal Count', 'Cy Count', 'Cleo Count'].map((name) => tutorItem({ name })),
    );
    for (const [i, priority] of (['critical', 'high', 'medium', 'low'] as const).entries()) {
      const { body } = await create('manager', {
        tutorId: counted[i].id,
        type: 'manager_coaching',
        priority,
        reason: 'Counter test',
      });
      made.push(body.id);
    }
    await request(t.http)
      .post(`/api/v1/interventions/${made[0]}/assign`)
      .set(as('manager'))
      .send({ assigneeId: users.ops.id })
      .expect(200);
    await request(t.http)
      .post(`/api/v1/interventions/${made[1]}/assign`)
      .set(as('manager'))
      .send({ assigneeId: users.ops2.id })
      .expect(200);
    const listed = async (who: string, query: string) => {
      let n = 0;
      let cursor: string | null = null;
      do {
        const page: { body: { items: unknown[]; nextCursor: string | null } } = await request(
          t.http,
        )
          .get(
            `/api/v1/interventions?status=open,assigned,in_progress,waiting&limit=100${query}` +
              (cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''),
          )
          .set(as(who))
          .expect(200);
        n += page.body.items.length;
        cursor = page.body.nextCursor;
      } while (cursor);
      return n;
    };
    try {
      // A week on (five working days or more, whatever the weekday today), the critical
      // ones (2 working days) are breached. Three calendar days were not enough when the
      // test ran on a Thursday: the deadline fell on Monday.
      const later = new Date(Date.now() + 7 * 86_400_000);
      clock.now = () => later;
      for (const who of ['manager', 'ops']) {
        const { body: stats } = await request(t.http)
          .get('/api/v1/interventions/stats')
          .set(as(who))
          .expect(200);
        expect({
          open: stats.open,
          atRisk: stats.atRisk,
          breached: stats.breached,
          unassigned: stats.unassigned,
        }).toEqual({
          open: await listed(who, ''),
          atRisk: await listed(who, '&slaState=at_risk'),
          breached: await listed(who, '&slaState=breached'),
          unassigned: await listed(who, '&assignee=unassigned'),
        });
        expect(stats.breached).toBeGreaterThan(0);
      }
      const [manager, ops] = await Promise.all(
        ['manager', 'ops'].map(
          async (who) =>
            (await request(t.http).get('/api/v1/interventions/stats').set(as(who)).expect(200))
              .body,
        ),
      );
      // people ops do not see what is assigned to someone else (made[1] went to ops2)
      expect(ops.open).toBeLessThan(manager.open);
    } finally {
      clock.now = real;
    }
  });

  it('sends the weekly digest to each operations manager once per week', async () => {
    const workflows = t.app.get(NotificationWorkflows);
    const before = smtp.messages.length;
    const first = await workflows.weeklyDigest();
    expect(first).toEqual({ queued: 1 });
    await waitFor('the digest email', () =>
      smtp.messages
        .slice(before)
        .some((m) => m.subject?.startsWith('Weekly digest') && to(m).includes(users.manager.email)),
    );
    const digest = smtp.messages.slice(before).find((m) => m.subject?.startsWith('Weekly digest'))!;
    const [{ open }] = await t.dataSource.query(
      `SELECT count(*)::int AS open FROM interventions WHERE status NOT IN ('completed', 'cancelled')`,
    );
    expect(digest.text).toContain(`Interventions open now: ${open}`);
    expect(await workflows.weeklyDigest()).toEqual({ duplicate: 1 });
    await waitForIdle(t);
    expect(
      smtp.messages.slice(before).filter((m) => m.subject?.startsWith('Weekly digest')),
    ).toHaveLength(1);
  });
});
