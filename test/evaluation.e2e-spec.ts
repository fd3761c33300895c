import request from 'supertest';
import { NightlyEvaluationService } from '../src/performance/nightly-evaluation.service';
import { upsertTutorSnapshots } from '../src/performance/metrics-sql';
import { FieldCipher } from '../src/security/field-cipher';
import { SyntheticDataService } from '../src/tutoring/synthetic/synthetic-data.service';
import { JobQueue } from '../src/workers/job-queue.service';
import { JOBS } from '../src/workers/queues';
import { daysFromNow, iso, studentItem, tutorItem } from './helpers/fixtures';
import { ingest } from './helpers/ingest';
import { startTestApp, TEST_API_KEY, TestApp } from './helpers/test-app';
import { queueOf, waitFor, waitForIdle } from './helpers/workers';

const minutes = (date: Date, n: number) => new Date(date.getTime() + n * 60_000);

/** A session `days` ago at 17:00 UTC with the given outcome. */
function session(
  externalId: string,
  tutor: string,
  student: string,
  days: number,
  outcome:
    | { status: 'no_show'; reschedule?: boolean }
    | {
        late: number;
        engagement: number;
        objectives: boolean | null;
        reschedule?: boolean;
      },
) {
  const start = daysFromNow(-days);
  const base = {
    externalId,
    tutorExternalId: tutor,
    studentExternalId: student,
    scheduledStart: iso(start),
    durationMinutes: 60,
    subject: 'Algebra',
    tutorInitiatedReschedule: outcome.reschedule ?? false,
  };
  if ('status' in outcome) return { ...base, status: 'no_show' };
  return {
    ...base,
    actualStart: iso(minutes(start, outcome.late)),
    lateStartMinutes: outcome.late,
    engagementScore: outcome.engagement,
    ...(outcome.objectives === null ? {} : { learningObjectivesMet: outcome.objectives }),
  };
}

const feedback = (externalId: string, sessionExternalId: string, days: number, rating: number) => ({
  externalId,
  sessionExternalId,
  overallRating: rating,
  submittedAt: iso(minutes(daysFromNow(-days), 180)),
});

const event = (
  externalId: string,
  tutor: string,
  days: number,
  type: 'login' | 'message_response',
  responseMinutes?: number,
) => ({
  externalId,
  tutorExternalId: tutor,
  eventType: type,
  occurredAt: iso(daysFromNow(-days, 9)),
  ...(responseMinutes === undefined ? {} : { responseMinutes }),
});

