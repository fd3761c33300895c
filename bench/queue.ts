/**
 * npm run bench:queue
 *
 * Boots the app in-process (ROLE=web: no workers, no outbox relay, so every
 * SQL statement counted is the page's own) on a scratch database next to
 * BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres),
 * fills it with BENCH_INTERVENTIONS (50,000) interventions over 2,000 tutors
 * and a few staff in set-based SQL, then requests the filtered queue page of
 * 50 rows repeatedly, as JSON (GET /api/v1/interventions) and as the HTML page
 * (GET /interventions), one request at a time. Prints p50/p95 server time
 * (request to last byte over loopback, measured in the client) and the SQL
 * statements per page (every pg Client.query during the request, sign-in
 * check included). Then times the recompute of every open intervention that
 * saving an SLA policy does, with its statement count. The scratch database is
 * dropped (BENCH_KEEP=1 keeps it).
 */
import 'dotenv/config';
import { randomBytes } from 'node:crypto';
import { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { Client } from 'pg';
import { createApp } from '../src/app.factory';
import { loadConfig } from '../src/config/app-config';
import { PasswordService } from '../src/auth/password.service';
import { DataSource } from 'typeorm';
import { InterventionsService, RECOMPUTE_BATCH } from '../src/interventions/interventions.service';

const BASE = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const COUNT = Number(process.env.BENCH_INTERVENTIONS ?? 50_000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 300);

let queries = 0;
/** BENCH_TRACE=1: print the statements of one request per run. */
let trace: string[] | null = null;
const original = Client.prototype.query;
(Client.prototype as unknown as { query: (...args: unknown[]) => unknown }).query = function (
  this: Client,
  ...args: unknown[]
) {
  queries++;
  if (trace) {
    const sql = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string })?.text;
    trace.push(
      String(sql ?? '')
        .replace(/\s+/g, ' ')
        .slice(0, 140),
    );
  }
  return (original as (...a: unknown[]) => unknown).apply(this, args);
};

