import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { AlertingService, AlertWebhookBody } from '../src/monitoring/alerting.service';
import { UptimeService } from '../src/monitoring/uptime.service';
import { browserSignIn, createUser } from './helpers/auth';
import { startSmtpSink, SmtpSink } from './helpers/smtp-sink';
import { startTestApp, TestApp } from './helpers/test-app';

/** A local webhook receiver that keeps every JSON body posted to it. */
async function startReceiver(): Promise<{
  url: string;
  bodies: AlertWebhookBody[];
  server: Server;
}> {
  const bodies: AlertWebhookBody[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => {
      bodies.push(JSON.parse(data) as AlertWebhookBody);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, bodies, server };
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
      ALERT_OUTBOX_BACKLOG: '3',
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
