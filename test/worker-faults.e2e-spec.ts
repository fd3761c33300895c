import Bull from 'bull';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { Client } from 'pg';
import { eventIdFor } from '../src/workers/event-id';
import { QUEUE_NAMES, redisOptionsFromUrl } from '../src/workers/queues';
import { AppProcess, startAppProcess } from './helpers/app-process';
import { completedSession, daysFromNow, iso, studentItem, tutorItem } from './helpers/fixtures';
import { freePort, PrivateRedis, startPrivateRedis } from './helpers/private-redis';
import { createTestDatabase, TestDatabase } from './helpers/test-database';
import { TEST_API_KEY } from './helpers/test-app';
import { pendingJobs, waitFor } from './helpers/workers';

/**
 * Faults with real processes: `src/main.ts` run as the deployed image runs it,
 * against a redis-server this suite starts on a port of its own (the
 * machine's shared Redis is never stopped or flushed).
 */

const TUTORS = 30;
const STUDENTS = 30;

interface Scenario {
  db: TestDatabase;
  pg: Client;
  prefix: string;
  port: number;
  env: Record<string, string>;
  queues: Bull.Queue[];
  tutors: { externalId: string }[];
  students: { externalId: string }[];
  sessions: number;
  url: string;
}

describe('workers under faults (real processes, private Redis)', () => {
  let redis: PrivateRedis;
  const scenarios: Scenario[] = [];
  const processes: AppProcess[] = [];

  beforeAll(async () => {
    redis = await startPrivateRedis();
  });
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop('SIGKILL').catch(() => undefined)));
    for (const s of scenarios) {
      await Promise.all(s.queues.map((q) => q.close()));
      await s.pg.end();
      await s.db.drop();
    }
    await redis.destroy();
  });

  async function scenario(): Promise<Scenario> {
    const db = await createTestDatabase();
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    const prefix = `faults-${randomBytes(4).toString('hex')}`;
    const port = await freePort();
    const s: Scenario = {
      db,
      pg,
      prefix,
      port,
      url: `http://127.0.0.1:${port}`,
      env: {
        DATABASE_URL: db.url,
        REDIS_URL: redis.url,
        QUEUE_PREFIX: prefix,
        API_KEYS: TEST_API_KEY,
        PORT: String(port),
        OUTBOX_POLL_MS: '500',
      },
      queues: QUEUE_NAMES.map(
        (name) => new Bull(name, { redis: redisOptionsFromUrl(redis.url), prefix }),
      ),
      tutors: Array.from({ length: TUTORS }, () => tutorItem()),
      students: Array.from({ length: STUDENTS }, () => studentItem()),
      sessions: 0,
    };
    for (const q of s.queues) q.on('error', () => undefined);
    scenarios.push(s);
    return s;
  }

  async function start(s: Scenario, env: Record<string, string> = {}): Promise<AppProcess> {
    const app = await startAppProcess({ ...s.env, ...env });
    processes.push(app);
    return app;
  }

  const post = (s: Scenario, kind: string, items: object[]) =>
    request(s.url).post(`/api/v1/${kind}`).set('X-API-Key', TEST_API_KEY).send({ items });

  async function seedPeople(s: Scenario): Promise<void> {
    await post(s, 'tutors', s.tutors).expect(200);
    await post(s, 'students', s.students).expect(200);
  }

  /** A batch of completed sessions spread over the tutors and the last 20 days. */
  function sessionBatch(s: Scenario, size: number) {
    return Array.from({ length: size }, () => {
      const n = s.sessions++;
      const start = daysFromNow(-1 - (n % 20), 6 + (n % 12));
      return completedSession(
        s.tutors[n % TUTORS].externalId,
        s.students[(n * 7) % STUDENTS].externalId,
        {
          externalId: `${s.prefix}-s-${n}`,
          scheduledStart: iso(start),
          actualStart: iso(new Date(start.getTime() + 60_000)),
        },
      );
    });
  }

  const count = async (s: Scenario, sql: string, params: unknown[] = []) =>
    Number((await s.pg.query<{ n: string }>(sql, params)).rows[0].n);
  const processedEvents = (s: Scenario) =>
    count(
      s,
      `SELECT count(*) AS n FROM tutor_metrics_triggers
       WHERE event_type = 'session.recorded' AND metrics_updated_at IS NOT NULL`,
    );

  /** Every session reached the metrics, once, and nothing failed or was left in flight. */
  async function expectEverythingProcessed(s: Scenario): Promise<void> {
    await waitFor(
      `all ${s.sessions} session events to reach the metrics`,
      async () => (await processedEvents(s)) === s.sessions,
      // Each session now also reaches first-session scoring and churn scoring: on a loaded
      // 2-core machine the backlog after a Redis outage can take more than two minutes.
      240_000,
      500,
    );
    // Quiet: nothing waiting, running or due soon, twice in a row (a recompute
    // delayed to the end of its second may still be on its way).
    let quietChecks = 0;
    await waitFor(
      'the queues to drain',
      async () => {
        quietChecks = (await pendingJobs(s.queues)) === 0 ? quietChecks + 1 : 0;
        return quietChecks >= 2;
      },
      60_000,
      1000,
    );
    expect(
      await count(s, 'SELECT count(*) AS n FROM outbox_events WHERE published_at IS NULL'),
    ).toBe(0);
    expect(
      await count(
        s,
        "SELECT count(*) AS n FROM tutor_metrics_triggers WHERE event_type = 'session.recorded'",
      ),
    ).toBe(s.sessions);
    // No session counted twice or missed: each tutor's latest 30-day snapshot matches the records.
    const { rows } = await s.pg.query<{ tutor_id: string; counted: number; stored: number }>(
      `SELECT t.id AS tutor_id,
              (SELECT m.sessions_scheduled FROM tutor_metric_snapshots m
               WHERE m.tutor_id = t.id AND m.window_days = 30
               ORDER BY m.snapshot_date DESC LIMIT 1) AS counted,
              (SELECT count(*)::int FROM sessions x WHERE x.tutor_id = t.id) AS stored
       FROM tutors t`,
    );
    expect(rows).toHaveLength(TUTORS);
    for (const r of rows)
      expect({ tutor: r.tutor_id, counted: r.counted }).toEqual({
        tutor: r.tutor_id,
        counted: r.stored,
      });
    // No job of the pipeline failed (other modules' jobs, e.g. uptime checks, are theirs to test).
    const pipeline = new Set(['domain-event', 'tutor-activity', 'recompute-tutor']);
    const failed: string[] = [];
    for (const q of s.queues) {
      for (const j of await q.getFailed())
        if (pipeline.has(j.name))
          failed.push(`${q.name}/${j.name} ${String(j.id)}: ${j.failedReason}`);
    }
    expect(failed).toEqual([]);
    // Every recompute that completed emitted its tutor.metrics-updated event exactly once.
    const evaluation = s.queues.find((q) => q.name === 'evaluation')!;
    const recomputes = (await evaluation.getCompleted(0, -1)).filter(
      (j) => j.name === 'recompute-tutor',
    );
    const expected = new Set(
      recomputes.map((j) =>
        eventIdFor(`tutor.metrics-updated:${String(j.data.tutorId)}:${String(j.data.bucket)}`),
      ),
    );
    const emitted = (
      await s.pg.query<{ id: string }>(
        "SELECT id FROM outbox_events WHERE event_type = 'tutor.metrics-updated'",
      )
    ).rows.map((r) => r.id);
    // An event without a completed recompute, with the state of the job that emitted it.
    const jobs = await evaluation.getJobs(['delayed', 'active', 'waiting', 'failed']);
    const stateOf = new Map(
      jobs
        .filter((j) => j.name === 'recompute-tutor')
        .map((j) => [
          eventIdFor(`tutor.metrics-updated:${String(j.data.tutorId)}:${String(j.data.bucket)}`),
          `${String(j.id)} attempts ${j.attemptsMade}: ${j.failedReason ?? 'no failure'}`,
        ]),
    );
    const orphans = emitted
      .filter((id) => !expected.has(id))
      .map((id) => stateOf.get(id) ?? `${id}: no job`);
    expect(orphans).toEqual([]);
    expect(emitted.length).toBe(expected.size);
  }

  it('SIGTERM during a batch: running jobs finish, nothing is lost', async () => {
    const s = await scenario();
    const first = await start(s);
    await seedPeople(s);
    for (let i = 0; i < 12; i++) await post(s, 'sessions', sessionBatch(s, 100)).expect(200);
    await waitFor(
      'the batch to be under way',
      async () => (await processedEvents(s)) >= 50,
      30_000,
      20,
    );
    expect(await processedEvents(s)).toBeLessThan(s.sessions);

    const stopped = await first.stop('SIGTERM');
    // Nest runs the shutdown hooks, then re-raises the signal to end the process.
    expect(stopped).toMatchObject({ code: null, signal: 'SIGTERM' });
    expect(stopped.ms).toBeLessThan(30_000);
    expect(first.output()).toMatch(/SIGTERM: no new jobs; waiting for running ones/);
    expect(first.output()).toMatch(/queues closed after \d+ ms/);
    // The jobs that were running when the signal came finished, and any job Bull had
    // handed over but not started went back to its queue: none is left active.
    for (const q of s.queues) expect((await q.getJobCounts()).active).toBe(0);

    await start(s, { ROLE: 'worker' });
    await expectEverythingProcessed(s);
  }, 420_000);

  it('kill -9 mid-batch, then restart: every event is processed, no effect twice', async () => {
    const s = await scenario();
    const first = await start(s);
    await seedPeople(s);
    for (let i = 0; i < 12; i++) await post(s, 'sessions', sessionBatch(s, 100)).expect(200);
    await waitFor(
      'the batch to be under way',
      async () => (await processedEvents(s)) >= 50,
      30_000,
      20,
    );

    await first.stop('SIGKILL');
    const left = await processedEvents(s);
    expect(left).toBeLessThan(s.sessions);

    // The restarted process finds the dead one's jobs once their locks expire.
    await start(s);
    await expectEverythingProcessed(s);
  }, 420_000);

  it('Redis stopped for 30 s during ingestion: the API keeps answering, every event arrives after', async () => {
    const s = await scenario();
    const app = await start(s);
    await seedPeople(s);
    const statuses: number[] = [];
    const ingestFor = async (ms: number) => {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        const res = await post(s, 'sessions', sessionBatch(s, 20));
        statuses.push(res.status);
        await new Promise((r) => setTimeout(r, 400));
      }
    };

    await ingestFor(3_000);
    await redis.stop();
    const outageStarted = Date.now();
    await ingestFor(30_000);
    const ready = await request(s.url).get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.info.redis.degraded).toBe(true);
    // Events written during the outage wait in PostgreSQL.
    expect(
      await count(s, 'SELECT count(*) AS n FROM outbox_events WHERE published_at IS NULL'),
    ).toBeGreaterThan(0);
    expect(Date.now() - outageStarted).toBeGreaterThanOrEqual(30_000);
    await redis.start();
    await ingestFor(3_000);

    expect(statuses.length).toBeGreaterThan(60);
    expect(statuses.filter((code) => code < 200 || code >= 300)).toEqual([]);
    await expectEverythingProcessed(s);
    expect(app.output()).toMatch(/cannot publish outbox events .*they wait in PostgreSQL/);
  }, 480_000);
});