describe('evaluation pipeline (event-driven)', () => {
  let t: TestApp;
  const tutorA = tutorItem();
  const tutorB = tutorItem();
  let tutorAId: string;
  let tutorBId: string;
  const students = [studentItem(), studentItem(), studentItem(), studentItem()];
  const [s1, s2, s3, s4] = students.map((s) => s.externalId);
  const a = tutorA.externalId;

  beforeAll(async () => {
    t = await startTestApp();
    [{ id: tutorAId }, { id: tutorBId }] = (await ingest(t.http, 'tutors', [tutorA, tutorB])) as {
      id: string;
    }[];
    await ingest(t.http, 'students', students);
    await ingest(t.http, 'sessions', [
      // last 7 days
      session('ev-1', a, s1, 5, { late: 0, engagement: 0.9, objectives: true }),
      session('ev-2', a, s1, 4, { late: 12, engagement: 0.7, objectives: false }),
      session('ev-3', a, s2, 3, { status: 'no_show' }),
      session('ev-4', a, s2, 2, { late: 2, engagement: 0.8, objectives: true, reschedule: true }),
      // 8-30 days
      session('ev-5', a, s3, 20, { late: 0, engagement: 1, objectives: true }),
      session('ev-6', a, s3, 12, { late: 0, engagement: 0.6, objectives: null, reschedule: true }),
      // 31-90 days
      session('ev-7', a, s4, 60, { late: 0, engagement: 0.5, objectives: true }),
      session('ev-8', a, s4, 50, { status: 'no_show' }),
    ]);
    await ingest(t.http, 'feedback', [
      feedback('fb-1', 'ev-1', 5, 5),
      feedback('fb-2', 'ev-2', 4, 3),
      feedback('fb-5', 'ev-5', 20, 4),
      feedback('fb-6', 'ev-6', 12, 2),
      feedback('fb-7', 'ev-7', 60, 2),
    ]);
    await ingest(t.http, 'tutor-events', [
      event('te-1', a, 1, 'login'),
      event('te-2', a, 6, 'login'),
      event('te-3', a, 20, 'login'),
      event('te-4', a, 50, 'login'),
      event('te-5', a, 3, 'message_response', 10),
      event('te-6', a, 15, 'message_response', 30),
      event('te-7', a, 60, 'message_response', 50),
    ]);
    await waitForIdle(t);
  });
  afterAll(() => t.close());

  it('computes the 7/30/90-day metrics as fractions, with a no-show rate and a 0–1-input engagement composite', async () => {
    const res = await request(t.http)
      .get(`/api/v1/tutors/${tutorAId}/performance`)
      .set('X-API-Key', TEST_API_KEY)
      .expect(200);
    const w = res.body.windows;
    const today = new Date().toISOString().slice(0, 10);
    expect(w['7day']).toMatchObject({
      windowDays: 7,
      snapshotDate: today,
      sessionsScheduled: 4,
      sessionsCompleted: 3,
      noShowCount: 1,
      rescheduleCount: 1,
      ratingsCount: 2,
      firstSessionsRated: 1,
      loginCount: 2,
      teachingDays: 3,
      responseCount: 1,
    });
    const close = (actual: Record<string, number>, expected: Record<string, number>) => {
      for (const [key, value] of Object.entries(expected))
        expect({ key, value: actual[key] }).toEqual({ key, value: expect.closeTo(value, 4) });
    };
    close(w['7day'], {
      noShowRate: 0.25,
      rescheduleRate: 0.25,
      avgRating: 4,
      firstSessionSuccessRate: 1,
      learningObjectivesMetRate: 2 / 3,
      sessionEngagementMean: 0.8,
      onTimeRate: 2 / 3,
      loginRatio: 2 / 3,
      engagementScore: 72,
      responseTimeAvgMinutes: 10,
    });
    close(w['30day'], {
      sessionsScheduled: 6,
      sessionsCompleted: 5,
      noShowRate: 1 / 6,
      rescheduleRate: 2 / 6,
      avgRating: 3.5,
      firstSessionSuccessRate: 1,
      learningObjectivesMetRate: 0.75,
      sessionEngagementMean: 0.8,
      onTimeRate: 0.8,
      loginRatio: 0.6,
      engagementScore: 72,
      responseTimeAvgMinutes: 20,
      // rating neutral, first sessions green, reschedules / no-shows / objectives red
      greenFlags: 1,
      redFlags: 3,
      performanceScore: 76.58,
    });
    close(w['90day'], {
      sessionsScheduled: 8,
      sessionsCompleted: 6,
      noShowRate: 0.25,
      rescheduleRate: 0.25,
      avgRating: 3.2,
      firstSessionSuccessRate: 2 / 3,
      learningObjectivesMetRate: 0.8,
      sessionEngagementMean: 0.75,
      onTimeRate: 5 / 6,
      loginRatio: 4 / 6,
      engagementScore: 100 * (0.4 * 0.75 + 0.4 * (4 / 6) + 0.2 * (5 / 6)),
      responseTimeAvgMinutes: 30,
    });
    // Tiers are placed by the nightly batch, against the population.
    expect(res.body.tier).toBeNull();
  });

  it('records when each event was stored and when the metrics including it were updated', async () => {
    const rows: { event_type: string; stored_at: Date; metrics_updated_at: Date | null }[] =
      await t.dataSource.query(
        'SELECT event_type, stored_at, metrics_updated_at FROM tutor_metrics_triggers WHERE tutor_id = $1',
        [tutorAId],
      );
    expect(rows.map((r) => r.event_type).sort()).toEqual([
      ...Array<string>(5).fill('feedback.recorded'),
      ...Array<string>(8).fill('session.recorded'),
      ...Array<string>(7).fill('tutor-event.recorded'),
    ]);
    for (const row of rows) {
      expect(row.metrics_updated_at).not.toBeNull();
      expect(row.metrics_updated_at!.getTime()).toBeGreaterThanOrEqual(row.stored_at.getTime());
    }
  });

  it('coalesces a burst of events into at most one recompute per tutor per second', async () => {
    const student = studentItem();
    await ingest(t.http, 'students', [student]);
    const burst = Array.from({ length: 40 }, (_, i) =>
      // 1-6 and 8-21 days ago: clear of the 7-day edge, whatever the time of day.
      session(
        `burst-${i}`,
        tutorB.externalId,
        student.externalId,
        1 + (i % 20) + (i % 20 >= 6 ? 1 : 0),
        {
          late: 0,
          engagement: 0.8,
          objectives: true,
        },
      ),
    );
    await ingest(t.http, 'sessions', burst);
    await waitForIdle(t);
    const [{ events, updated, runs }] = await t.dataSource.query(
      `SELECT count(*)::int AS events, count(metrics_updated_at)::int AS updated,
              count(DISTINCT metrics_updated_at)::int AS runs
       FROM tutor_metrics_triggers WHERE tutor_id = $1`,
      [tutorBId],
    );
    expect({ events, updated }).toEqual({ events: 40, updated: 40 });
    expect(runs).toBeLessThanOrEqual(2);
    const [{ emitted }] = await t.dataSource.query(
      `SELECT count(*)::int AS emitted FROM outbox_events
       WHERE event_type = 'tutor.metrics-updated' AND payload->>'tutorId' = $1`,
      [tutorBId],
    );
    // One event per recompute; a second bucket that found its events already claimed by the
    // first still recomputes (and says so), so at most two for a burst that spans a second.
    expect(emitted).toBeGreaterThanOrEqual(runs);
    expect(emitted).toBeLessThanOrEqual(2);
    const snapshots = await t.dataSource.query(
      'SELECT window_days, sessions_scheduled FROM tutor_metric_snapshots WHERE tutor_id = $1 ORDER BY window_days',
      [tutorBId],
    );
    expect(snapshots).toEqual([
      { window_days: 7, sessions_scheduled: 12 },
      { window_days: 30, sessions_scheduled: 40 },
      { window_days: 90, sessions_scheduled: 40 },
    ]);
  });

  it('keeps one snapshot row per (tutor, window, day) however often it recomputes', async () => {
    await ingest(t.http, 'tutor-events', [
      {
        externalId: 'te-late',
        tutorExternalId: a,
        eventType: 'login',
        occurredAt: iso(new Date(Date.now() - 60_000)),
      },
    ]);
    await waitForIdle(t);
    const [{ rows, days }] = await t.dataSource.query(
      `SELECT count(*)::int AS rows, count(DISTINCT snapshot_date)::int AS days
       FROM tutor_metric_snapshots WHERE tutor_id = $1`,
      [tutorAId],
    );
    expect({ rows, days }).toEqual({ rows: 3, days: 1 });
  });

  it('runs the nightly batch as a job of the evaluation queue', async () => {
    const job = await t.app.get(JobQueue).add(JOBS.evaluation.nightly, {});
    const done = await waitFor('the nightly job', async () =>
      (await job.getState()) === 'completed' ? queueOf(t, 'evaluation').getJob(job.id) : null,
    );
    expect(done.returnvalue).toMatchObject({
      snapshotDate: new Date(Date.now() - 86_400_000).toISOString().slice(0, 10),
      snapshots: 6,
      rated: 2,
    });
  });

  it('answers 404 for an unknown tutor', async () => {
    await request(t.http)
      .get('/api/v1/tutors/6f1c2c1e-8d6f-4e8e-9d55-2d0f6a3b1c11/performance')
      .set('X-API-Key', TEST_API_KEY)
      .expect(404);
  });
});

