import request from 'supertest';
import { apiSignIn, createUser } from './helpers/auth';
import { tutorItem } from './helpers/fixtures';
import { startTestApp, TEST_API_KEY, TestApp } from './helpers/test-app';

/** Redis is gone (nothing listens on port 1): the app keeps serving, and stays safe. */
describe('with Redis down', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ REDIS_URL: 'redis://127.0.0.1:1' });
  });
  afterAll(() => t.close());

  it('still accepts ingestion (events wait in the outbox) and serves reads without rate limits', async () => {
    const res = await request(t.http)
      .post('/api/v1/tutors')
      .set('X-API-Key', TEST_API_KEY)
      .send({ items: [tutorItem()] })
      .expect(200);
    expect(res.body.summary.created).toBe(1);
    const waiting = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM outbox_events WHERE published_at IS NULL`,
    );
    expect(waiting[0].n).toBeGreaterThan(0);
    // reads fail open: far more than the per-minute limit would allow through Redis
    for (let i = 0; i < 30; i++)
      await request(t.http)
        .get('/api/v1/tutors?limit=1')
        .set('X-API-Key', TEST_API_KEY)
        .expect(200);
  });

  it('keeps sign-in limited with per-process counters, and lockout still works', async () => {
    const user = await createUser(t, ['operations_manager']);
    await apiSignIn(t, user.email, user.password, '203.0.113.50');
    const ip = '203.0.113.51';
    for (let i = 0; i < 5; i++) {
      await request(t.http)
        .post('/api/v1/auth/login')
        .set('X-Forwarded-For', ip)
        .send({ email: `n${i}@example.invalid`, password: 'wrong-password-q' })
        .expect(401);
    }
    await request(t.http)
      .post('/api/v1/auth/login')
      .set('X-Forwarded-For', ip)
      .send({ email: user.email, password: user.password })
      .expect(429);
  });
});
