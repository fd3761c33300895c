import request from 'supertest';
import { Client } from 'pg';
import { REUSE_MS } from '../src/monitoring/reused-check';
import { startTestApp, TestApp } from './helpers/test-app';
import { BASE_DATABASE_URL } from './helpers/test-database';
import { waitFor } from './helpers/workers';

async function asAdmin(sql: string): Promise<void> {
  const client = new Client({ connectionString: BASE_DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

describe('health', () => {
  describe('with PostgreSQL and Redis up', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp();
    });
    afterAll(() => t.close());

    it('GET /health/live answers 200 without credentials', async () => {
      const res = await request(t.http).get('/health/live').expect(200);
      expect(res.body).toEqual({ status: 'ok' });
    });

    it('GET /health/ready reports the database up and Redis with its latency', async () => {
      const res = await request(t.http).get('/health/ready').expect(200);
      expect(res.body.status).toBe('ok');
      expect(res.body.info.database.status).toBe('up');
      expect(res.body.info.redis.status).toBe('up');
      expect(res.body.info.redis.degraded).toBeUndefined();
      expect(typeof res.body.info.redis.latencyMs).toBe('number');
    });

    it('GET /health/ready is never rate limited: a load balancer probing past the read limit gets 200', async () => {
      // The read limit is 600 a minute per caller; probes all come from one address.
      const address = '198.51.100.77';
      const statuses = new Map<number, number>();
      for (let i = 0; i < 650; i += 25) {
        const batch = await Promise.all(
          Array.from({ length: 25 }, () =>
            request(t.http).get('/health/ready').set('X-Forwarded-For', address),
          ),
        );
        for (const res of batch) statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      }
      expect(Object.fromEntries(statuses)).toEqual({ 200: 650 });
      // Other reads from that address are still limited.
      const limited = await Promise.all(
        Array.from({ length: 620 }, () =>
          request(t.http).get('/login').set('X-Forwarded-For', address),
        ),
      );
      expect(limited.some((res) => res.status === 429)).toBe(true);
    });

    it('GET /health/ready answers 503 naming the database when PostgreSQL stops answering', async () => {
      const db = t.database.name;
      await asAdmin(`ALTER DATABASE ${db} ALLOW_CONNECTIONS false`);
      await asAdmin(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${db}'`,
      );
      try {
        // Reported at once when the terminated connection's close reaches the app before
        // the probe does, else by the next check: within ReusedCheck's REUSE_MS either way.
        const res = await waitFor(
          'readiness to report the database down',
          async () => {
            const r = await request(t.http).get('/health/ready');
            return r.status === 503 ? r : null;
          },
          REUSE_MS + 3_000,
        );
        expect(res.status).toBe(503);
        expect(res.body.statusCode).toBe(503);
        expect(res.body.message).toBe('Not ready: database does not answer');
        expect(res.body.details.error.database.status).toBe('down');
        // liveness does not depend on the database
        await request(t.http).get('/health/live').expect(200);
      } finally {
        await asAdmin(`ALTER DATABASE ${db} ALLOW_CONNECTIONS true`);
      }
      await request(t.http).get('/health/ready').expect(200);
    });
  });

  describe('with Redis gone', () => {
    let t: TestApp;
    beforeAll(async () => {
      // nothing listens on port 1: the app runs, queues wait, readiness degrades
      t = await startTestApp({ REDIS_URL: 'redis://127.0.0.1:1' });
    });
    afterAll(() => t.close());

    it('GET /health/ready stays 200 and reports Redis as degraded', async () => {
      const res = await request(t.http).get('/health/ready').expect(200);
      expect(res.body.info.database.status).toBe('up');
      expect(res.body.info.redis).toMatchObject({ status: 'up', degraded: true });
      expect(res.body.info.redis.message).toMatch(/Redis unavailable/);
    });
  });
});