describe('nightly evaluation (set-based batch and tiers)', () => {
  let t: TestApp;
  const DAY = 86_400_000;
  const dateOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const todayMs = Math.floor(Date.now() / DAY) * DAY;
  const yesterday = dateOf(todayMs - DAY);
  const dayBefore = dateOf(todayMs - 2 * DAY);
  let tutors = 0;

  beforeAll(async () => {
    // web: nothing else runs while the batch is inspected.
    t = await startTestApp({ ROLE: 'web' });
    const summary = await new SyntheticDataService(t.dataSource, t.app.get(FieldCipher)).load({
      tutors: 80,
      days: 45,
      seed: 5,
      nodeEnv: 'test',
    });
    tutors = summary.inserted.tutors;
  }, 120_000);
  afterAll(() => t.close());

  const tiers = async () =>
    t.dataSource.query(
      `SELECT p.tutor_id, p.tier, p.tier_since::text AS tier_since, p.previous_tier, p.green_flags,
              p.red_flags, t.behavioral_archetype AS archetype
       FROM tutor_performance_tiers p JOIN tutors t ON t.id = p.tutor_id`,
    ) as Promise<
      {
        tutor_id: string;
        tier: string | null;
        tier_since: string;
        previous_tier: string | null;
        green_flags: number;
        red_flags: number;
        archetype: string;
      }[]
    >;

  it('computes every tutor and window in one statement, as the single-tutor path does', async () => {
    const summary = await t.app.get(NightlyEvaluationService).run(dayBefore);
    const [{ active }] = await t.dataSource.query(
      `SELECT count(*)::int AS active FROM (
         SELECT tutor_id FROM sessions WHERE scheduled_start >= $1::date - 89 AND scheduled_start < $1::date + 1
         UNION SELECT tutor_id FROM tutor_events
         WHERE event_type IN ('login', 'message_response')
           AND occurred_at >= $1::date - 89 AND occurred_at < $1::date + 1) AS a`,
      [dayBefore],
    );
    expect(active).toBeGreaterThan(tutors * 0.9);
    expect(summary.snapshots).toBe(active * 3);
    const sample: { tutor_id: string }[] = await t.dataSource.query(
      'SELECT id AS tutor_id FROM tutors ORDER BY external_id LIMIT 5',
    );
    const columns = `window_days, sessions_scheduled, sessions_completed, no_show_count, no_show_rate,
      reschedule_rate, avg_rating, first_session_success_rate, learning_objectives_met_rate,
      session_engagement_mean, on_time_rate, login_count, teaching_days, login_ratio,
      engagement_score, response_time_avg_minutes`;
    for (const { tutor_id } of sample) {
      const batch = await t.dataSource.query(
        `SELECT ${columns} FROM tutor_metric_snapshots WHERE tutor_id = $1 AND snapshot_date = $2 ORDER BY window_days`,
        [tutor_id, dayBefore],
      );
      const single = await t.dataSource
        .transaction(async (m) => {
          await upsertTutorSnapshots(m, tutor_id, new Date(todayMs - DAY), '2000-01-01');
          const rows = await m.query(
            `SELECT ${columns} FROM tutor_metric_snapshots WHERE tutor_id = $1 AND snapshot_date = '2000-01-01' ORDER BY window_days`,
            [tutor_id],
          );
          throw Object.assign(new Error('rollback'), { rows });
        })
        .catch((e: { rows?: unknown }) => e.rows);
      // Equal up to float rounding (float4 sums may be added in another order): compare each
      // value with a relative tolerance, never by rounding (45.9625 rounds either way).
      const singleRows = single as Record<string, number | null>[];
      const batchRows = batch as Record<string, number | null>[];
      expect(singleRows.map((r) => Object.keys(r))).toEqual(batchRows.map((r) => Object.keys(r)));
      singleRows.forEach((row, i) => {
        for (const [key, value] of Object.entries(row)) {
          const other = batchRows[i][key];
          if (value === null || other === null) {
            expect({ [key]: other }).toEqual({ [key]: value });
          } else {
            const scale = Math.max(1, Math.abs(value));
            expect({ [key]: Math.abs(value - other) / scale < 1e-6 }).toEqual({ [key]: true });
          }
        }
      });
    }
  });

  it('matches an independent computation from the raw records', async () => {
    const [{ id }] = await t.dataSource.query(
      "SELECT id FROM tutors WHERE behavioral_archetype = 'steady' ORDER BY external_id LIMIT 1",
    );
    const ref = todayMs - DAY;
    const from = ref - 30 * DAY;
    const sessions: {
      status: string;
      reschedule: boolean;
      late: number;
      engagement: number | null;
      objectives: boolean | null;
      first: boolean;
      rating: number | null;
      day: number;
    }[] = await t.dataSource.query(
      `SELECT s.status, s.tutor_initiated_reschedule AS reschedule, s.late_start_minutes AS late,
              s.engagement_score AS engagement, s.learning_objectives_met AS objectives,
              s.session_number = 1 AS first, f.overall_rating AS rating,
              floor(($2::float8 - extract(epoch FROM s.scheduled_start) * 1000) / 86400000)::int AS day
       FROM sessions s LEFT JOIN student_feedback f ON f.session_id = s.id
       WHERE s.tutor_id = $1 AND s.scheduled_start >= to_timestamp($3 / 1000.0)
         AND s.scheduled_start < to_timestamp($2 / 1000.0)`,
      [id, ref, from],
    );
    const events: { type: string; minutes: number | null }[] = await t.dataSource.query(
      `SELECT event_type AS type, response_minutes AS minutes FROM tutor_events
       WHERE tutor_id = $1 AND occurred_at >= to_timestamp($3 / 1000.0) AND occurred_at < to_timestamp($2 / 1000.0)`,
      [id, ref, from],
    );
    const completed = sessions.filter((s) => s.status === 'completed');
    const noShows = sessions.filter((s) => s.status === 'no_show').length;
    const rated = sessions.filter((s) => s.rating !== null);
    const firsts = completed.filter((s) => s.first && s.rating !== null);
    const withObjectives = completed.filter((s) => s.objectives !== null);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const engagement = mean(completed.map((s) => s.engagement!));
    const onTime = completed.filter((s) => s.late <= 10).length / completed.length;
    const logins = events.filter((e) => e.type === 'login').length;
    const teachingDays = new Set(completed.map((s) => s.day)).size;
    const loginRatio = Math.min(1, logins / teachingDays);
    const responses = events.filter((e) => e.type === 'message_response' && e.minutes !== null);

    const [row] = await t.dataSource.query(
      `SELECT * FROM tutor_metric_snapshots WHERE tutor_id = $1 AND snapshot_date = $2 AND window_days = 30`,
      [id, dayBefore],
    );
    expect(row.sessions_scheduled).toBe(sessions.length);
    expect(row.sessions_completed).toBe(completed.length);
    expect(row.no_show_rate).toBeCloseTo(noShows / (completed.length + noShows), 5);
    expect(row.reschedule_rate).toBeCloseTo(
      sessions.filter((s) => s.reschedule).length / sessions.length,
      5,
    );
    expect(row.avg_rating).toBeCloseTo(mean(rated.map((s) => s.rating!)), 4);
    expect(row.first_session_success_rate).toBeCloseTo(
      firsts.filter((s) => s.rating! >= 4).length / firsts.length,
      5,
    );
    expect(row.learning_objectives_met_rate).toBeCloseTo(
      withObjectives.filter((s) => s.objectives).length / withObjectives.length,
      5,
    );
    expect(row.session_engagement_mean).toBeCloseTo(engagement, 4);
    expect(row.on_time_rate).toBeCloseTo(onTime, 5);
    expect(row.teaching_days).toBe(teachingDays);
    expect(row.login_ratio).toBeCloseTo(loginRatio, 5);
    expect(row.engagement_score).toBeCloseTo(
      100 * (0.4 * engagement + 0.4 * loginRatio + 0.2 * onTime),
      3,
    );
    expect(row.response_time_avg_minutes).toBeCloseTo(mean(responses.map((e) => e.minutes!)), 2);
    for (const rate of [row.no_show_rate, row.reschedule_rate, row.login_ratio, row.on_time_rate])
      expect(rate).toBeGreaterThanOrEqual(0);
  });

  it('places tiers: flags decide eligibility, population shares decide placement', async () => {
    const rows = await tiers();
    const rated = rows.filter((r) => r.tier !== null);
    const count = (tier: string) => rated.filter((r) => r.tier === tier).length;
    expect(rated.length).toBeGreaterThan(60);
    expect(count('Exemplary')).toBeGreaterThan(0);
    expect(count('Exemplary')).toBeLessThanOrEqual(Math.round(rated.length * 0.1));
    expect(count('Exemplary') + count('Strong')).toBeLessThanOrEqual(
      Math.round(rated.length * 0.5),
    );
    for (const r of rated) {
      if (r.tier === 'Exemplary') expect([r.green_flags, r.red_flags]).toEqual([6, 0]);
      if (r.red_flags > 0) expect(['Needs Attention', 'At Risk']).toContain(r.tier);
      if (r.red_flags >= 3) expect(r.tier).toBe('At Risk');
      expect(r.tier_since).toBe(dayBefore);
    }
    // The archetypes the generator draws from land where a manager would expect them.
    expect(rated.filter((r) => r.archetype === 'high_performer' && r.tier === 'At Risk')).toEqual(
      [],
    );
    const struggling = rated.filter((r) => ['at_risk', 'churner'].includes(r.archetype));
    expect(
      struggling.filter((r) => ['Needs Attention', 'At Risk'].includes(r.tier!)).length,
    ).toBeGreaterThanOrEqual(Math.ceil(struggling.length * 0.8));
    const [{ n }] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM tutor_metric_snapshots
       WHERE snapshot_date = $1 AND window_days = 30 AND performance_tier IS NOT NULL`,
      [dayBefore],
    );
    expect(n).toBe(rated.length);
  });

  it('is idempotent for a day, and dates a tier change to the day it happened', async () => {
    const events = async () =>
      (
        await t.dataSource.query(
          "SELECT count(*)::int AS n FROM outbox_events WHERE event_type = 'tutor.tier-changed'",
        )
      )[0].n as number;
    const firstEvents = await events();
    expect(firstEvents).toBe((await tiers()).filter((r) => r.tier !== null).length);
    const again = await t.app.get(NightlyEvaluationService).run(dayBefore);
    expect(again.tierChanges).toBe(0);
    expect(await events()).toBe(firstEvents);

    // One strong tutor starts rescheduling everything.
    const before = new Map((await tiers()).map((r) => [r.tutor_id, r.tier]));
    const [target] = (await tiers()).filter((r) => r.tier === 'Exemplary');
    await t.dataSource.query(
      `UPDATE sessions SET tutor_initiated_reschedule = true
       WHERE tutor_id = $1 AND scheduled_start >= now() - interval '40 days'`,
      [target.tutor_id],
    );
    const next = await t.app.get(NightlyEvaluationService).run(yesterday);
    expect(next.tierChanges).toBeGreaterThanOrEqual(1);
    const after = await tiers();
    const changed = after.find((r) => r.tutor_id === target.tutor_id)!;
    expect(changed).toMatchObject({
      tier: 'Needs Attention',
      previous_tier: 'Exemplary',
      tier_since: yesterday,
    });
    // A day later the windows have moved too: whoever kept their tier keeps its date.
    const kept = after.filter((r) => r.tier === before.get(r.tutor_id));
    expect(kept.length).toBeGreaterThan(after.length / 2);
    for (const r of kept) expect(r.tier_since).toBe(dayBefore);
    for (const r of after.filter((r) => r.tier !== before.get(r.tutor_id)))
      expect([r.tier_since, r.previous_tier]).toEqual([yesterday, before.get(r.tutor_id) ?? null]);
    expect(await events()).toBe(firstEvents + next.tierChanges);
  });
});
