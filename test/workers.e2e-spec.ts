import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomBytes, randomUUID } from 'node:crypto';
import { AppModule } from '../src/app.module';
import { SyntheticSimulationService } from '../src/tutoring/synthetic/synthetic-simulation.service';
import { RecomputeTutorJob } from '../src/performance/evaluation-jobs.dto';
import { InvalidJobPayloadError } from '../src/workers/job-errors';
import { JobProcessor } from '../src/workers/job-processor.decorator';
import { JobCatalogueError } from '../src/workers/job-registry';
import { JobQueue } from '../src/workers/job-queue.service';
import { QueueWorkers } from '../src/workers/queue-workers.service';
import { JOBS, QUEUE_NAMES } from '../src/workers/queues';
import { Scheduler } from '../src/workers/scheduler.service';
import { desiredSchedules } from '../src/workers/schedules';
import { completedSession, daysFromNow, iso, studentItem, tutorItem } from './helpers/fixtures';
import { ingest } from './helpers/ingest';
import { startTestApp, TestApp } from './helpers/test-app';
import { queueOf, unpublishedEvents, waitFor, waitForIdle } from './helpers/workers';

const outboxRow = async (t: TestApp, type: string, idField: string, id: string) => {
  const rows: { id: string; published_at: Date | null; created_at: Date }[] =
    await t.dataSource.query(
      `SELECT id, published_at, created_at FROM outbox_events WHERE event_type = $1 AND payload->>$2 = $3`,
      [type, idField, id],
    );
  return rows[0];
};

/** Waits for the relay to park outbox row `id`; returns the row. */
const parkedRow = (t: TestApp, id: string) =>
  waitFor('the row to be parked', async () => {
    const [row]: {
      failed_at: Date | null;
      last_error: string | null;
      published_at: Date | null;
    }[] = await t.dataSource.query(
      'SELECT failed_at, last_error, published_at FROM outbox_events WHERE id = $1',
      [id],
    );
    return row.failed_at ? row : undefined;
  });

