import { randomBytes } from 'node:crypto';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import request from 'supertest';
import { QueueRegistry } from '../src/workers/queue-registry';
import { apiSignIn, createUser } from './helpers/auth';
import { startTestApp, TestApp } from './helpers/test-app';
import { waitFor } from './helpers/workers';

interface Envelope {
  path: string;
  items: Record<string, unknown>[];
}

/** A local Sentry: accepts envelopes on /api/<project>/envelope/ and keeps their items. */
async function startSentryReceiver(): Promise<{
  dsn: string;
  envelopes: Envelope[];
  server: Server;
}> {
  const envelopes: Envelope[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const lines = Buffer.concat(chunks).toString('utf8').split('\n').filter(Boolean);
      envelopes.push({
        path: req.url ?? '',
        items: lines.map((l) => {
          try {
            return JSON.parse(l) as Record<string, unknown>;
          } catch {
            return {};
          }
        }),
      });
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { dsn: `http://publickey@127.0.0.1:${port}/42`, envelopes, server };
}

/** The error events received (envelope items carrying an exception). */
const events = (envelopes: Envelope[]) =>
  envelopes.flatMap((e) =>
    e.items
      .filter((i) => 'exception' in i)
      .map((i) => ({ path: e.path, ...(i as { exception: { values: { value: string }[] } }) })),
  );

describe('Sentry error reporting (SENTRY_DSN)', () => {
  let t: TestApp;
  let sentry: Awaited<ReturnType<typeof startSentryReceiver>>;
  let token: string;

  beforeAll(async () => {
    sentry = await startSentryReceiver();
    t = await startTestApp({ SENTRY_DSN: sentry.dsn, SENTRY_ENVIRONMENT: 'e2e' });
    const admin = await createUser(t, ['admin']);
    token = (await apiSignIn(t, admin.email, admin.password, '198.18.9.1')).accessToken;
  });
  afterAll(async () => {
    await t.close();
    await new Promise((r) => sentry.server.close(r));
  });

  it('sends a 5xx to the envelope endpoint, with the request id and route, and no 4xx', async () => {
    await request(t.http).get('/api/v1/no-such-route').expect(404);
    await request(t.http).get('/health/deep').set('Accept', 'application/json').expect(401);
    await t.dataSource.query('ALTER TABLE service_checks RENAME TO service_checks_away');
    const reqId = `sentry-${randomBytes(6).toString('hex')}`;
    try {
      await request(t.http)
        .get('/admin/status')
        .set('Authorization', `Bearer ${token}`)
        .set('Accept', 'application/json')
        .set('X-Request-Id', reqId)
        .expect(500);
    } finally {
      await t.dataSource.query('ALTER TABLE service_checks_away RENAME TO service_checks');
    }
    const [event] = await waitFor('the event at the receiver', () => {
      const e = events(sentry.envelopes);
      return e.length ? e : null;
    });
    expect(event.path).toMatch(/^\/api\/42\/envelope\/(\?|$)/);
    expect(event.exception.values[0].value).toMatch(/service_checks/);
    expect(event).toMatchObject({
      environment: 'e2e',
      tags: { kind: 'http', reqId, route: '/admin/status', status: '500', method: 'GET' },
    });
    // Only the 500 arrived: the 404 and the 401 were never sent.
    await new Promise((r) => setTimeout(r, 300));
    expect(events(sentry.envelopes)).toHaveLength(1);
  });

  it('sends a job that failed for good, tagged with queue, job and job id', async () => {
    const queue = t.app.get(QueueRegistry).get('evaluation');
    const job = await queue.add(
      'recompute-tutor',
      { tutorId: 'not-a-uuid' },
      { jobId: `sentry-job-${randomBytes(4).toString('hex')}`, attempts: 1 },
    );
    const event = await waitFor('the job event at the receiver', () =>
      events(sentry.envelopes).find(
        (e) => (e as { tags?: Record<string, string> }).tags?.jobId === String(job.id),
      ),
    );
    expect(event).toMatchObject({
      tags: { kind: 'job', queue: 'evaluation', job: 'recompute-tutor' },
    });
  });
});
