/**
 * npm run bench:load
 *
 * Mixed traffic against a running app while its pipeline works. Builds
 * nothing: it runs `dist/src/main.js` when present (`npm run build` first for
 * production-like figures), otherwise `src/main.ts` through ts-node.
 *
 * 1. Creates a scratch database next to BENCH_DATABASE_URL (default
 *    postgres://postgres@127.0.0.1:5432/postgres), boots the app in-process
 *    once to migrate it, writes the demo data set with the synthetic bulk
 *    writer (BENCH_TUTORS tutors, default 250, × 90 days), evaluates every
 *    tutor and runs the intervention rules (as the first start of the demo
 *    does), and creates the staff users.
 * 2. Starts the app as a child process with ROLE=all (web + queues + outbox
 *    relay) on BENCH_PORT (default 3917), its own Redis key prefix,
 *    LOG_LEVEL=log (JSON lines, as in production, sent to /dev/null) and the
 *    Dockerfile's NODE_OPTIONS (its heap limit and V8 helper threads).
 * 3. For BENCH_SECONDS (default 60) runs 50 concurrent clients, each a closed
 *    loop pausing BENCH_THINK_MS (default 1000) between requests: a manager who
 *    opens a page a second is a fast reader (100 gives a stress test that
 *    saturates 2 cores; the per-caller read limit is 600 a minute):
 *    - 25 operations managers with a cookie session browsing the queue
 *      (/interventions with filters), intervention detail and tutor pages;
 *    - 12 API readers with bearer tokens (interventions list, tutor
 *      performance, tutors list);
 *    - 5 ingestion clients, each with its own API key, posting a batch of 20
 *      completed sessions every 2 s (BENCH_INGEST_RATE, default 50 sessions/s
 *      in all; the product's scale is thousands a day), which the
 *      pipeline evaluates meanwhile (outbox → recompute → rules);
 *    - 8 load-balancer probes on /health/ready, on a worker thread of their
 *      own (a load balancer is another machine: this process's own
 *      event-loop delay, from parsing pages, is not the app's latency).
 *    Clients start spread over the first think time, as people do, rather
 *    than as one burst at t = 0.
 * 4. Prints per kind: requests, req/s, p50/p95/p99 (request to last byte over
 *    loopback), errors (anything but the expected status), the peak RSS of
 *    the app process (sampled every 250 ms from /proc), the load average and
 *    the event-loop delay of the app (from its /metrics) and of this client.
 * 5. Waits, at most BENCH_DRAIN_SECONDS (default 120), for the pipeline to
 *    measure every ingested session, and prints how long that took.
 *    Then stops the app (SIGTERM) and drops the database (BENCH_KEEP=1 keeps
 *    it) and the app's Redis keys.
 */
import 'dotenv/config';
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Redis from 'ioredis';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createApp } from '../src/app.factory';
import { PasswordService } from '../src/auth/password.service';
import { loadConfig } from '../src/config/app-config';
import { InterventionRuleRunner } from '../src/interventions/intervention-rule-runner.service';
import { NightlyEvaluationService } from '../src/performance/nightly-evaluation.service';
import { FieldCipher } from '../src/security/field-cipher';
import { SyntheticDataService } from '../src/tutoring/synthetic/synthetic-data.service';
import type { ProbePlan } from './support/probe-thread';
import { noTimings, TimedInit, Timings, timedRequest } from './support/timed-request';

const BASE_DB = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PORT = Number(process.env.BENCH_PORT ?? 3917);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const TUTORS = Number(process.env.BENCH_TUTORS ?? 250);
const KEEP = process.env.BENCH_KEEP === '1';
const ROOT = join(__dirname, '..');
const PASSWORD = 'bench-load-password-correct-horse-42';
const BASE = `http://127.0.0.1:${PORT}`;