describe('queue machinery (outbox relay, fan-out, payload validation)', () => {
  let t: TestApp;
  let tutorId: string;
  /** A session that is over, and one still to come. */
  let sessionId: string;
  let upcomingId: string;
  const tutor = tutorItem();
  const student = studentItem();

  beforeAll(async () => {
    t = await startTestApp();
    [{ id: tutorId }] = (await ingest(t.http, 'tutors', [tutor])) as { id: string }[];
    await ingest(t.http, 'students', [student]);
    [{ id: sessionId }] = (await ingest(t.http, 'sessions', [
      completedSession(tutor.externalId, student.externalId),
    ])) as { id: string }[];
    [{ id: upcomingId }] = (await ingest(t.http, 'sessions', [
      {
        ...completedSession(tutor.externalId, student.externalId),
        scheduledStart: iso(daysFromNow(2)),
        status: 'scheduled',
        actualStart: undefined,
        lateStartMinutes: undefined,
        engagementScore: undefined,
        learningObjectivesMet: undefined,
      },
    ])) as { id: string }[];
  });
  afterAll(() => t.close());

  it('relays an outbox event straight to one job per handler that wants it, id <eventId>:<handler>, carrying ids only, and marks it published', async () => {
    const published = (id: string) =>
      waitFor('the session event to be published', async () => {
        const row = await outboxRow(t, 'session.recorded', 'sessionId', id);
        return row?.published_at ? row : undefined;
      });
    const handlerJob = async (
      event: { id: string },
      queue: 'evaluation' | 'notifications' | 'prediction',
      name: string,
    ) => {
      const job = await queueOf(t, queue).getJob(`${event.id}:${queue}.${name}`);
      return job && { name: job.name, data: job.data as unknown };
    };
    const idsOf = (event: { id: string; created_at: Date }) => ({
      eventId: event.id,
      eventType: 'session.recorded',
      occurredAt: event.created_at.toISOString(),
    });

    // A session that is over: its tutor's metrics and a feedback invitation, but no
    // first-session scoring (only a session still to come can be an upcoming first session).
    const event = await published(sessionId);
    const ids = idsOf(event);
    expect(await handlerJob(event, 'evaluation', 'tutor-activity')).toEqual({
      name: 'tutor-activity',
      data: { ...ids, tutorId, sessionId },
    });
    expect(await handlerJob(event, 'notifications', 'feedback-invitation')).toEqual({
      name: 'feedback-invitation',
      data: { ...ids, sessionId },
    });
    expect(await handlerJob(event, 'prediction', 'first-session-score')).toBeNull();

    // A session still to come reaches the first-session scoring too.
    const upcoming = await published(upcomingId);
    expect(await handlerJob(upcoming, 'prediction', 'first-session-score')).toEqual({
      name: 'first-session-score',
      data: { ...idsOf(upcoming), sessionId: upcomingId },
    });
    expect(await handlerJob(upcoming, 'evaluation', 'tutor-activity')).toEqual({
      name: 'tutor-activity',
      data: { ...idsOf(upcoming), tutorId, sessionId: upcomingId },
    });

    // No intermediate job: the relay routes the event itself.
    expect(await queueOf(t, 'events').getJob(event.id)).toBeNull();
    expect(await queueOf(t, 'events').getJob(upcoming.id)).toBeNull();
  });

  it('still fans out a domain-event job that an earlier version queued', async () => {
    const tutor = tutorItem();
    const [{ id: otherTutor }] = (await ingest(t.http, 'tutors', [tutor])) as { id: string }[];
    const eventId = randomUUID();
    const occurredAt = new Date().toISOString();
    await queueOf(t, 'events').add(
      'domain-event',
      { eventId, type: 'tutor-event.recorded', occurredAt, payload: { tutorId: otherTutor } },
      { jobId: eventId },
    );
    const job = await waitFor('the handler job', () =>
      queueOf(t, 'evaluation').getJob(`${eventId}:evaluation.tutor-activity`),
    );
    expect(job.data).toEqual({
      eventId,
      eventType: 'tutor-event.recorded',
      occurredAt,
      tutorId: otherTutor,
    });
  });

  it('gives first-session scoring an event an earlier version wrote without the upcoming flag', async () => {
    const eventId = randomUUID();
    const occurredAt = new Date().toISOString();
    await queueOf(t, 'events').add(
      'domain-event',
      { eventId, type: 'session.recorded', occurredAt, payload: { sessionId, tutorId } },
      { jobId: eventId },
    );
    const job = await waitFor('the first-session scoring job', () =>
      queueOf(t, 'prediction').getJob(`${eventId}:prediction.first-session-score`),
    );
    expect(job.data).toEqual({ eventId, eventType: 'session.recorded', occurredAt, sessionId });
  });

  it('publishing an event again adds no job: Bull ignores an existing job id', async () => {
    await waitForIdle(t);
    // The queues this event reaches, with no minute ticks of their own (notifications and
    // prediction have them; their jobs for the event are looked up by id below).
    const reached = ['events', 'evaluation'] as const;
    const before = await Promise.all(reached.map((q) => queueOf(t, q).getJobCounts()));
    // The session still to come: its event reaches the notifications and prediction queues.
    const event = await outboxRow(t, 'session.recorded', 'sessionId', upcomingId);
    const handlerJobs = async () =>
      Promise.all(
        (['notifications', 'prediction'] as const).map(async (q) =>
          (await queueOf(t, q).getJobs(['completed', 'failed', 'waiting', 'active', 'delayed']))
            .filter((j) => String(j.id).startsWith(`${event.id}:`))
            .map((j) => `${String(j.id)} ${j.timestamp}`),
        ),
      );
    const jobsBefore = await handlerJobs();
    expect(jobsBefore.map((ids) => ids.length)).toEqual([1, 1]);
    await t.dataSource.query('UPDATE outbox_events SET published_at = NULL WHERE id = $1', [
      event.id,
    ]);
    await waitFor('the event to be published again', async () => {
      const row = await outboxRow(t, 'session.recorded', 'sessionId', upcomingId);
      return row.published_at !== null;
    });
    await waitForIdle(t);
    const after = await Promise.all(reached.map((q) => queueOf(t, q).getJobCounts()));
    expect(after).toEqual(before);
    expect(await handlerJobs()).toEqual(jobsBefore);
  });

  it('validates a payload before it reaches Redis', async () => {
    const jobs = t.app.get(JobQueue);
    const before = await queueOf(t, 'evaluation').getJobCounts();
    await expect(
      jobs.add(JOBS.evaluation.recomputeTutor, {
        tutorId: 'not-a-uuid',
        bucket: 1,
        email: 'someone@example.com',
      }),
    ).rejects.toThrow(InvalidJobPayloadError);
    await expect(
      jobs.add(JOBS.evaluation.recomputeTutor, { tutorId: 'not-a-uuid', bucket: 1 }),
    ).rejects.toThrow(/tutorId must be a UUID/);
    expect(await queueOf(t, 'evaluation').getJobCounts()).toEqual(before);
  });

  it('fails a job with a bad payload at once, without retrying', async () => {
    // Added behind JobQueue's back, as old code or a hand-made job could.
    const job = await queueOf(t, 'evaluation').add('recompute-tutor', { tutorId: 'nope' });
    await waitFor('the bad job to fail', async () => (await job.getState()) === 'failed');
    const failed = await queueOf(t, 'evaluation').getJob(job.id);
    expect(failed?.attemptsMade).toBe(1);
    expect(failed?.failedReason).toMatch(/invalid payload for evaluation.recompute-tutor/);
  });

  it('fails a job whose record is missing at once, without retrying', async () => {
    const payload: RecomputeTutorJob = { tutorId: randomUUID(), bucket: 1 };
    const job = await t.app.get(JobQueue).add(JOBS.evaluation.recomputeTutor, payload);
    await waitFor('the job to fail', async () => (await job.getState()) === 'failed');
    const failed = await queueOf(t, 'evaluation').getJob(job.id);
    expect(failed?.attemptsMade).toBe(1);
    expect(failed?.failedReason).toBe(`no tutor with id ${payload.tutorId}`);
  });

  it('parks a malformed outbox row where it can be inspected, and keeps relaying the rest', async () => {
    const [{ id }] = await t.dataSource.query(
      `INSERT INTO outbox_events (event_type, payload) VALUES ('Not An Event', '{"x": {"nested": 1}}')
       RETURNING id`,
    );
    const parked = await parkedRow(t, id);
    expect(parked.published_at).toBeNull();
    expect(parked.last_error).toMatch(/type must look like/);
    expect(await unpublishedEvents(t.dataSource)).toBe(0);
  });

  it('parks an event whose payload a subscribed handler refuses, and adds no job for any handler', async () => {
    // Enough for evaluation.tutor-activity (the session is optional there), not for the
    // two handlers that need the session: all or nothing.
    const [{ id }] = await t.dataSource.query(
      `INSERT INTO outbox_events (event_type, payload) VALUES ('session.recorded', $1) RETURNING id`,
      [{ tutorId }],
    );
    const parked = await parkedRow(t, id);
    expect(parked.published_at).toBeNull();
    expect(parked.last_error).toMatch(
      /invalid payload for notifications\.feedback-invitation: sessionId must be a UUID.*invalid payload for prediction\.first-session-score: sessionId must be a UUID/,
    );
    expect(parked.last_error).not.toMatch(/evaluation/);
    for (const [queue, name] of [
      ['evaluation', 'tutor-activity'],
      ['notifications', 'feedback-invitation'],
      ['prediction', 'first-session-score'],
    ] as const)
      expect(await queueOf(t, queue).getJob(`${id}:${queue}.${name}`)).toBeNull();
  });

  it('refuses to boot when a job has two processors', async () => {
    @Injectable()
    class SecondNightly {
      @JobProcessor(JOBS.evaluation.nightly, { payload: RecomputeTutorJob })
      run() {
        return Promise.resolve();
      }
    }
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule.forRoot(t.config)],
      providers: [SecondNightly],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    const booting = app.init();
    await expect(booting).rejects.toThrow(JobCatalogueError);
    await expect(booting).rejects.toThrow(
      /2 processors for job evaluation\/nightly-evaluation: EvaluationProcessor#runNightly, SecondNightly#run/,
    );
    await app.close().catch(() => undefined);
  });
});

