import request from 'supertest';
import { Readiness } from '../src/monitoring/readiness.service';
import { apiSignIn, createUser } from './helpers/auth';
import { completedSession, studentItem, tutorItem } from './helpers/fixtures';
import { ingest } from './helpers/ingest';
import { startSmtpSink, SmtpSink } from './helpers/smtp-sink';
import { startTestApp, TestApp } from './helpers/test-app';
import { queueOf, unpublishedEvents, waitFor } from './helpers/workers';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef0123456789';

/** One sample of a metric in the Prometheus text format, or undefined. */
function sample(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const body = /\{([^}]*)\}/.exec(line)?.[1] ?? '';
    const found = Object.fromEntries(
      [...body.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => found[k] === v))
      return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('monitoring: health and metrics', () => {
  let t: TestApp;
  let smtp: SmtpSink;
  let admin: string;
  let manager: string;

  beforeAll(async () => {
    smtp = await startSmtpSink();
    t = await startTestApp({ SMTP_URL: smtp.url, METRICS_TOKEN });
    const a = await createUser(t, ['admin']);
    const m = await createUser(t, ['operations_manager']);
    admin = (await apiSignIn(t, a.email, a.password, '198.18.1.1')).accessToken;
    manager = (await apiSignIn(t, m.email, m.password, '198.18.1.2')).accessToken;
  });
  afterAll(async () => {
    await t.close();
    await smtp.close().catch(() => undefined);
  });

  describe('GET /health/ready', () => {
    it('reports migrations applied and every processor attached (ROLE=all)', async () => {
      const res = await request(t.http).get('/health/ready').expect(200);
      expect(res.body.info.migrations).toEqual({ status: 'up' });
      expect(res.body.info.workers).toMatchObject({ status: 'up', processing: true });
      expect(res.body.info.workers.handlers).toBeGreaterThan(5);
    });

    it('answers 503 while a migration is pending, and 200 once it is applied', async () => {
      const [last]: { id: number; timestamp: string; name: string }[] = await t.dataSource.query(
        'SELECT id, timestamp, name FROM migrations ORDER BY timestamp DESC LIMIT 1',
      );
      await t.dataSource.query('DELETE FROM migrations WHERE id = $1', [last.id]);
      try {
        await t.app.get(Readiness).refreshMigrations();
        const res = await request(t.http).get('/health/ready').expect(503);
        expect(res.body.message).toMatch(/^Not ready: migrations: 1 pending/);
        expect(res.body.details.error.migrations.pending).toEqual([last.name]);
      } finally {
        await t.dataSource.query(
          'INSERT INTO migrations (id, timestamp, name) VALUES ($1, $2, $3)',
          [last.id, last.timestamp, last.name],
        );
      }
      await t.app.get(Readiness).refreshMigrations();
      await request(t.http).get('/health/ready').expect(200);
    });

    it('answers 503 naming the job when its processor is not attached to the queue', async () => {
      const queue = queueOf(t, 'maintenance') as ReturnType<typeof queueOf> & {
        handlers: Record<string, unknown>;
      };
      const handler = queue.handlers['uptime-checks'];
      expect(handler).toBeDefined();
      delete queue.handlers['uptime-checks'];
      try {
        const res = await request(t.http).get('/health/ready').expect(503);
        expect(res.body.message).toBe(
          'Not ready: workers: no processor attached for maintenance/uptime-checks',
        );
      } finally {
        queue.handlers['uptime-checks'] = handler;
      }
      await request(t.http).get('/health/ready').expect(200);
    });
  });

  describe('GET /health/deep', () => {
    it('is for system.operate only', async () => {
      await request(t.http).get('/health/deep').set('Accept', 'application/json').expect(401);
      await request(t.http)
        .get('/health/deep')
        .set('Authorization', `Bearer ${manager}`)
        .expect(403);
    });

    it('adds SMTP, queue backlogs and disk for an admin', async () => {
      const res = await request(t.http)
        .get('/health/deep')
        .set('Authorization', `Bearer ${admin}`)
        .expect(200);
      expect(res.body.info.smtp.status).toBe('up');
      expect(typeof res.body.info.smtp.latencyMs).toBe('number');
      expect(res.body.info.queues.byQueue.map((q: { queue: string }) => q.queue)).toContain(
        'maintenance',
      );
      expect(typeof res.body.info.queues.waiting).toBe('number');
      expect(res.body.info.disk.freeBytes).toBeGreaterThan(0);
    });
  });

  describe('GET /metrics', () => {
    it('wants the bearer token', async () => {
      await request(t.http).get('/metrics').expect(401);
      await request(t.http)
        .get('/metrics')
        .set('Authorization', `Bearer ${METRICS_TOKEN}x`)
        .expect(401);
      await request(t.http).get('/metrics').set('Authorization', `Bearer ${admin}`).expect(401);
    });

    it('serves HTTP, queue, outbox, intervention, insight-latency and runtime metrics', async () => {
      // A stored session travels the real pipeline: outbox → evaluation → metrics updated.
      const [tutor] = await ingest(t.http, 'tutors', [tutorItem()]);
      const [student] = await ingest(t.http, 'students', [studentItem()]);
      await ingest(t.http, 'sessions', [completedSession(tutor.externalId!, student.externalId!)]);
      await waitFor('metrics updated for the stored session', async () => {
        const [r]: { n: number }[] = await t.dataSource.query(
          'SELECT count(*)::int AS n FROM tutor_metrics_triggers WHERE metrics_updated_at IS NOT NULL',
        );
        return r.n >= 1;
      });
      await request(t.http).get(`/api/v1/tutors/${tutor.id}/performance`).expect(401);
      await request(t.http).get('/health/ready').expect(200);
      // A quiet pipeline, so the scrape and the counts below see the same backlog and triggers.
      await waitFor('the pipeline to settle', async () => {
        const [r]: { n: number }[] = await t.dataSource.query(
          'SELECT count(*)::int AS n FROM tutor_metrics_triggers WHERE metrics_updated_at IS NULL',
        );
        return r.n === 0 && (await unpublishedEvents(t.dataSource)) === 0;
      });
      // The churn score that follows the metrics update: the risk-scored hop.
      await waitFor('every measured record to be risk-scored', async () => {
        const [r]: { n: number }[] = await t.dataSource.query(
          `SELECT count(*)::int AS n FROM tutor_metrics_triggers
            WHERE metrics_updated_at IS NOT NULL AND risk_scored_at IS NULL`,
        );
        return r.n === 0;
      });
      await t.dataSource.query(
        `INSERT INTO alert_states (rule, status, severity, message, evaluated_at, notified_status)
         VALUES ('uptime:smtp', 'firing', 'critical', 'smtp was up in 50%', now(), 'firing')`,
      );

      const res = await request(t.http)
        .get('/metrics')
        .set('Authorization', `Bearer ${METRICS_TOKEN}`)
        .expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      const text = res.text;
      expect(
        sample(text, 'tutormax_http_requests_total', {
          method: 'GET',
          route: '/api/v1/tutors/:id/performance',
          status: '401',
        }),
      ).toBe(1);
      expect(text).not.toContain(tutor.id!);
      expect(
        sample(text, 'tutormax_http_request_duration_seconds_count', {
          route: '/health/ready',
          status: '200',
        }),
      ).toBeGreaterThanOrEqual(1);
      for (const state of ['waiting', 'failed', 'delayed'])
        expect(
          sample(text, 'tutormax_queue_jobs', { queue: 'evaluation', state }),
        ).toBeGreaterThanOrEqual(0);
      // Jobs still running after the settle (risk scoring, invitations) may add an event
      // between a scrape and a count: the gauge must agree with the table on a fresh scrape.
      await waitFor('the backlog gauge to match the table', async () => {
        const [outbox]: { n: number }[] = await t.dataSource.query(
          'SELECT count(*)::int AS n FROM outbox_events WHERE published_at IS NULL AND failed_at IS NULL',
        );
        const fresh = await request(t.http)
          .get('/metrics')
          .set('Authorization', `Bearer ${METRICS_TOKEN}`)
          .expect(200);
        return sample(fresh.text, 'tutormax_outbox_backlog') === outbox.n;
      });
      expect(sample(text, 'tutormax_outbox_backlog')).toBeGreaterThanOrEqual(0);
      expect(sample(text, 'tutormax_interventions_open', { status: 'open' })).toBe(0);
      expect(sample(text, 'tutormax_interventions_sla_breached')).toBe(0);
      const [measured]: { n: number }[] = await t.dataSource.query(
        'SELECT count(*)::int AS n FROM tutor_metrics_triggers WHERE metrics_updated_at IS NOT NULL',
      );
      expect(
        sample(text, 'tutormax_insight_latency_seconds_count', { hop: 'stored_to_metrics' }),
      ).toBe(measured.n);
      expect(
        sample(text, 'tutormax_insight_latency_seconds_bucket', {
          hop: 'stored_to_metrics',
          le: '+Inf',
        }),
      ).toBe(measured.n);
      // Every measured record was risk-scored, after its metrics update.
      const hop = (name: string, h: string) =>
        Number(sample(text, `tutormax_insight_latency_seconds_${name}`, { hop: h }));
      expect(hop('count', 'stored_to_risk_scored')).toBe(measured.n);
      expect(hop('sum', 'stored_to_metrics')).toBeGreaterThan(0);
      expect(hop('sum', 'stored_to_risk_scored')).toBeGreaterThan(hop('sum', 'stored_to_metrics'));
      expect(
        sample(text, 'tutormax_insight_latency_seconds_bucket', {
          hop: 'stored_to_risk_scored',
          le: '3600',
        }),
      ).toBe(measured.n);
      expect(
        sample(text, 'tutormax_job_duration_seconds_count', {
          queue: 'evaluation',
          job: 'recompute-tutor',
        }),
      ).toBeGreaterThanOrEqual(1);
      expect(
        sample(text, 'tutormax_alerts_firing', { rule: 'uptime:smtp', severity: 'critical' }),
      ).toBe(1);
      expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
      expect(sample(text, 'nodejs_eventloop_lag_seconds')).toBeDefined();
    });
  });
});

describe('monitoring: /metrics without METRICS_TOKEN outside development', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('answers 404', async () => {
    await request(t.http).get('/metrics').expect(404);
  });
});