const MANAGERS = 25;
const API_READERS = 12;
const INGESTERS = 5;
const PROBES = 8;
/** Pause between one client's requests (BENCH_THINK_MS): a manager reading a page, a script's pacing. */
const THINK_MS = Number(process.env.BENCH_THINK_MS ?? 1000);
/** Sessions a second posted in all (BENCH_INGEST_RATE), in batches of 20 spread over the ingesters. */
const INGEST_RATE = Number(process.env.BENCH_INGEST_RATE ?? 50);
const INGEST_EVERY_MS = (INGESTERS * 20 * 1000) / INGEST_RATE;
/** After the load, how long to wait at most for the pipeline to catch up (BENCH_DRAIN_SECONDS). */
const DRAIN_SECONDS = Number(process.env.BENCH_DRAIN_SECONDS ?? 120);

type Kind =
  | 'page: queue'
  | 'page: intervention'
  | 'page: tutor'
  | 'api: read'
  | 'ingest: batch of 20'
  | 'health/ready';
const timings = new Map<Kind, Timings>();
const timingsOf = (kind: Kind): Timings => {
  if (!timings.has(kind)) timings.set(kind, noTimings());
  return timings.get(kind)!;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (sorted: number[], p: number) =>
  sorted.length
    ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
    : NaN;

async function admin(sql: string): Promise<void> {
  const c = new Client({ connectionString: BASE_DB });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** Times one request into its kind's timings (see timedRequest). */
function timed(
  kind: Kind,
  url: string,
  init: TimedInit & { headers: Record<string, string> },
  expect = 200,
): Promise<void> {
  return timedRequest(timingsOf(kind), url, init, expect);
}

/** CPU seconds (user + system) a process has used, from /proc (clock ticks of 10 ms). */
function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The machine's CPU ticks since boot: user nice system idle iowait irq softirq steal. */
function machineTicks(): number[] {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  return line.trim().split(/\s+/).slice(1, 9).map(Number);
}

function rssMb(pid: number): number | null {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : null;
  } catch {
    return null;
  }
}

/** The probes of `plan` on a worker thread of their own (bench/support/probe-thread.ts). */
function probesOnOwnThread(plan: ProbePlan): Promise<Timings> {
  // This runs under ts-node; the thread registers it too before loading the module.
  const code = `require('ts-node').register({ transpileOnly: true }); require(${JSON.stringify(
    join(__dirname, 'support', 'probe-thread.ts'),
  )});`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(code, { eval: true, workerData: plan });
    worker.once('message', (timings: Timings) => {
      resolve(timings);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

/** The app's event-loop delay since the last scrape (prom-client resets it on every collect). */
async function appLoopLag(token: string): Promise<{ p99: string; max: string }> {
  const text = await fetch(`${BASE}/metrics`, { headers: { Authorization: `Bearer ${token}` } })
    .then((r) => r.text())
    .catch(() => '');
  const read = (name: string) => {
    const v = new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(text)?.[1];
    return v === undefined ? '?' : (Number(v) * 1000).toFixed(1);
  };
  return {
    p99: read('nodejs_eventloop_lag_p99_seconds'),
    max: read('nodejs_eventloop_lag_max_seconds'),
  };
}

/** Signs in through the login form like a browser; returns the Cookie header. */
async function browserSession(email: string, ip: string): Promise<string> {
  const form = await fetch(`${BASE}/login`, { headers: { 'X-Forwarded-For': ip } });
  const html = await form.text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  const jar = new Map<string, string>();
  const keep = (res: Response) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      jar.set(pair.slice(0, i), pair.slice(i + 1));
    }
  };
  keep(form);
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const res = await fetch(`${BASE}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Cookie: cookie(),
      'X-Forwarded-For': ip,
      Origin: BASE,
    },
    body: new URLSearchParams({ email, password: PASSWORD, _csrf: csrf ?? '', next: '/' }),
  });
  await res.arrayBuffer();
  if (res.status !== 303) throw new Error(`sign-in of ${email} answered ${res.status}`);
  keep(res);
  return cookie();
}

async function bearer(email: string, ip: string): Promise<string> {
  const res = await fetch(`${BASE}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': ip },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  if (res.status !== 200) throw new Error(`API sign-in of ${email}: ${res.status}`);
  return ((await res.json()) as { accessToken: string }).accessToken;
}

async function main(): Promise<void> {
  const name = `tm_bench_load_${randomBytes(4).toString('hex')}`;
  const prefix = `bench-load-${randomBytes(3).toString('hex')}`;
  const url = new URL(BASE_DB);
  url.pathname = `/${name}`;
  const dbUrl = url.toString();
  const dataDir = mkdtempSync(join(tmpdir(), 'tm-bench-load-'));
  const apiKeys = Array.from(
    { length: INGESTERS },
    () => `bench-${randomBytes(20).toString('hex')}`,
  );
  await admin(`CREATE DATABASE ${name}`);
  let child: ChildProcess | undefined;
  const db = new Client({ connectionString: dbUrl });
  try {
    // 1. Demo data, evaluation, rules and staff, in-process.
    const t0 = Date.now();
    const config = loadConfig({
      NODE_ENV: 'test',
      ROLE: 'web',
      DATABASE_URL: dbUrl,
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'error',
    });
    const setup = await createApp(config, { logger: false });
    await setup.init();
    const ds = setup.get(DataSource);
    await new SyntheticDataService(ds, setup.get(FieldCipher)).load({
      tutors: TUTORS,
      days: 90,
      seed: 42,
      nodeEnv: 'development',
    });
    const evaluation = await setup.get(NightlyEvaluationService).run();
    const rules = await setup.get(InterventionRuleRunner).runNightly();
    const hash = await setup.get(PasswordService).hash(PASSWORD);
    await ds.query(
      `INSERT INTO users (email, full_name, roles, is_active, password_hash)
       SELECT 'manager' || g || '@bench.invalid', 'Manager ' || g, ARRAY['operations_manager']::varchar[], true, $1
         FROM generate_series(1, $2::int) g`,
      [hash, MANAGERS + API_READERS],
    );
    await ds.query('ANALYZE');
    await setup.close();
    console.log(
      `setup: ${TUTORS} tutors × 90 days, ${evaluation.rated} tutors in tiers, ${rules.created} interventions, in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );

    await db.connect();
    const interventionIds = (
      await db.query<{ id: string }>(
        `SELECT id FROM interventions WHERE status IN ('open','assigned','in_progress','waiting') LIMIT 200`,
      )
    ).rows.map((r) => r.id);
    const tutors = (
      await db.query<{ id: string; external_id: string }>(
        `SELECT id, external_id FROM tutors WHERE status = 'active' ORDER BY external_id LIMIT 250`,
      )
    ).rows;
    const students = (
      await db.query<{ external_id: string }>(`SELECT external_id FROM students LIMIT 1000`)
    ).rows.map((r) => r.external_id);
    if (!interventionIds.length || !tutors.length || !students.length)
      throw new Error('the demo data has no interventions, tutors or students');

    // 2. The app, as its own process.
    const built = existsSync(join(ROOT, 'dist/src/main.js'));
    const metricsToken = randomBytes(24).toString('hex');
    const args = built
      ? ['dist/src/main.js']
      : ['-r', 'ts-node/register/transpile-only', 'src/main.ts'];
    // BENCH_APP_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the app.
    const nodeArgs = (process.env.BENCH_APP_NODE_ARGS ?? '').split(' ').filter(Boolean);
    // What the image sets: V8 would size its heap from this machine's memory, and start four
    // GC helper threads on its two cores.
    const dockerfileOptions = /NODE_OPTIONS=(?:"([^"]+)"|(\S+))/.exec(
      readFileSync(join(ROOT, 'Dockerfile'), 'utf8'),
    );
    const nodeOptions = dockerfileOptions?.[1] ?? dockerfileOptions?.[2];
    if (!nodeOptions) throw new Error('the Dockerfile sets no NODE_OPTIONS');
    child = spawn(process.execPath, [...nodeArgs, ...args], {
      cwd: ROOT,
      // BENCH_APP_LOG=file keeps the app's JSON log lines.
      stdio: [
        'ignore',
        process.env.BENCH_APP_LOG ? openSync(process.env.BENCH_APP_LOG, 'w') : 'ignore',
        'pipe',
      ],
      env: {
        PATH: process.env.PATH ?? '',
        DOTENV_CONFIG_PATH: '/nonexistent',
        NODE_ENV: 'test',
        ROLE: 'all',
        PORT: String(PORT),
        DATABASE_URL: dbUrl,
        REDIS_URL,
        QUEUE_PREFIX: prefix,
        DATA_DIR: dataDir,
        API_KEYS: apiKeys.join(','),
        DEMO_DATA: 'false',
        LOG_LEVEL: 'log',
        NODE_OPTIONS: nodeOptions,
        METRICS_TOKEN: metricsToken,
        ...(process.env.JOB_SLOTS ? { JOB_SLOTS: process.env.JOB_SLOTS } : {}),
      },
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the app exited:\n${stderr}`);
      const ok = await fetch(`${BASE}/health/ready`)
        .then((r) => r.status === 200)
        .catch(() => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`the app did not get ready:\n${stderr}`);
      await sleep(500);
    }
    const pid = child.pid!;
    console.log(
      `app: ${built ? 'node dist/src/main.js' : 'ts-node src/main.ts'} (pid ${pid}), ROLE=all, port ${PORT}, NODE_OPTIONS=${nodeOptions} (as in the Dockerfile)`,
    );

    // Sign everyone in before the clock starts.
    const managers: string[] = [];
    for (let i = 0; i < MANAGERS; i++)
      managers.push(await browserSession(`manager${i + 1}@bench.invalid`, `198.18.${10 + i}.1`));
    const readers: string[] = [];
    for (let i = 0; i < API_READERS; i++)
      readers.push(await bearer(`manager${MANAGERS + i + 1}@bench.invalid`, `198.18.${60 + i}.1`));

    const rss: number[] = [];
    const sampler = setInterval(() => {
      const mb = rssMb(pid);
      if (mb) rss.push(mb);
    }, 250);
    // Event-loop stalls on both sides: a slow answer may be the app's, or this client's own.
    const clientLoop = monitorEventLoopDelay({ resolution: 10 });
    clientLoop.enable();
    await appLoopLag(metricsToken); // a scrape resets the app's loop-delay histogram
    const load0 = loadavg();
    const cpu0 = { app: cpuSecondsOf(pid), clients: process.cpuUsage(), machine: machineTicks() };
    const started = Date.now();
    const end = started + SECONDS * 1000;
    const pick = <T>(list: T[]) => list[Math.floor(Math.random() * list.length)];
    let sessionNo = 0;
    const run = `load-${randomBytes(3).toString('hex')}`;
    const filters = [
      '',
      '?priority=high',
      '?slaState=breached',
      '?assignee=unassigned',
      '?sort=due',
    ];

    // People and probes do not act in step: client g of the 45 readers starts
    // g/45 of a think time in (the ingesters keep their own spacing). Started
    // together, their first requests arrive as one burst on cold connections
    // that every kind then waits behind (0.3-0.45 s for all 45 at t = 0).
    const READERS = MANAGERS + API_READERS + PROBES;
    const firstStep = (g: number) => sleep((g * THINK_MS) / READERS);
    const manager = async (i: number) => {
      const headers = { Cookie: managers[i], 'X-Forwarded-For': `198.18.${10 + i}.1` };
      await firstStep(i);
      while (Date.now() < end) {
        await timed('page: queue', `${BASE}/interventions${pick(filters)}`, { headers });
        await sleep(THINK_MS);
        await timed('page: intervention', `${BASE}/interventions/${pick(interventionIds)}`, {
          headers,
        });
        await sleep(THINK_MS);
        await timed('page: tutor', `${BASE}/tutors/${pick(tutors).id}`, { headers });
        await sleep(THINK_MS);
      }
    };
    const reader = async (i: number) => {
      const headers = {
        Authorization: `Bearer ${readers[i]}`,
        'X-Forwarded-For': `198.18.${60 + i}.1`,
      };
      await firstStep(MANAGERS + i);
      while (Date.now() < end) {
        const path = pick([
          '/api/v1/interventions?limit=50',
          '/api/v1/interventions?limit=50&status=open',
          `/api/v1/tutors/${pick(tutors).id}/performance`,
          '/api/v1/tutors?limit=50',
        ]);
        await timed('api: read', `${BASE}${path}`, { headers });
        await sleep(THINK_MS);
      }
    };
    const ingester = async (i: number) => {
      const headers = { 'Content-Type': 'application/json', 'X-API-Key': apiKeys[i] };
      await sleep((i * INGEST_EVERY_MS) / INGESTERS);
      while (Date.now() < end) {
        const tick = Date.now();
        const items = Array.from({ length: 20 }, () => {
          const n = sessionNo++;
          const start = new Date(tick - 3_600_000 - (n % 600) * 1000);
          return {
            externalId: `${run}-session-${n}`,
            tutorExternalId: tutors[(n * 7919) % tutors.length].external_id,
            studentExternalId: students[n % students.length],
            scheduledStart: start.toISOString(),
            actualStart: start.toISOString(),
            durationMinutes: 60,
            subject: 'Algebra',
            lateStartMinutes: n % 4,
            engagementScore: ((n * 37) % 100) / 100,
            learningObjectivesMet: n % 5 !== 0,
            tutorInitiatedReschedule: n % 17 === 0,
          };
        });
        await timed('ingest: batch of 20', `${BASE}/api/v1/sessions`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ items }),
        });
        await sleep(Math.max(0, INGEST_EVERY_MS - (Date.now() - tick)));
      }
    };
    // The probes are a load balancer, another machine: they run on an event
    // loop of their own, so this process's parsing of pages (its own loop
    // delay is printed below) does not show up as probe latency.
    const probes = probesOnOwnThread({
      base: BASE,
      probes: PROBES,
      thinkMs: THINK_MS,
      end,
      firstStepMs: ((MANAGERS + API_READERS) * THINK_MS) / READERS,
      spacingMs: THINK_MS / READERS,
    });
    await Promise.all([
      ...Array.from({ length: MANAGERS }, (_, i) => manager(i)),
      ...Array.from({ length: API_READERS }, (_, i) => reader(i)),
      ...Array.from({ length: INGESTERS }, (_, i) => ingester(i)),
      probes.then((r) => timings.set('health/ready', r)),
    ]);
    const elapsed = (Date.now() - started) / 1000;
    clearInterval(sampler);
    const load1 = loadavg();
    const appCpu = (cpuSecondsOf(pid) - cpu0.app) / elapsed;
    const clientsUsage = process.cpuUsage(cpu0.clients);
    const clientsCpu = (clientsUsage.user + clientsUsage.system) / 1e6 / elapsed;
    const machine = machineTicks().map((t, i) => t - cpu0.machine[i]);
    const share = (ticks: number) => (100 * ticks) / machine.reduce((a, b) => a + b, 0);
    clientLoop.disable();
    const appLoop = await appLoopLag(metricsToken);

    // Sessions of this run whose tutor's metrics have been recomputed since.
    const countMeasured = async () =>
      (
        await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM tutor_metrics_triggers t JOIN sessions s ON s.id = t.record_id
            WHERE s.external_id LIKE $1 AND t.metrics_updated_at IS NOT NULL`,
          [`${run}-%`],
        )
      ).rows[0].n;
    const measured = await countMeasured();

    console.log(
      `\n${SECONDS} s, 50 clients (${MANAGERS} managers, ${API_READERS} API readers, ${INGESTERS} ingesters, ${PROBES} probes), ` +
        `${THINK_MS} ms between a client's requests, ingestion ${INGEST_RATE} sessions/s`,
    );
    console.log('kind                   requests   req/s    p50 ms   p95 ms   p99 ms  errors');
    let total = 0;
    let totalErrors = 0;
    for (const kind of [
      'page: queue',
      'page: intervention',
      'page: tutor',
      'api: read',
      'ingest: batch of 20',
      'health/ready',
    ] as Kind[]) {
      const s = timingsOf(kind).samples.sort((a, b) => a - b);
      const e = timingsOf(kind).errors;
      total += s.length + e.length;
      totalErrors += e.length;
      console.log(
        `${kind.padEnd(22)} ${String(s.length + e.length).padStart(8)} ${((s.length + e.length) / elapsed).toFixed(1).padStart(7)} ${pct(s, 50).toFixed(1).padStart(9)} ${pct(s, 95).toFixed(1).padStart(8)} ${pct(s, 99).toFixed(1).padStart(8)} ${String(e.length).padStart(7)}`,
      );
      if (e.length) console.log(`    e.g. ${[...new Set(e)].slice(0, 3).join('; ')}`);
    }
    const pages = ['page: queue', 'page: intervention', 'page: tutor']
      .flatMap((k) => timingsOf(k as Kind).samples)
      .sort((a, b) => a - b);
    const ready = timingsOf('health/ready').samples.sort((a, b) => a - b);
    const peak = Math.max(...rss);
    console.log(
      `all                    ${String(total).padStart(8)} ${(total / elapsed).toFixed(1).padStart(7)}   errors ${totalErrors}`,
    );
    console.log(
      `pipeline: ${sessionNo} sessions ingested, ${measured} reached the metrics by the end`,
    );
    console.log(
      `app RSS: peak ${peak.toFixed(0)} MB (first ${rss[0]?.toFixed(0)} MB, last ${rss[rss.length - 1]?.toFixed(0)} MB)`,
    );
    console.log(
      `load average: ${load0.map((l) => l.toFixed(2)).join(' ')} at the start, ${load1.map((l) => l.toFixed(2)).join(' ')} at the end`,
    );
    console.log(
      `CPU during the load: the app ${(appCpu * 100).toFixed(0)} % of a core, these clients (probes included) ${(clientsCpu * 100).toFixed(0)} %; ` +
        `the machine ${share(machine[3] + machine[4]).toFixed(0)} % idle, ${share(machine[7]).toFixed(1)} % stolen by the hypervisor`,
    );
    console.log(
      `event-loop delay: app p99 ${appLoop.p99} ms, max ${appLoop.max} ms; this client p99 ${(clientLoop.percentile(99) / 1e6).toFixed(1)} ms, max ${(clientLoop.max / 1e6).toFixed(1)} ms`,
    );
    const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED');
    console.log(
      `targets: errors 0 → ${totalErrors} ${verdict(totalErrors === 0)}; page p95 < 100 ms → ${pct(pages, 95).toFixed(1)} ${verdict(pct(pages, 95) < 100)}; /health/ready p99 < 20 ms → ${pct(ready, 99).toFixed(1)} ${verdict(pct(ready, 99) < 20)}; RSS < 350 MB → ${peak.toFixed(0)} ${verdict(peak < 350)}`,
    );

    // After the load: how long the pipeline takes to catch up with what was ingested
    // (BENCH_DRAIN_SECONDS, default 120, at most), with nothing else asking for the CPU.
    const drainStart = Date.now();
    let drained = measured;
    while (drained < sessionNo && Date.now() - drainStart < DRAIN_SECONDS * 1000) {
      await sleep(1000);
      drained = await countMeasured();
    }
    const drainSeconds = ((Date.now() - drainStart) / 1000).toFixed(0);
    const reached = drained === sessionNo ? `all ${sessionNo}` : `${drained} of ${sessionNo}`;
    console.log(
      `pipeline after the load: ${reached} sessions reached the metrics ${drainSeconds} s after the load ended`,
    );
  } finally {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await Promise.race([new Promise((r) => child!.once('exit', r)), sleep(40_000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await db.end().catch(() => undefined);
    if (!KEEP) {
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      const redis = new Redis(REDIS_URL);
      try {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
          cursor = next;
          if (keys.length) await redis.del(...keys);
        } while (cursor !== '0');
      } finally {
        redis.disconnect();
      }
    } else console.log(`kept database ${name}`);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