describe('ROLE=web', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ ROLE: 'web' });
  });
  afterAll(() => t.close());

  it('registers no processors, runs no relay and no scheduler', async () => {
    const tutor = tutorItem();
    await ingest(t.http, 'tutors', [tutor]);
    expect(t.app.get(QueueWorkers).processing).toBe(false);
    await new Promise((r) => setTimeout(r, 2500));
    expect(await unpublishedEvents(t.dataSource)).toBe(1);
    for (const name of QUEUE_NAMES) {
      expect(await queueOf(t, name).getRepeatableJobs()).toEqual([]);
      expect(await queueOf(t, name).getWorkers()).toEqual([]);
    }
  });

  it('still validates what it enqueues', async () => {
    await expect(
      t.app.get(JobQueue).add(JOBS.evaluation.recomputeTutor, { tutorId: 'x', bucket: -1 }),
    ).rejects.toThrow(InvalidJobPayloadError);
  });
});

describe('scheduler', () => {
  const prefix = `test-sched-${randomBytes(4).toString('hex')}`;
  const apps: TestApp[] = [];
  const boot = async (env: Record<string, string> = {}) => {
    const app = await startTestApp({ QUEUE_PREFIX: prefix, ...env });
    apps.push(app);
    return app;
  };
  afterAll(() => Promise.all(apps.map((a) => a.close())));

  const schedules = async (t: TestApp) => {
    const out: {
      queue: string;
      id: string | null | undefined;
      cron: string;
      tz?: string | null;
    }[] = [];
    for (const name of QUEUE_NAMES) {
      for (const r of await queueOf(t, name).getRepeatableJobs()) {
        out.push({ queue: name, id: r.id, cron: r.cron, tz: r.tz });
      }
    }
    return out.sort((a, b) => String(a.id).localeCompare(String(b.id)));
  };
  /** What the schedule table asks for under this app's configuration. */
  const table = (t: TestApp) =>
    desiredSchedules(t.config)
      .map((d) => ({ queue: d.job.queue, id: d.key, cron: d.cron, tz: d.tz }))
      .sort((a, b) => a.id.localeCompare(b.id));
  const ticks = async (t: TestApp) => {
    const out: string[] = [];
    for (const name of QUEUE_NAMES) {
      for (const j of await queueOf(t, name).getDelayed()) out.push(`${name}/${j.name}`);
    }
    return out.sort();
  };
  const tableTicks = (t: TestApp) =>
    desiredSchedules(t.config)
      .map((d) => `${d.job.queue}/${d.job.name}`)
      .sort();

  it('registers the table at boot, once however many replicas boot', async () => {
    const first = await boot();
    const expected = table(first);
    expect(expected).toContainEqual({
      queue: 'evaluation',
      id: 'nightly-evaluation',
      cron: '0 0 * * *',
      tz: 'UTC',
    });
    await waitFor('the schedules', async () => (await schedules(first)).length === expected.length);
    await Promise.all([boot(), boot()]);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await schedules(first)).toEqual(expected);
    expect(await ticks(first)).toEqual(tableTicks(first));
    const nightly = (await queueOf(first, 'evaluation').getDelayed()).find(
      (j) => j.name === 'nightly-evaluation',
    )!;
    expect(new Date(nightly.timestamp + (nightly.opts.delay ?? 0)).toISOString()).toMatch(
      /T00:00:00\.000Z$/,
    );
    expect(await first.app.get(Scheduler).registerSchedules()).toEqual({ removed: 0, added: 0 });
  });

  it('replaces a changed schedule and its pending tick, and adds data generation only when simulating', async () => {
    const moved = await boot({
      SCHEDULE_NIGHTLY_EVALUATION: '30 1 * * *',
      SCHEDULE_TIME_ZONE: 'Europe/Paris',
      SIMULATION_ENABLED: 'true',
    });
    const expected = table(moved);
    expect(expected).toContainEqual({
      queue: 'evaluation',
      id: 'nightly-evaluation',
      cron: '30 1 * * *',
      tz: 'Europe/Paris',
    });
    expect(expected).toContainEqual({
      queue: 'maintenance',
      id: 'data-generation',
      cron: '*/15 * * * *',
      tz: 'Europe/Paris',
    });
    // Registration removes the old entries before it adds the new ones: wait for all of them.
    const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
    await waitFor(
      'the moved schedules',
      async () =>
        same(await schedules(moved), expected) && same(await ticks(moved), tableTicks(moved)),
    );
    expect(await schedules(moved)).toEqual(expected);
    expect(await ticks(moved)).toEqual(tableTicks(moved));

    const back = await boot();
    await waitFor(
      'the original table',
      async () =>
        same(await schedules(back), table(back)) && same(await ticks(back), tableTicks(back)),
    );
    expect(await schedules(back)).toEqual(table(back));
    expect(await ticks(back)).toEqual(tableTicks(back));
  });
});

