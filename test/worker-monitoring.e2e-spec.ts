import request from 'supertest';
import { apiSignIn, browserSignIn, createUser } from './helpers/auth';
import { startTestApp, TestApp } from './helpers/test-app';
import { queueOf, waitFor } from './helpers/workers';

describe('worker monitoring', () => {
  let t: TestApp;
  let adminToken: string;
  let tutorToken: string;

  beforeAll(async () => {
    t = await startTestApp();
    const admin = await createUser(t, ['admin']);
    const tutor = await createUser(t, ['tutor']);
    adminToken = (await apiSignIn(t, admin.email, admin.password, '198.18.1.1')).accessToken;
    tutorToken = (await apiSignIn(t, tutor.email, tutor.password, '198.18.1.2')).accessToken;
  });
  afterAll(() => t.close());

  for (const path of ['/admin/queues', '/admin/queues/api/queues', '/admin/workers']) {
    it(`${path}: anonymous is sent to sign in (page) or refused 401 (JSON); non-admins get 403`, async () => {
      const page = await request(t.http).get(path).set('Accept', 'text/html');
      expect(page.status).toBe(303);
      expect(page.headers.location).toBe(`/login?next=${encodeURIComponent(path)}`);
      // Bull Board answers a JSON client 401; Nest's pages send every anonymous caller to sign in.
      const json = await request(t.http).get(path).set('Accept', 'application/json');
      expect(json.status).toBe(path === '/admin/workers' ? 303 : 401);
      await request(t.http)
        .get(path)
        .set('Authorization', `Bearer ${tutorToken}`)
        .set('Accept', 'application/json')
        .expect(403);
      await request(t.http).get(path).set('Authorization', `Bearer ${adminToken}`).expect(200);
    });
  }

  it('Bull Board lists the six queues to an admin', async () => {
    const res = await request(t.http)
      .get('/admin/queues/api/queues')
      .set('Authorization', `Bearer ${adminToken}`)
      .expect(200);
    const names = (res.body as { queues: { name: string }[] }).queues.map((q) => q.name).sort();
    expect(names).toEqual(
      ['evaluation', 'events', 'maintenance', 'notifications', 'prediction', 'training'].sort(),
    );
  });

  it('refuses a cookie-authenticated Bull Board write from another origin', async () => {
    const admin = await createUser(t, ['admin']);
    const browser = await browserSignIn(t, admin.email, admin.password, '198.18.1.3');
    await browser.agent
      .put('/admin/queues/api/queues/notifications/retry/failed')
      .set('Origin', 'https://evil.example')
      .expect(403);
    await browser.agent.put('/admin/queues/api/queues/notifications/retry/failed').expect(403);
  });

  it('shows per-queue figures and retries or discards a failed job (forms with CSRF)', async () => {
    const queue = queueOf(t, 'notifications');
    // A deliver job for a message that does not exist fails permanently at once.
    const id = '11111111-1111-4111-8111-111111111111';
    const job = await queue.add(
      'deliver-message',
      {
        messageId: id,
        eventId: id,
        eventType: 'notification.queued',
        occurredAt: new Date().toISOString(),
      },
      { jobId: 'broken-1', attempts: 1 },
    );
    await waitFor('failed', () => job.isFailed());
    const admin = await createUser(t, ['admin']);
    const browser = await browserSignIn(t, admin.email, admin.password, '198.18.1.4');
    const page = await browser.agent.get('/admin/workers').expect(200);
    expect(page.text).toContain('Completed (1 h)');
    expect(page.text).toContain('p95 job time');
    expect(page.text).toContain('broken-1');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];
    // without the token: refused
    await browser.agent
      .post('/admin/workers/jobs/notifications/broken-1/discard')
      .send({})
      .expect(403);
    await browser.agent
      .post('/admin/workers/jobs/nope/broken-1/retry')
      .type('form')
      .send({ _csrf: csrf })
      .expect(400);
    await browser.agent
      .post('/admin/workers/jobs/notifications/missing/retry')
      .type('form')
      .send({ _csrf: csrf })
      .expect(404);
    await browser.agent
      .post('/admin/workers/jobs/notifications/broken-1/retry')
      .type('form')
      .send({ _csrf: csrf })
      .expect(303);
    await waitFor('failed again', async () => (await queue.getJob('broken-1'))?.isFailed());
    await browser.agent
      .post('/admin/workers/jobs/notifications/broken-1/discard')
      .type('form')
      .send({ _csrf: csrf })
      .expect(303);
    expect(await queue.getJob('broken-1')).toBeNull();
  });
});
