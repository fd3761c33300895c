import { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createApp } from '../src/app.factory';
import { loadConfig } from '../src/config/app-config';
import { QueueRegistry } from '../src/workers/queue-registry';
import { apiSignIn, createUser } from './helpers/auth';
import { createTestDatabase, TEST_REDIS_URL, TestDatabase } from './helpers/test-database';
import { TEST_API_KEY, TestApp } from './helpers/test-app';
import { waitFor } from './helpers/workers';

type Line = Record<string, unknown> & { msg?: string; level?: string };

/**
 * The app as it runs in production logs JSON lines through pino; here its
 * destination is a stream the test reads.
 */
describe('structured logs', () => {
  let t: TestApp;
  let raw = '';
  const lines = (): Line[] =>
    raw
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Line);

  beforeAll(async () => {
    const database: TestDatabase = await createTestDatabase();
    const dataDir = mkdtempSync(join(tmpdir(), 'tutormax-log-'));
    const config = loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: `test-${randomBytes(4).toString('hex')}`,
      API_KEYS: TEST_API_KEY,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'log',
    });
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        raw += chunk.toString();
        done();
      },
    });
    const app: INestApplication = await createApp(config, { logDestination: destination });
    await app.init();
    t = {
      app,
      http: app.getHttpServer(),
      config,
      dataSource: app.get(DataSource),
      database,
      async close() {
        await app.close();
        await database.drop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  });
  afterAll(() => t.close());

  it('writes one JSON object per line, at LOG_LEVEL, Nest boot chatter left out', async () => {
    await request(t.http).get('/api/v1/no-such-route').expect(404);
    await waitFor('the request line', () => lines().some((l) => l.msg === 'request completed'));
    const all = lines();
    expect(all.length).toBeGreaterThan(0);
    expect(all.every((l) => typeof l.time === 'string' && typeof l.level === 'string')).toBe(true);
    expect(all.some((l) => l.level === 'debug' || l.level === 'trace')).toBe(false);
    expect(all.some((l) => l.context === 'InstanceLoader')).toBe(false);
  });

  it('tags request lines with reqId and userId, and never logs passwords, tokens or emails', async () => {
    const admin = await createUser(t, ['admin'], {
      email: `sensitive.person.${Date.now()}@example.invalid`,
      password: 'a-very-secret-password-771',
    });
    const { accessToken } = await apiSignIn(t, admin.email, admin.password, '198.18.7.1');
    raw = '';
    const reqId = `log-test-${randomBytes(6).toString('hex')}`;
    await request(t.http)
      .get('/api/v1/me?token=query-secret-123456')
      .set('Authorization', `Bearer ${accessToken}`)
      .set('X-Request-Id', reqId);
    // A failed sign-in naming the same email and password.
    await request(t.http)
      .post('/api/v1/auth/login')
      .set('X-Forwarded-For', '198.18.7.2')
      .set('X-Request-Id', `${reqId}-login`)
      .send({ email: admin.email, password: 'a-very-secret-password-771-wrong' })
      .expect(401);

    // A 500 inside a signed-in request: the error line carries the request and the user.
    await t.dataSource.query('ALTER TABLE service_incidents RENAME TO service_incidents_away');
    try {
      await request(t.http)
        .get('/admin/status')
        .set('Authorization', `Bearer ${accessToken}`)
        .set('Accept', 'application/json')
        .set('X-Request-Id', `${reqId}-boom`)
        .expect(500);
    } finally {
      await t.dataSource.query('ALTER TABLE service_incidents_away RENAME TO service_incidents');
    }
    await waitFor('the request lines', () =>
      lines().some((l) => l.reqId === `${reqId}-boom` && l.msg === 'request errored'),
    );

    const all = lines();
    const done = all.find((l) => l.reqId === reqId && l.msg === 'request completed');
    expect(done).toMatchObject({
      level: 'info',
      userId: admin.id,
      req: { method: 'GET', url: '/api/v1/me?token=[redacted]' },
      res: { statusCode: expect.any(Number) },
    });
    expect(done).not.toHaveProperty('req.headers');
    expect(all.find((l) => l.reqId === `${reqId}-login`)).toMatchObject({
      req: { method: 'POST', url: '/api/v1/auth/login' },
      res: { statusCode: 401 },
    });
    const error = all.find((l) => l.reqId === `${reqId}-boom` && l.context === 'Errors');
    expect(error).toMatchObject({ level: 'error', userId: admin.id });
    expect(String(error?.msg)).toMatch(/service_incidents/);

    expect(raw).not.toContain('a-very-secret-password-771');
    expect(raw).not.toContain(accessToken);
    expect(raw).not.toContain(accessToken.split('.')[2]);
    expect(raw).not.toContain('query-secret-123456');
    expect(raw).not.toContain(admin.email);
    expect(raw).not.toContain('sensitive.person');
  });

  it('tags lines written while a job runs with its jobId', async () => {
    raw = '';
    const queue = t.app.get(QueueRegistry).get('evaluation');
    const job = await queue.add(
      'recompute-tutor',
      { tutorId: 'not-a-uuid' },
      { jobId: `log-job-${randomBytes(4).toString('hex')}`, attempts: 1 },
    );
    const line = await waitFor('the job failure line', () =>
      lines().find((l) => l.jobId === String(job.id)),
    );
    expect(line).toMatchObject({
      level: 'warn',
      queue: 'evaluation',
      job: 'recompute-tutor',
      msg: expect.stringMatching(/failed permanently/),
    });
  });
});
