import { createServer, IncomingMessage, Server } from 'node:http';
import request from 'supertest';
import { AddressInfo } from 'node:net';
import { AlertingService, AlertWebhookBody } from '../src/monitoring/alerting.service';
import { UptimeService } from '../src/monitoring/uptime.service';
import { browserSignIn, createUser } from './helpers/auth';
import { startSmtpSink, SmtpSink } from './helpers/smtp-sink';
import { startTestApp, TestApp } from './helpers/test-app';
import { queueOf } from './helpers/workers';

/** A local webhook receiver that keeps every JSON body posted to it, by path. */
async function startReceiver(): Promise<{
  url: string;
  slackUrl: string;
  bodies: AlertWebhookBody[];
  slack: { text: string }[];
  server: Server;
}> {
  const bodies: AlertWebhookBody[] = [];
  const slack: { text: string }[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => {
      if (req.url === '/slack') slack.push(JSON.parse(data) as { text: string });
      else bodies.push(JSON.parse(data) as AlertWebhookBody);
      res.writeHead(req.url === '/slack' ? 200 : 204).end(req.url === '/slack' ? 'ok' : undefined);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: `${base}/hook`, slackUrl: `${base}/slack`, bodies, slack, server };
}

describe('monitoring: uptime, incidents, status page and alerts', () => {
  let t: TestApp;
  let smtp: SmtpSink;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    smtp = await startSmtpSink();
    receiver = await startReceiver();
    t = await startTestApp({
      SMTP_URL: smtp.url,
      ALERT_EMAIL: 'ops@example.invalid',
      ALERT_WEBHOOK_URL: receiver.url,
      SLACK_WEBHOOK_URL: receiver.slackUrl,
      ALERT_OUTBOX_BACKLOG: '3',
      // A fresh database has read most of its blocks from disk; the tests below drive this rule.
      ALERT_DB_CACHE_HIT_PERCENT: '0',
      // These tests run the checks and the rules by hand and count what each
      // run adds; the every-minute schedules would add checks and notifications
      // of their own mid-test (a run that crossed a minute saw 5 checks, not 4).
      // Midnight on 1 January, so never during a run.
      SCHEDULE_UPTIME_CHECKS: '0 0 1 1 *',
      SCHEDULE_ALERT_RULES: '0 0 1 1 *',
    });
  });
  afterAll(async () => {
    await t.close();
    await smtp.close().catch(() => undefined);
    await new Promise((r) => receiver.server.close(r));
  });

  it('records each service, opens an incident when one goes down and closes it on recovery', async () => {
    const uptime = t.app.get(UptimeService);
    const first = await uptime.run();
    expect(first.down).toEqual([]);
    const rows: { service: string; up: boolean; latency_ms: number }[] = await t.dataSource.query(
      'SELECT service, up, latency_ms FROM service_checks ORDER BY service',
    );
    expect(rows.map((r) => r.service)).toEqual(['postgresql', 'queues', 'redis', 'smtp']);
    expect(rows.every((r) => r.up && r.latency_ms >= 0)).toBe(true);

    await smtp.close();
    const down = await uptime.run();
    expect(down).toMatchObject({ down: ['smtp'], opened: ['smtp'], closed: [] });
    const again = await uptime.run();
    expect(again).toMatchObject({ down: ['smtp'], opened: [], closed: [] });
    const [incident]: { service: string; ended_at: Date | null; cause: string }[] =
      await t.dataSource.query('SELECT service, ended_at, cause FROM service_incidents');
    expect(incident).toMatchObject({ service: 'smtp', ended_at: null });
    expect(incident.cause).toMatch(/ECONNREFUSED|connect|timed out/i);

    // SMTP back on the same port.
    const port = Number(new URL(smtp.url).port);
    smtp = await startSmtpSinkOn(port);
    const recovered = await uptime.run();
    expect(recovered).toMatchObject({ down: [], opened: [], closed: ['smtp'] });

    const month = await uptime.uptime(24 * 30);
    expect(month.smtp).toEqual({ percent: 50, checks: 4 });
    expect(month.postgresql).toEqual({ percent: 100, checks: 4 });
    const daily = await uptime.daily();
    expect(daily.find((d) => d.service === 'smtp')).toMatchObject({ up: 2, total: 4 });
  });

  it('draws the status page for admins only, without inline styles', async () => {
    const admin = await createUser(t, ['admin']);
    const browser = await browserSignIn(t, admin.email, admin.password);
    const res = await browser.agent.get('/admin/status').expect(200);
    expect(res.text).toContain('<strong>smtp</strong>');
    expect(res.text).toMatch(
      /class="uptime-day uptime-low" title="\d{4}-\d\d-\d\d: 50\.00% of 4 checks"/,
    );
    expect(res.text).toContain('href="/admin/status"');
    expect(res.text).not.toMatch(/style=/);
    const manager = await createUser(t, ['operations_manager']);
    const other = await browserSignIn(t, manager.email, manager.password, '198.51.100.8');
    await other.agent.get('/admin/status').expect(403);
  });

  it('fires once, stays quiet while firing, and resolves once — by email and webhook', async () => {
    const alerting = t.app.get(AlertingService);
    const sink = smtp as SmtpSink & { raw: string[] };
    receiver.bodies.length = 0;
    // smtp was down in 2 of 4 checks over 24 h: below 99.5 %.
    const fired = await alerting.evaluate();
    expect(fired.map((f) => [f.rule, f.firing])).toEqual([['uptime:smtp', true]]);
    expect(receiver.bodies).toEqual([
      expect.objectContaining({
        status: 'firing',
        rule: 'uptime:smtp',
        severity: 'critical',
        source: 'tutormax',
        message: 'smtp was up in 50% of 4 checks over 24 h (target 99.5%)',
      }),
    ]);
    expect(receiver.slack).toEqual([
      {
        text: expect.stringMatching(
          /TutorMax FIRING \(critical\): smtp uptime below 99\.5%\*\nsmtp was up in 50%/,
        ),
      },
    ]);
    expect(sink.raw).toHaveLength(1);
    expect(sink.raw[0]).toMatch(/Subject: \[TutorMax alert\] smtp uptime below 99\.5%/);
    expect(sink.raw[0]).toMatch(/To: ops@example\.invalid/);

    // Still firing: two evaluations at once (as two processes would) notify nothing more.
    const quiet = await Promise.all([alerting.evaluate(), alerting.evaluate()]);
    expect(quiet.flat()).toEqual([]);
    expect(receiver.bodies).toHaveLength(1);
    const [state]: { status: string; fired_at: Date }[] = await t.dataSource.query(
      `SELECT status, fired_at FROM alert_states WHERE rule = 'uptime:smtp'`,
    );
    expect(state.status).toBe('firing');

    // The down checks age out of the 24 h window: the rule resolves, once.
    await t.dataSource.query(
      `UPDATE service_checks SET checked_at = checked_at - interval '2 days' WHERE NOT up`,
    );
    const resolved = await alerting.evaluate();
    expect(resolved.map((f) => [f.rule, f.firing])).toEqual([['uptime:smtp', false]]);
    expect(receiver.bodies.map((b) => [b.rule, b.status])).toEqual([
      ['uptime:smtp', 'firing'],
      ['uptime:smtp', 'resolved'],
    ]);
    expect(sink.raw).toHaveLength(2);
    expect(sink.raw[1]).toMatch(/Subject: \[TutorMax resolved\] smtp uptime below 99\.5%/);
    expect(await alerting.evaluate()).toEqual([]);
    expect(receiver.slack.map((m) => m.text.split('*')[1])).toEqual([
      'TutorMax FIRING (critical): smtp uptime below 99.5%',
      'TutorMax resolved: smtp uptime below 99.5%',
    ]);
  });

  it('judges API p95/p99 on the response times of every process, and resolves when they age out', async () => {
    const alerting = t.app.get(AlertingService);
    receiver.bodies.length = 0;
    // This process: quick answers.
    for (let i = 0; i < 25; i++) await request(t.http).get('/api/v1/no-such-route').expect(404);
    expect(await alerting.evaluate()).toEqual([]);
    const [{ n }]: { n: string }[] = await t.dataSource.query(
      'SELECT sum(count)::int AS n FROM api_latency_buckets',
    );
    expect(Number(n)).toBeGreaterThanOrEqual(25);
    // Another process added its own counts: 30 answers of 1.5–2 s in the current minute.
    await t.dataSource.query(
      `INSERT INTO api_latency_buckets (minute, le_ms, count) VALUES (date_trunc('minute', now()), 2000, 30)
       ON CONFLICT (minute, le_ms) DO UPDATE SET count = api_latency_buckets.count + 30`,
    );
    const fired = await alerting.evaluate();
    expect(fired.map((f) => [f.rule, f.firing]).sort()).toEqual([
      ['api-latency-p95', true],
      ['api-latency-p99', true],
    ]);
    const p95 = fired.find((f) => f.rule === 'api-latency-p95')!;
    expect(p95.value).toBeGreaterThan(1500);
    expect(p95.message).toMatch(
      /^API p95 over the last hour: \d+ ms across \d+ requests \(alert at 500 ms\)$/,
    );
    expect(receiver.bodies.map((b) => [b.rule, b.status]).sort()).toEqual([
      ['api-latency-p95', 'firing'],
      ['api-latency-p99', 'firing'],
    ]);
    expect(await alerting.evaluate()).toEqual([]);

    await t.dataSource.query(`UPDATE api_latency_buckets SET minute = minute - interval '2 hours'`);
    const resolved = await alerting.evaluate();
    expect(resolved.map((f) => [f.rule, f.firing]).sort()).toEqual([
      ['api-latency-p95', false],
      ['api-latency-p99', false],
    ]);
  });

  it('fires on a service down or degraded, the queue backlog and the database cache hit ratio', async () => {
    const alerting = t.app.get(AlertingService);
    receiver.bodies.length = 0;
    // Each later than the checks the first test recorded.
    const check = (up: boolean, latency: number, secondsAhead: number) =>
      t.dataSource.query(
        `INSERT INTO service_checks (service, checked_at, up, latency_ms, detail)
         VALUES ('redis', now() + make_interval(secs => $3), $1, $2, $4)`,
        [up, latency, secondsAhead, up ? null : 'Redis connection is reconnecting'],
      );
    await check(false, 1000, 1);
    t.config.ALERT_DB_CACHE_HIT_PERCENT = 100;
    t.config.ALERT_QUEUE_BACKLOG = 1;
    await queueOf(t, 'maintenance').pause(true);
    try {
      await queueOf(t, 'maintenance').add('alert-rules', {}, { jobId: 'backlog-probe' });
      const fired = await alerting.evaluate();
      expect(fired.map((f) => [f.rule, f.firing, f.severity])).toEqual(
        expect.arrayContaining([
          ['queue-backlog', true, 'warning'],
          ['db-cache-hit-ratio', true, 'warning'],
          ['service-down:redis', true, 'critical'],
        ]),
      );
      expect(fired.find((f) => f.rule === 'service-down:redis')?.message).toBe(
        'redis failed its last check: Redis connection is reconnecting',
      );
    } finally {
      await (await queueOf(t, 'maintenance').getJob('backlog-probe'))?.remove();
      await queueOf(t, 'maintenance').resume(true);
    }
    // Back, but slow: down resolves, degraded fires.
    await check(true, 4000, 2);
    t.config.ALERT_DB_CACHE_HIT_PERCENT = 0;
    t.config.ALERT_QUEUE_BACKLOG = 1000;
    const next = await alerting.evaluate();
    expect(next.map((f) => [f.rule, f.firing])).toEqual(
      expect.arrayContaining([
        ['queue-backlog', false],
        ['db-cache-hit-ratio', false],
        ['service-down:redis', false],
        ['service-degraded:redis', true],
      ]),
    );
    await check(true, 2, 3);
    const calm = await alerting.evaluate();
    expect(calm.map((f) => [f.rule, f.firing])).toContainEqual(['service-degraded:redis', false]);
    expect(
      receiver.bodies.filter((b) => b.rule === 'service-degraded:redis').map((b) => b.status),
    ).toEqual(['firing', 'resolved']);
  });

  it('holds notifications back while a silence is in force, and lists firing and recent alerts', async () => {
    const alerting = t.app.get(AlertingService);
    const admin = await createUser(t, ['admin']);
    const browser = await browserSignIn(t, admin.email, admin.password, '198.51.100.21');
    const csrf = await browser.csrf('/admin/alerts');
    await browser.agent
      .post('/admin/alerts/silences')
      .set('X-Forwarded-For', '198.51.100.21')
      .type('form')
      .send({ _csrf: csrf, rule: 'nonsense rule!', hours: '2', reason: 'x' })
      .expect(400)
      .expect(/Rule: name a rule/);
    await browser.agent
      .post('/admin/alerts/silences')
      .set('X-Forwarded-For', '198.51.100.21')
      .type('form')
      .send({ _csrf: csrf, rule: 'db-cache-*', hours: '2', reason: 'Cold cache after a restore' })
      .expect(303)
      .expect('Location', '/admin/alerts?done=silenced');

    receiver.bodies.length = 0;
    t.config.ALERT_DB_CACHE_HIT_PERCENT = 100;
    expect((await alerting.evaluate()).map((f) => f.rule)).not.toContain('db-cache-hit-ratio');
    expect(receiver.bodies.filter((b) => b.rule === 'db-cache-hit-ratio')).toEqual([]);

    const page = await browser.agent
      .get('/admin/alerts')
      .set('X-Forwarded-For', '198.51.100.21')
      .expect(200);
    expect(page.text).toContain('href="/admin/alerts"');
    expect(page.text).not.toMatch(/style=/);
    const firingTable = page.text.slice(
      page.text.indexOf('Firing now'),
      page.text.indexOf('Recent alerts'),
    );
    expect(firingTable).toContain('<code>db-cache-hit-ratio</code>');
    const recent = page.text.slice(
      page.text.indexOf('Recent alerts'),
      page.text.indexOf('<h2>Silences'),
    );
    expect(recent).toMatch(
      /<code>db-cache-hit-ratio<\/code><\/td><td><span class="tag off">firing<\/span><\/td><td>warning<\/td><td>[^<]+<\/td><td>silenced<\/td>/,
    );
    expect(recent).toMatch(/<code>api-latency-p95<\/code><\/td><td><span class="tag">resolved/);
    expect(page.text).toMatch(
      /<code>db-cache-\*<\/code><\/td><td>Cold cache after a restore<\/td>/,
    );

    // The silence expires: the rule, still firing, is notified once.
    await t.dataSource.query(`UPDATE alert_silences SET expires_at = now() - interval '1 second'`);
    expect((await alerting.evaluate()).map((f) => [f.rule, f.firing])).toEqual([
      ['db-cache-hit-ratio', true],
    ]);
    expect(await alerting.evaluate()).toEqual([]);

    // A new silence, ended by hand from the page before the rule resolves: the resolution is sent.
    await alerting.silence('db-cache-hit-ratio', 1, 'checking', admin.id);
    t.config.ALERT_DB_CACHE_HIT_PERCENT = 0;
    expect(await alerting.evaluate()).toEqual([]);
    const [active]: { id: string }[] = await t.dataSource.query(
      'SELECT id FROM alert_silences WHERE ended_at IS NULL AND expires_at > now()',
    );
    await browser.agent
      .post(`/admin/alerts/silences/${active.id}/end`)
      .set('X-Forwarded-For', '198.51.100.21')
      .type('form')
      .send({ _csrf: await browser.csrf('/admin/alerts') })
      .expect(303)
      .expect('Location', '/admin/alerts?done=ended');
    expect((await alerting.evaluate()).map((f) => [f.rule, f.firing])).toEqual([
      ['db-cache-hit-ratio', false],
    ]);
    expect(
      receiver.bodies.filter((b) => b.rule === 'db-cache-hit-ratio').map((b) => b.status),
    ).toEqual(['firing', 'resolved']);
    const manager = await createUser(t, ['operations_manager']);
    const other = await browserSignIn(t, manager.email, manager.password, '198.51.100.22');
    await other.agent.get('/admin/alerts').set('X-Forwarded-For', '198.51.100.22').expect(403);
  });
});

async function startSmtpSinkOn(port: number): Promise<SmtpSink & { raw: string[] }> {
  const { SMTPServer } = await import('smtp-server');
  const messages: SmtpSink['messages'] = [];
  const raw: string[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _s, cb) {
      let data = '';
      stream.on('data', (c: Buffer) => (data += c.toString()));
      stream.on('end', () => {
        raw.push(data);
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    raw,
    waitFor: () => Promise.resolve(messages),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