async function admin(sql: string) {
  const c = new Client({ connectionString: BASE });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function main() {
  const name = `tm_bench_queue_${randomBytes(4).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(BASE);
  url.pathname = `/${name}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'tm-bench-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    ROLE: 'web',
    DATABASE_URL: url.toString(),
    QUEUE_PREFIX: `bench-${randomBytes(3).toString('hex')}`,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'error',
    API_KEYS: 'bench-api-key-0123456789abcdef0123456789',
  });
  const app = await createApp(config, { logger: false });
  await app.init();
  await app.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  try {
    const ds = app.get(DataSource);
    const hash = await app.get(PasswordService).hash('bench-password-correct-horse-42');
    const t0 = Date.now();
    await ds.query(
      `INSERT INTO users (email, full_name, roles, is_active, password_hash)
       SELECT 'staff' || g || '@bench.invalid', 'Staff ' || g,
              CASE WHEN g <= 4 THEN ARRAY['operations_manager'] ELSE ARRAY['people_ops'] END::varchar[], true, $1
         FROM generate_series(1, 12) g`,
      [hash],
    );
    await ds.query(
      `INSERT INTO tutors (external_id, name, email, onboarding_date, subjects)
       SELECT 'bt-' || g, 'Bench Tutor ' || g, 'bt' || g || '@bench.invalid', current_date - (g % 400), ARRAY['Algebra']
         FROM generate_series(1, 2000) g`,
    );
    const types = [
      'automated_coaching',
      'training_module',
      'first_session_checkin',
      'rescheduling_alert',
      'manager_coaching',
      'peer_mentoring',
      'performance_improvement_plan',
      'retention_interview',
      'recognition',
    ];
    // 50,000 over 2,000 tutors × 9 types: at most one open per (tutor, type), the rest closed.
    await ds.query(
      `WITH staff AS (SELECT array_agg(id ORDER BY email) AS ids FROM users),
            tut AS (SELECT array_agg(id ORDER BY external_id) AS ids FROM tutors),
            rows AS (
              SELECT g, (g - 1) % 2000 + 1 AS ti, ((g - 1) / 2000) % 9 + 1 AS ty,
                     now() - ((g % 720) || ' hours')::interval AS created
                FROM generate_series(1, $1::int) g)
       INSERT INTO interventions (tutor_id, type, kind, priority, priority_rank, status, rule_id, reason, evidence,
              assignee_user_id, outcome, created_at, updated_at, resolved_at, sla_policy_version,
              first_action_due_at, first_action_at_risk_at, first_action_met_at,
              resolution_due_at, resolution_at_risk_at, resolution_met_at, sla_paused, sla_sort_at, sla_at_risk_at, next_sla_check_at)
       SELECT tut.ids[ti], ($2::varchar[])[ty],
              CASE WHEN ty IN (1, 2, 4, 9) THEN 'automated' ELSE 'human' END,
              (ARRAY['critical','high','medium','low'])[g % 4 + 1], g % 4,
              st.status, 'bench_rule', 'Benchmark intervention', '{"churnScore": 60}'::jsonb,
              CASE WHEN st.status = 'open' THEN NULL ELSE staff.ids[g % 12 + 1] END,
              CASE WHEN st.status = 'completed' THEN 'improved' END,
              created, created, CASE WHEN st.status IN ('completed', 'cancelled') THEN created + interval '30 hours' END, 0,
              created + interval '8 hours', created + interval '6 hours',
              CASE WHEN st.status NOT IN ('open', 'assigned') THEN created + interval '2 hours' END,
              created + interval '40 hours', created + interval '30 hours',
              CASE WHEN st.status IN ('completed', 'cancelled') THEN created + interval '30 hours' END,
              st.status = 'waiting',
              CASE WHEN st.status IN ('completed', 'cancelled') THEN '9999-12-31'::timestamptz
                   WHEN st.status IN ('open', 'assigned') THEN created + interval '8 hours'
                   ELSE created + interval '40 hours' END,
              CASE WHEN st.status IN ('completed', 'cancelled') THEN NULL ELSE created + interval '6 hours' END,
              NULL
         FROM rows, staff, tut,
              LATERAL (SELECT CASE WHEN g <= 18000 THEN (ARRAY['open','assigned','in_progress','waiting'])[g % 4 + 1]
                                   ELSE (ARRAY['completed','cancelled'])[g % 2 + 1] END AS status) st`,
      [COUNT, types],
    );
    await ds.query(
      `INSERT INTO intervention_transitions (intervention_id, from_status, to_status, at)
       SELECT id, NULL, 'open', created_at FROM interventions`,
    );
    await ds.query('ANALYZE');
    console.log(`seeded ${COUNT} interventions in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    // One operations manager per run: reads are limited to 600 a minute per caller.
    let runs = 0;
    const signIn = async () => {
      const n = ++runs;
      const login = await fetch(`${base}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': `192.0.2.${n}` },
        body: JSON.stringify({
          email: `staff${n}@bench.invalid`,
          password: 'bench-password-correct-horse-42',
        }),
      });
      const { accessToken } = (await login.json()) as { accessToken: string };
      return { Authorization: `Bearer ${accessToken}`, 'X-Forwarded-For': `192.0.2.${n}` };
    };

    const run = async (label: string, path: string, check: (body: string) => void) => {
      const headers = await signIn();
      for (let i = 0; i < 20; i++) check(await (await fetch(base + path, { headers })).text());
      const times: number[] = [];
      const before = queries;
      for (let i = 0; i < REQUESTS; i++) {
        const start = process.hrtime.bigint();
        const res = await fetch(base + path, { headers });
        const body = await res.text();
        times.push(Number(process.hrtime.bigint() - start) / 1e6);
        if (res.status !== 200) throw new Error(`${path}: ${res.status} ${body.slice(0, 200)}`);
      }
      const perPage = (queries - before) / REQUESTS;
      if (process.env.BENCH_TRACE) {
        trace = [];
        await (await fetch(base + path, { headers })).text();
        console.log(trace.map((q) => `    ${q}`).join('\n'));
        trace = null;
      }
      times.sort((a, b) => a - b);
      console.log(
        `${label.padEnd(44)} p50 ${pct(times, 50).toFixed(1)} ms  p95 ${pct(times, 95).toFixed(1)} ms  max ${times[times.length - 1].toFixed(1)} ms  SQL/page ${perPage.toFixed(1)}`,
      );
    };
    await run(
      'JSON  open, priority high+critical, 50 rows',
      '/api/v1/interventions?status=open,assigned,in_progress,waiting&priority=critical,high&limit=50',
      (b) => {
        if ((JSON.parse(b) as { items: unknown[] }).items.length !== 50)
          throw new Error('expected 50 rows');
      },
    );
    await run(
      'JSON  assignee=unassigned, sort=due, 50 rows',
      '/api/v1/interventions?assignee=unassigned&limit=50',
      () => {},
    );
    await run('HTML  /interventions?priority=high (page)', '/interventions?priority=high', (b) => {
      if ((b.match(/<tr>/g) ?? []).length < 50) throw new Error('expected 50 rows on the page');
    });
    await run(
      'HTML  /interventions?slaState=breached',
      '/interventions?slaState=breached',
      () => {},
    );

    // A saved SLA policy recomputes every open intervention, in batches with a fixed number of statements.
    const open = Number(
      (
        await ds.query(
          `SELECT count(*)::int AS n FROM interventions WHERE status IN ('open', 'assigned', 'in_progress', 'waiting')`,
        )
      )[0].n,
    );
    const before = queries;
    // The recompute shares the event loop with every request: its longest stall is what they wait.
    const stalls = monitorEventLoopDelay({ resolution: 10 });
    stalls.enable();
    const started = Date.now();
    const recomputed = await app.get(InterventionsService).recomputeOpen();
    stalls.disable();
    console.log(
      `SLA policy change: recomputed ${recomputed} of ${open} open interventions in ${((Date.now() - started) / 1000).toFixed(1)} s, ${queries - before} SQL statements (batches of ${RECOMPUTE_BATCH}); event loop meanwhile: delay p99 ${(stalls.percentile(99) / 1e6).toFixed(0)} ms, max ${(stalls.max / 1e6).toFixed(0)} ms`,
    );
  } finally {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
    if (!process.env.BENCH_KEEP) await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
