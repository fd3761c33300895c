import request from 'supertest';
import { randomUUID } from 'node:crypto';
import { InterventionSlaNotices } from '../src/interventions/intervention-sla-notices.service';
import { InterventionsProcessor } from '../src/interventions/interventions.processor';
import { InterventionsService } from '../src/interventions/interventions.service';
import { OutboxService } from '../src/workers/outbox.service';
import { daysLater } from './helpers/clock';
import { apiSignIn, createUser } from './helpers/auth';
import { completedSession, studentItem, tutorItem } from './helpers/fixtures';
import { ingest } from './helpers/ingest';
import { startSmtpSink, SmtpSink } from './helpers/smtp-sink';
import { startTestApp, TestApp } from './helpers/test-app';
import { waitFor } from './helpers/workers';

describe('interventions API', () => {
  let t: TestApp;
  let smtp: SmtpSink;
  let tutorIds: string[];
  const tokens: Record<string, string> = {};
  const users: Record<string, { id: string; email: string }> = {};
  const as = (who: string) => ({ Authorization: `Bearer ${tokens[who]}` });

  beforeAll(async () => {
    smtp = await startSmtpSink();
    t = await startTestApp({ SMTP_URL: smtp.url });
    const results = await ingest(t.http, 'tutors', [
      tutorItem(),
      tutorItem(),
      tutorItem(),
      tutorItem(),
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
      users[name] = { id: u.id, email: u.email };
      tokens[name] = (await apiSignIn(t, u.email, u.password, `203.0.113.${++n}`)).accessToken;
    }
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  const create = (who: string, body: object) =>
    request(t.http).post('/api/v1/interventions').set(as(who)).send(body);
  /** An intervention's detail, as an operations manager sees it. */
  const detailOf = async (id: string) =>
    (await request(t.http).get(`/api/v1/interventions/${id}`).set(as('manager')).expect(200)).body;

  it('creates a manual intervention with its SLA clocks, and refuses a duplicate open type', async () => {
    const res = await create('manager', {
      tutorId: tutorIds[0],
      type: 'manager_coaching',
      priority: 'high',
      reason: 'Asked for help with pacing',
    }).expect(201);
    expect(res.body).toMatchObject({
      id: expect.any(String),
      status: 'open',
      kind: 'human',
      priority: 'high',
      createdById: users.manager.id,
      ruleId: null,
      assigneeId: null,
      slaState: 'on_track',
    });
    expect(res.body.sla.map((s: { target: string }) => s.target)).toEqual([
      'first_action',
      'resolution',
    ]);
    expect(res.body.sla[1].targetMinutes).toBe(16 * 60); // manager coaching: 2 working days
    expect(res.body.history).toMatchObject([{ from: null, to: 'open', actorId: users.manager.id }]);
    const dup = await create('manager', {
      tutorId: tutorIds[0],
      type: 'manager_coaching',
      priority: 'low',
      reason: 'again',
    }).expect(409);
    expect(dup.body.message).toMatch(/already has an open manager_coaching/);
  });

  it('answers 400 naming the problem for bad input, 404 for an unknown tutor', async () => {
    const bad = await create('manager', {
      tutorId: 'x',
      type: 'hug',
      priority: 'urgent',
      reason: '',
    }).expect(400);
    expect(bad.body.message).toMatch(/tutorId must be a UUID/);
    expect(bad.body.message).toMatch(/type must be one of/);
    expect(bad.body.details.length).toBeGreaterThanOrEqual(3);
    await create('manager', {
      tutorId: '00000000-0000-4000-8000-000000000001',
      type: 'peer_mentoring',
      priority: 'low',
      reason: 'no such tutor',
    }).expect(404);
    await request(t.http).get('/api/v1/interventions?status=bogus').set(as('manager')).expect(400);
    await request(t.http)
      .get('/api/v1/interventions?cursor=nonsense')
      .set(as('manager'))
      .expect(400);
  });

  it('walks the workflow: assign, start, wait (SLA paused), resume, complete with an outcome', async () => {
    const { body: iv } = await create('manager', {
      tutorId: tutorIds[1],
      type: 'retention_interview',
      priority: 'critical',
      reason: 'Said they may leave',
    }).expect(201);
    const move = (who: string, body: object) =>
      request(t.http).post(`/api/v1/interventions/${iv.id}/transitions`).set(as(who)).send(body);

    // people_ops may not assign, and may not work one that is not theirs.
    await request(t.http)
      .post(`/api/v1/interventions/${iv.id}/assign`)
      .set(as('ops'))
      .send({ assigneeId: users.ops.id })
      .expect(403);
    await move('ops', { to: 'cancelled', reason: 'x' }).expect(403);
    // Only people_ops and operations managers can be assignees.
    const notStaff = await request(t.http)
      .post(`/api/v1/interventions/${iv.id}/assign`)
      .set(as('manager'))
      .send({ assigneeId: users.tutor.id })
      .expect(400);
    expect(notStaff.body.message).toMatch(
      /not an active user with the people_ops or operations_manager role/,
    );
    // open → in_progress is not allowed; assigning is.
    await move('manager', { to: 'in_progress' }).expect(409);
    const assigned = await request(t.http)
      .post(`/api/v1/interventions/${iv.id}/assign`)
      .set(as('manager'))
      .send({ assigneeId: users.ops.id })
      .expect(200);
    expect(assigned.body).toMatchObject({
      status: 'assigned',
      assigneeId: users.ops.id,
      assigneeName: 'The ops',
    });

    // The other people_ops user neither sees nor works it.
    await request(t.http).get(`/api/v1/interventions/${iv.id}`).set(as('ops2')).expect(403);
    await move('ops2', { to: 'in_progress' }).expect(403);

    const illegal = await move('ops', { to: 'completed', outcome: 'improved' }).expect(409);
    expect(illegal.body.message).toBe(
      'an intervention that is assigned cannot move to completed; it can move to in_progress, cancelled',
    );
    await move('ops', { to: 'in_progress', note: 'Called the tutor' }).expect(200);
    const waiting = await move('ops', { to: 'waiting' }).expect(200);
    expect(waiting.body.slaState).toBe('paused');
    expect(waiting.body.sla[1]).toMatchObject({
      target: 'resolution',
      paused: true,
      state: 'paused',
    });
    // A rule's fresh evidence while the clock is paused is recorded; the clock stays paused.
    const refresh = (reason: string, churnScore: number) =>
      t.app.get(InterventionsService).refreshEvidence(iv.id, {
        ruleId: 'critical_churn_risk',
        reason,
        evidence: { churnScore },
        priority: 'critical',
      });
    // While paused the stored projection follows the time: a week on, the refresh moves it.
    const sortAt = async () =>
      (
        await t.dataSource.query('SELECT sla_sort_at FROM interventions WHERE id = $1', [iv.id])
      )[0].sla_sort_at.getTime();
    const pausedSortAt = await sortAt();
    await daysLater(t.app, 7, () => refresh('Still at risk', 91));
    expect(await sortAt()).toBeGreaterThan(pausedSortAt);
    expect(await detailOf(iv.id)).toMatchObject({
      status: 'waiting',
      slaState: 'paused',
      priority: 'critical',
      reason: 'Still at risk',
      evidence: { churnScore: 91 },
    });
    const noOutcome = await move('ops', { to: 'completed' }).expect(400);
    expect(noOutcome.body.message).toBe('completing an intervention needs an outcome');
    await move('ops', { to: 'completed', outcome: 'excellent' }).expect(400);
    const done = await move('ops', {
      to: 'completed',
      outcome: 'improved',
      note: 'Staying on',
    }).expect(200);
    expect(done.body).toMatchObject({ status: 'completed', outcome: 'improved', slaDueAt: null });
    expect(done.body.history.map((h: { to: string }) => h.to)).toEqual([
      'open',
      'assigned',
      'in_progress',
      'waiting',
      'completed',
    ]);
    expect(done.body.history[2]).toMatchObject({ actorId: users.ops.id, note: 'Called the tutor' });
    // Final is final, and nothing changes, not even a rule's late evidence.
    await move('manager', { to: 'cancelled', reason: 'oops' }).expect(409);
    await refresh('Late evidence', 99);
    expect(await detailOf(iv.id)).toMatchObject({
      status: 'completed',
      reason: 'Still at risk',
      evidence: { churnScore: 91 },
    });
  });

  it('needs a reason to cancel, and keeps a notes thread', async () => {
    const { body: iv } = await create('manager', {
      tutorId: tutorIds[2],
      type: 'peer_mentoring',
      priority: 'medium',
      reason: 'New and struggling',
    }).expect(201);
    await request(t.http)
      .post(`/api/v1/interventions/${iv.id}/notes`)
      .set(as('manager'))
      .send({ body: 'Found a mentor in Algebra' })
      .expect(201);
    const notes = await request(t.http)
      .get(`/api/v1/interventions/${iv.id}/notes`)
      .set(as('manager'))
      .expect(200);
    expect(notes.body.items).toMatchObject([
      { body: 'Found a mentor in Algebra', authorId: users.manager.id },
    ]);
    const r = await request(t.http)
      .post(`/api/v1/interventions/${iv.id}/transitions`)
      .set(as('manager'))
      .send({ to: 'cancelled' })
      .expect(400);
    expect(r.body.message).toBe('cancelling an intervention needs a reason');
    const c = await request(t.http)
      .post(`/api/v1/interventions/${iv.id}/transitions`)
      .set(as('manager'))
      .send({ to: 'cancelled', reason: 'Tutor declined mentoring' })
      .expect(200);
    expect(c.body).toMatchObject({ status: 'cancelled', cancelReason: 'Tutor declined mentoring' });
  });

  it('lists with filters and keyset pages; people_ops see their own and the pool; tutors see nothing', async () => {
    for (const type of [
      'first_session_checkin',
      'performance_improvement_plan',
      'manager_coaching',
    ] as const)
      await create('manager', {
        tutorId: tutorIds[3],
        type,
        priority: 'low',
        reason: 'for the list',
      }).expect(201);
    const page1 = await request(t.http)
      .get(`/api/v1/interventions?tutorId=${tutorIds[3]}&limit=2`)
      .set(as('manager'))
      .expect(200);
    expect(page1.body.items).toHaveLength(2);
    const page2 = await request(t.http)
      .get(`/api/v1/interventions?tutorId=${tutorIds[3]}&limit=2&cursor=${page1.body.nextCursor}`)
      .set(as('manager'))
      .expect(200);
    expect(page2.body).toMatchObject({ nextCursor: null });
    expect(page2.body.items).toHaveLength(1);
    const dues = [...page1.body.items, ...page2.body.items].map(
      (i: { slaDueAt: string }) => i.slaDueAt,
    );
    expect([...dues].sort()).toEqual(dues);

    const mine = await request(t.http)
      .get('/api/v1/interventions?assignee=me')
      .set(as('ops'))
      .expect(200);
    expect(
      mine.body.items.every((i: { assigneeId: string }) => i.assigneeId === users.ops.id),
    ).toBe(true);
    expect(mine.body.items.length).toBeGreaterThanOrEqual(1);
    const ops2 = await request(t.http)
      .get('/api/v1/interventions?limit=500')
      .set(as('ops2'))
      .expect(200);
    expect(
      ops2.body.items.some((i: { assigneeId: string | null }) => i.assigneeId === users.ops.id),
    ).toBe(false);
    const unassigned = await request(t.http)
      .get(
        '/api/v1/interventions?assignee=unassigned&status=open&type=first_session_checkin,manager_coaching',
      )
      .set(as('manager'))
      .expect(200);
    expect(unassigned.body.items.length).toBeGreaterThanOrEqual(2);
    await request(t.http).get('/api/v1/interventions').set(as('tutor')).expect(403);
    await request(t.http).get('/api/v1/interventions/stats').set(as('tutor')).expect(403);

    const bulk = await request(t.http)
      .post('/api/v1/interventions/bulk-assign')
      .set(as('manager'))
      .send({ ids: page1.body.items.map((i: { id: string }) => i.id), assigneeId: users.ops2.id })
      .expect(200);
    expect(bulk.body.assigned).toHaveLength(2);
    const stats = await request(t.http)
      .get('/api/v1/interventions/stats')
      .set(as('manager'))
      .expect(200);
    expect(stats.body).toMatchObject({
      open: expect.any(Number),
      breached: 0,
      byStatus: expect.any(Object),
    });
    const csv = await request(t.http)
      .get('/api/v1/interventions/export.csv?status=completed')
      .set(as('manager'))
      .expect(200);
    expect(csv.text.split('\r\n')[0]).toMatch(/^id,tutorId,tutor,type/);
    expect(csv.text).toMatch(/retention_interview/);
    const eff = await request(t.http)
      .get('/api/v1/interventions/effectiveness')
      .set(as('manager'))
      .expect(200);
    expect(
      eff.body.items.find((i: { type: string }) => i.type === 'retention_interview'),
    ).toMatchObject({
      completionRate: 1,
      slaCompliance: 1,
      outcomes: { improved: 1 },
    });
  });

  it('validates configuration on save and versions it (admins only)', async () => {
    const current = await request(t.http)
      .get('/api/v1/interventions/config/rules')
      .set(as('admin'))
      .expect(200);
    expect(current.body.version).toBe(0);
    await request(t.http).get('/api/v1/interventions/config/rules').set(as('manager')).expect(403);
    const bad = {
      ...current.body.document,
      thresholds: { ...current.body.document.thresholds, excessiveRescheduleRate: 60 },
    };
    const refused = await request(t.http)
      .put('/api/v1/interventions/config/rules')
      .set(as('admin'))
      .send({ document: bad })
      .expect(400);
    expect(refused.body.message).toMatch(
      /excessiveRescheduleRate must be a fraction between 0 and 1/,
    );
    const saved = await request(t.http)
      .put('/api/v1/interventions/config/rules')
      .set(as('admin'))
      .send({ document: { ...current.body.document, sameTypeCooldownDays: 10 } })
      .expect(200);
    expect(saved.body).toMatchObject({ version: 1, document: { sameTypeCooldownDays: 10 } });
    const sla = await request(t.http)
      .get('/api/v1/interventions/config/sla')
      .set(as('admin'))
      .expect(200);
    await request(t.http)
      .put('/api/v1/interventions/config/sla')
      .set(as('admin'))
      .send({
        document: {
          ...sla.body.document,
          calendar: { ...sla.body.document.calendar, timeZone: 'Mars/Base' },
        },
      })
      .expect(400);
    const changed = await request(t.http)
      .put('/api/v1/interventions/config/sla')
      .set(as('admin'))
      .send({
        document: {
          ...sla.body.document,
          calendar: { ...sla.body.document.calendar, timeZone: 'Europe/London' },
        },
      })
      .expect(200);
    expect(changed.body.version).toBe(1);
    expect(changed.body.recomputed).toBeGreaterThan(0);
  });

  it('delivers an automated intervention by email and completes it', async () => {
    const { body: iv } = await create('manager', {
      tutorId: tutorIds[2],
      type: 'recognition',
      priority: 'low',
      reason: 'Great month',
    }).expect(201);
    const done = await waitFor('the recognition to be delivered', async () => {
      const r = await request(t.http).get(`/api/v1/interventions/${iv.id}`).set(as('manager'));
      return r.body.status === 'completed' ? r.body : null;
    });
    expect(done).toMatchObject({ deliveryStatus: 'sent', outcome: null });
    expect(done.history[1]).toMatchObject({ from: 'open', to: 'completed', actorId: null });
    // It completes once the notifications module reports the email sent, so the email is there.
    const mail = smtp.messages.find((m) => m.subject?.includes('Outstanding Work'));
    expect(mail).toBeDefined();
    // The intervention's reason is internal (it may name a churn score): never in the tutor's email.
    expect(`${mail!.text} ${mail!.html}`).not.toContain('Great month');
  });

  it('sends each SLA notice once: warning and breach to the assignee, escalations to operations managers', async () => {
    const { body: iv } = await create('manager', {
      tutorId: tutorIds[1],
      type: 'manager_coaching',
      priority: 'critical',
      reason: 'SLA test',
    }).expect(201);
    await request(t.http)
      .post(`/api/v1/interventions/${iv.id}/assign`)
      .set(as('manager'))
      .send({ assigneeId: users.ops.id })
      .expect(200);
    const notices = t.app.get(InterventionSlaNotices);
    const before = smtp.messages.length;
    // Three weeks on: every stage of both targets is due.
    await daysLater(t.app, 21, async () => {
      const first = await notices.check(iv.id);
      expect(first.sent.sort()).toEqual([
        'first_action:at_risk',
        'first_action:breached',
        'first_action:escalated',
        'first_action:escalated_again',
        'resolution:at_risk',
        'resolution:breached',
        'resolution:escalated',
        'resolution:escalated_again',
      ]);
      const second = await notices.check(iv.id);
      expect(second.sent).toEqual([]);
    });
    // SLA notices only (the assignment above also sent its "assigned to you" notice).
    const slaNotices = () =>
      smtp.messages.slice(before).filter((m) => !m.subject?.startsWith('Assigned to you'));
    await waitFor('the eight SLA notices', () => slaNotices().length >= 8);
    const sent = slaNotices();
    const to = (m: (typeof sent)[number]) =>
      ([] as { value: { address?: string }[] }[])
        .concat(m.to as never)
        .flatMap((a) => a.value.map((v) => v.address));
    expect(sent.filter((m) => to(m).includes(users.ops.email))).toHaveLength(4);
    expect(sent.filter((m) => to(m).includes(users.manager.email))).toHaveLength(4);
    expect(sent.some((m) => m.subject?.startsWith('🚨 Second escalation'))).toBe(true);
    const rows = await t.dataSource.query(
      'SELECT count(*)::int AS n FROM intervention_sla_notices WHERE intervention_id = $1',
      [iv.id],
    );
    expect(rows[0].n).toBe(8);
  });

  it('runs the rule engine on tutor.risk-scored events: creates, then refreshes instead of duplicating', async () => {
    const tutorId = tutorIds[0];
    await t.dataSource.query(
      `INSERT INTO tutor_metric_snapshots (tutor_id, window_days, snapshot_date, reference_at, sessions_scheduled,
         sessions_completed, no_show_count, reschedule_count, ratings_count, avg_rating, first_sessions_rated,
         login_count, teaching_days, response_count, engagement_score, reschedule_rate, computed_at)
       VALUES ($1, 30, current_date, now(), 10, 8, 0, 0, 8, 4.3, 0, 8, 8, 0, 70, 0.05, now())`,
      [tutorId],
    );
    const emit = async (score: number, n: number) =>
      t.dataSource.transaction((m) =>
        t.app.get(OutboxService).append(m, [
          {
            type: 'tutor.risk-scored',
            payload: {
              tutorId,
              churnScore: score,
              scoredAt: new Date(Date.now() + n).toISOString(),
            },
          },
        ]),
      );
    await emit(90, 1);
    const created = await waitFor(
      'a retention interview from the critical churn rule',
      async () => {
        const r = await request(t.http)
          .get(`/api/v1/interventions?tutorId=${tutorId}&type=retention_interview`)
          .set(as('manager'));
        return r.body.items?.[0];
      },
    );
    expect(created).toMatchObject({
      ruleId: 'critical_churn_risk',
      priority: 'critical',
      status: 'open',
    });
    const slaOf = async () =>
      (
        await t.dataSource.query(
          `SELECT first_action_due_at, resolution_due_at, sla_sort_at, sla_policy_version
             FROM interventions WHERE id = $1`,
          [created.id],
        )
      )[0];
    const slaBefore = await slaOf();
    await emit(95, 2);
    await waitFor('the evidence to be refreshed', async () => {
      const r = await request(t.http).get(`/api/v1/interventions/${created.id}`).set(as('manager'));
      return r.body.evidence?.churnScore === 95;
    });
    // New evidence at the same priority leaves the SLA clocks where they were.
    expect(await slaOf()).toEqual(slaBefore);
    const all = await request(t.http)
      .get(`/api/v1/interventions?tutorId=${tutorId}&type=retention_interview`)
      .set(as('manager'));
    expect(all.body.items).toHaveLength(1);
  });

  it('runs the metric rules on tutor.metrics-updated, except for a tutor the prediction module scores: that one gets every rule once, with the churn score that follows', async () => {
    const [scored, objecting, fresh] = (
      await ingest(t.http, 'tutors', [tutorItem(), tutorItem(), tutorItem()])
    ).map((r) => r.id!);
    await t.dataSource.query('UPDATE tutors SET profiling_objection = true WHERE id = $1', [
      objecting,
    ]);
    // Scored before (a low risk); the fresh tutor never was.
    await t.dataSource.query(
      `INSERT INTO tutor_risk (tutor_id, churn_score, band, scored_score, probabilities, top_factors,
         model_version, as_of, scored_at)
       VALUES ($1, 10, 'low', 10, '{}', '[]', 'test', current_date, now())`,
      [scored],
    );
    // A reschedule rate of 35 % (above 20 %) fires the excessive-rescheduling metric rule.
    await t.dataSource.query(
      `INSERT INTO tutor_metric_snapshots (tutor_id, window_days, snapshot_date, reference_at, sessions_scheduled,
         sessions_completed, no_show_count, reschedule_count, ratings_count, avg_rating, first_sessions_rated,
         login_count, teaching_days, response_count, engagement_score, reschedule_rate, computed_at)
       SELECT id, 30, current_date, now(), 12, 8, 0, 4, 8, 4.6, 0, 8, 8, 0, 80, 0.35, now()
         FROM unnest($1::uuid[]) AS id`,
      [[scored, objecting, fresh]],
    );
    const interventionsOf = async (tutorId: string): Promise<string[][]> =>
      (
        await request(t.http)
          .get(`/api/v1/interventions?tutorId=${tutorId}`)
          .set(as('manager'))
          .expect(200)
      ).body.items.map((i: { type: string; ruleId: string }) => [i.type, i.ruleId]);
    const rescheduling = [['rescheduling_alert', 'excessive_rescheduling']];
    const reschedulingOf = async (tutorId: string) =>
      (await interventionsOf(tutorId)).filter(([type]) => type === 'rescheduling_alert');
    // The metrics update alone leaves a scored tutor to the churn score that follows it.
    expect(
      await t.app.get(InterventionsProcessor).onMetricsUpdated({
        eventId: randomUUID(),
        eventType: 'tutor.metrics-updated',
        occurredAt: new Date().toISOString(),
        tutorId: scored,
      }),
    ).toEqual({
      skipped: 'the churn score that follows this update runs every rule',
      created: 0,
      refreshed: 0,
    });
    expect(await interventionsOf(scored)).toEqual([]);
    // Through the pipeline: the scored tutor's rules run after its new churn score, the
    // others' metric rules on the update itself (the fresh tutor is scored too, and its
    // score's rules refresh what the update's created).
    await t.dataSource.transaction((m) =>
      t.app.get(OutboxService).append(
        m,
        [scored, objecting, fresh].map((tutorId) => ({
          type: 'tutor.metrics-updated',
          payload: { tutorId },
        })),
      ),
    );
    await waitFor('every tutor to get the rescheduling alert', async () => {
      const lists = await Promise.all([scored, objecting, fresh].map(reschedulingOf));
      return lists.every((l) => l.length > 0);
    });
    // Once each; a scored tutor may also get a churn rule's intervention, the objecting one not.
    expect(await reschedulingOf(scored)).toEqual(rescheduling);
    expect(await reschedulingOf(fresh)).toEqual(rescheduling);
    expect(await interventionsOf(objecting)).toEqual(rescheduling);
    await waitFor('the fresh tutor to be scored', async () => {
      const rows = await t.dataSource.query('SELECT 1 FROM tutor_risk WHERE tutor_id = $1', [
        fresh,
      ]);
      return rows.length === 1;
    });
    const risk = await t.dataSource.query('SELECT 1 FROM tutor_risk WHERE tutor_id = $1', [
      objecting,
    ]);
    expect(risk).toEqual([]);
  });

  it('escalates an intervention a rule refreshes with a more urgent priority, moving its SLA targets; never lowers it', async () => {
    const { body: iv } = await create('manager', {
      tutorId: tutorIds[2],
      type: 'performance_improvement_plan',
      priority: 'low',
      reason: 'Ratings slipping',
    }).expect(201);
    expect(iv.sla.map((s: { targetMinutes: number }) => s.targetMinutes)).toEqual([
      24 * 60,
      112 * 60,
    ]);
    const interventions = t.app.get(InterventionsService);
    const refresh = (priority: 'high' | 'low', reason: string) =>
      interventions.refreshEvidence(iv.id, {
        ruleId: 'test_rule',
        reason,
        evidence: { avgRating: 3.1 },
        priority,
      });
    await refresh('high', 'Ratings falling fast');
    const escalated = await detailOf(iv.id);
    expect(escalated).toMatchObject({ priority: 'high', reason: 'Ratings falling fast' });
    expect(escalated.sla.map((s: { targetMinutes: number }) => s.targetMinutes)).toEqual([
      8 * 60,
      40 * 60,
    ]);
    expect(escalated.sla[0].dueAt).not.toBe(iv.sla[0].dueAt);
    await refresh('low', 'Ratings steady');
    const after = await detailOf(iv.id);
    expect(after).toMatchObject({ priority: 'high', reason: 'Ratings steady' });
    const targets = (sla: { target: string; dueAt: string; targetMinutes: number }[]) =>
      sla.map(({ target, dueAt, targetMinutes }) => ({ target, dueAt, targetMinutes }));
    expect(targets(after.sla)).toEqual(targets(escalated.sla));
  });

  it('shows the tutor’s recent sessions on the manager’s tutor page, and refuses it to tutors', async () => {
    const [tutor] = await t.dataSource.query('SELECT external_id FROM tutors WHERE id = $1', [
      tutorIds[3],
    ]);
    const student = studentItem();
    await ingest(t.http, 'students', [student]);
    await ingest(t.http, 'sessions', [
      completedSession(tutor.external_id, student.externalId, { subject: 'Chemistry' }),
    ]);
    const page = await request(t.http).get(`/tutors/${tutorIds[3]}`).set(as('manager')).expect(200);
    expect(page.text).toContain('Recent sessions');
    expect(page.text).toMatch(/Chemistry · 60 min · completed/);
    await request(t.http).get(`/tutors/${tutorIds[3]}`).set(as('tutor')).expect(403);
  });
});