describe('scheduled simulation', () => {
  let t: TestApp;
  beforeAll(async () => {
    // web: nothing consumes the events, so the test sees what one run stores.
    t = await startTestApp({ ROLE: 'web', SIMULATION_ENABLED: 'true' });
  });
  afterAll(() => t.close());

  it('stores the last 24 hours of the synthetic world through ingestion, once', async () => {
    const simulation = t.app.get(SyntheticSimulationService);
    const now = new Date();
    const first = await simulation.simulateUntil(now);
    expect(first.tutorsCreated).toBe(250);
    expect(first.rejected).toBe(0);
    expect(first.sessions).toBeGreaterThan(1500);
    const count = async (sql: string) => (await t.dataSource.query(sql))[0].n as number;
    expect(await count('SELECT count(*)::int AS n FROM sessions')).toBe(first.sessions);
    expect(await count('SELECT count(*)::int AS n FROM student_feedback')).toBe(first.feedback);
    expect(
      await count(
        "SELECT count(*)::int AS n FROM outbox_events WHERE event_type = 'session.recorded'",
      ),
    ).toBe(first.sessions);
    const [{ latest }] = await t.dataSource.query(
      'SELECT max(scheduled_start) AS latest FROM sessions',
    );
    expect((latest as Date).getTime()).toBeLessThanOrEqual(now.getTime());

    const again = await simulation.simulateUntil(now);
    expect(again.tutorsCreated).toBe(0);
    expect(again.stored).toBe(0);
    expect(await count('SELECT count(*)::int AS n FROM sessions')).toBe(first.sessions);
  }, 120_000);
});
