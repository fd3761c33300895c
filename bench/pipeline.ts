/**
 * npm run bench:pipeline
 *
 * 1. Insight latency, against a running app (ROLE=all, or web + worker):
 *    ingests completed sessions through the API at BENCH_RATE a second (one
 *    POST a second: the API-key write limit is 120 requests a minute) for
 *    BENCH_SECONDS, spread over the tutors already in the app's database (the
 *    demo data: `npm run seed` first, so each recompute reads a tutor's real
 *    90 days) or over 250 tutors it creates. For each session it reads, from
 *    tutor_metrics_triggers in the app's database, the time from stored (the
 *    ingestion transaction, `stored_at`) to the tutor's metrics updated (the
 *    commit of the recompute that included it, `metrics_updated_at`), and
 *    prints `pipeline p50/p95/max ms`, the throughput, and the app's RSS
 *    (sampled every second from /proc; the process is BENCH_PID or the one
 *    listening on BENCH_URL's port).
 *
 * 2. Nightly batch time, on scratch databases created next to the app's
 *    database and dropped afterwards (BENCH_KEEP=1 keeps them):
 *    - 250 tutors × 90 days: the synthetic generator's bulk writer
 *      (SyntheticDataService.load, seed 42; about 290,000 sessions);
 *    - BENCH_BIG_TUTORS (10,000) tutors × 90 days: a set-based SQL generator
 *      (INSERT … SELECT over generate_series, 8–16 sessions per tutor a day,
 *      about 10.8 million sessions, 85% of completed ones with feedback, logins
 *      and message responses), loaded with the secondary indexes dropped and
 *      foreign-key triggers off, then the indexes rebuilt and ANALYZE run.
 *      Session numbers are drawn (about 30% first sessions), not computed per
 *      pair: the batch only reads them.
 *    Each is timed running NightlyEvaluationService.run(), the code the nightly
 *    job runs: one aggregate statement for every tutor and window, then tiers.
 *
 *   BENCH_URL            the running app (default http://localhost:3000)
 *   BENCH_API_KEY        an API key it accepts (default: first of API_KEYS)
 *   BENCH_DATABASE_URL   the app's database (default DATABASE_URL)
 *   BENCH_RATE           sessions a second (default 50)
 *   BENCH_SECONDS        how long to ingest (default 120)
 *   BENCH_BIG_TUTORS     tutors of the large batch (default 10000)
 *   BENCH_SKIP           comma-separated parts to skip: pipeline, small, big
 */
import 'dotenv/config';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { Clock } from '../src/common/clock';
import { loadConfig } from '../src/config/app-config';
import { dataSourceOptions } from '../src/database/data-source-options';
import { runMigrationsLocked } from '../src/database/migrate';
import { NightlyEvaluationService } from '../src/performance/nightly-evaluation.service';
import { FieldCipher } from '../src/security/field-cipher';
import { SyntheticDataService } from '../src/tutoring/synthetic/synthetic-data.service';
import { OutboxService } from '../src/workers/outbox.service';
import { loadBigDataset } from './support/big-dataset';

const BASE = (process.env.BENCH_URL ?? 'http://localhost:3000').replace(/\/$/, '');
const KEY = process.env.BENCH_API_KEY ?? (process.env.API_KEYS ?? '').split(',')[0]?.trim();
const DB = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL;
const RATE = Number(process.env.BENCH_RATE ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 120);
const BIG_TUTORS = Number(process.env.BENCH_BIG_TUTORS ?? 10_000);
const SKIP = new Set((process.env.BENCH_SKIP ?? '').split(',').map((s) => s.trim()));
const KEEP = process.env.BENCH_KEEP === '1';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function post(path: string, items: unknown[]): Promise<{ id?: string }[]> {
  const res = await fetch(`${BASE}/api/v1/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': KEY! },
    body: JSON.stringify({ items }),
  });
  if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
  const body = (await res.json()) as {
    summary: { rejected: number };
    results: { id?: string; errors?: unknown[] }[];
  };
  if (body.summary.rejected) {
    const bad = body.results.find((r) => r.errors);
    throw new Error(`${path}: ${body.summary.rejected} rejected, e.g. ${JSON.stringify(bad)}`);
  }
  return body.results;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

/** The pid listening on BENCH_URL's port (Linux /proc), or BENCH_PID. */
function appPid(): number | null {
  if (process.env.BENCH_PID) return Number(process.env.BENCH_PID);
  try {
    const port = Number(new URL(BASE).port || 80);
    const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
    const inodes = new Set<string>();
    for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
      for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
        const cols = line.trim().split(/\s+/);
        if (cols.length > 9 && cols[1].endsWith(`:${hexPort}`) && cols[3] === '0A')
          inodes.add(cols[9]);
      }
    }
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      try {
        for (const fd of readdirSync(`/proc/${pid}/fd`)) {
          const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
          const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
          if (inode && inodes.has(inode)) return Number(pid);
        }
      } catch {
        // not ours to read
      }
    }
  } catch {
    // no /proc
  }
  return null;
}

function rssMb(pid: number): number | null {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : null;
  } catch {
    return null;
  }
}

async function pipelineBench(): Promise<void> {
  if (!KEY) throw new Error('set BENCH_API_KEY (or API_KEYS) to a key the app accepts');
  if (!DB) throw new Error('set BENCH_DATABASE_URL to the app database, to read the timestamps');
  const db = new Client({ connectionString: DB });
  await db.connect();
  const run = `bench-${randomBytes(3).toString('hex')}`;
  try {
    let tutors = (
      await db.query<{ external_id: string }>(
        `SELECT external_id FROM tutors WHERE status = 'active' ORDER BY external_id LIMIT 250`,
      )
    ).rows.map((r) => r.external_id);
    if (tutors.length < 50) {
      const created = Array.from({ length: 250 }, (_, i) => ({
        externalId: `${run}-tutor-${i}`,
        name: `Bench Tutor ${i}`,
        email: `${run}.tutor.${i}@example.invalid`,
        onboardingDate: '2025-01-15',
        subjects: ['Algebra'],
      }));
      await post('tutors', created);
      tutors = created.map((t) => t.externalId);
    }
    const students = Array.from({ length: 1000 }, (_, i) => ({
      externalId: `${run}-student-${i}`,
      name: `Bench Student ${i}`,
      birthYear: new Date().getUTCFullYear() - 15,
      birthMonth: 6,
    }));
    for (let i = 0; i < students.length; i += 500)
      await post('students', students.slice(i, i + 500));

    const pid = appPid();
    const rss: number[] = [];
    const rssBefore = pid ? rssMb(pid) : null;
    const sampler = setInterval(() => {
      const mb = pid ? rssMb(pid) : null;
      if (mb) rss.push(mb);
    }, 1000);

    console.log(
      `pipeline: ${RATE} sessions/s for ${SECONDS} s over ${tutors.length} tutors (app pid ${pid ?? 'unknown'})`,
    );
    const sessionIds: string[] = [];
    let n = 0;
    const started = Date.now();
    for (let second = 0; second < SECONDS; second++) {
      const due = started + second * 1000;
      if (Date.now() < due) await sleep(due - Date.now());
      const now = Date.now();
      const batch = Array.from({ length: RATE }, () => {
        const i = n++;
        const start = new Date(now - 3_600_000 - (i % 600) * 1000);
        return {
          externalId: `${run}-session-${i}`,
          tutorExternalId: tutors[(i * 7919) % tutors.length],
          studentExternalId: students[i % students.length].externalId,
          scheduledStart: start.toISOString(),
          actualStart: new Date(start.getTime() + (i % 4) * 60_000).toISOString(),
          durationMinutes: 60,
          subject: 'Algebra',
          lateStartMinutes: i % 4,
          engagementScore: ((i * 37) % 100) / 100,
          learningObjectivesMet: i % 5 !== 0,
          tutorInitiatedReschedule: i % 17 === 0,
        };
      });
      const results = await post('sessions', batch);
      for (const r of results) if (r.id) sessionIds.push(r.id);
    }
    const ingestMs = Date.now() - started;

    // Wait for the last metrics updates.
    const deadline = Date.now() + 120_000;
    let rows: { latency: number; stored: Date; updated: Date }[] = [];
    for (;;) {
      rows = (
        await db.query<{ latency: number; stored: Date; updated: Date }>(
          `SELECT extract(epoch FROM (metrics_updated_at - stored_at)) * 1000 AS latency,
                  stored_at AS stored, metrics_updated_at AS updated
           FROM tutor_metrics_triggers
           WHERE record_id = ANY($1::uuid[]) AND event_type = 'session.recorded'
             AND metrics_updated_at IS NOT NULL`,
          [sessionIds],
        )
      ).rows;
      if (rows.length >= sessionIds.length || Date.now() > deadline) break;
      await sleep(1000);
    }
    clearInterval(sampler);
    const rssAfter = pid ? rssMb(pid) : null;

    const latencies = rows.map((r) => Number(r.latency)).sort((a, b) => a - b);
    const first = Math.min(...rows.map((r) => r.stored.getTime()));
    const last = Math.max(...rows.map((r) => r.updated.getTime()));
    console.log(
      `pipeline p50/p95/max ms: ${percentile(latencies, 50).toFixed(0)} / ${percentile(latencies, 95).toFixed(0)} / ${latencies[latencies.length - 1].toFixed(0)}` +
        ` (${rows.length} of ${sessionIds.length} sessions reached the metrics)`,
    );
    console.log(
      `throughput: ${((sessionIds.length / ingestMs) * 1000).toFixed(1)} sessions/s ingested, ` +
        `${((rows.length / (last - first)) * 1000).toFixed(1)} sessions/s through to metrics`,
    );
    const [recomputes] = (
      await db.query<{ n: number }>(
        `SELECT count(DISTINCT (tutor_id, metrics_updated_at))::int AS n FROM tutor_metrics_triggers
         WHERE record_id = ANY($1::uuid[])`,
        [sessionIds],
      )
    ).rows;
    console.log(`recomputes: ${recomputes.n} for ${sessionIds.length} sessions`);
    if (pid) {
      console.log(
        `RSS: ${rssBefore?.toFixed(0)} MB before, peak ${Math.max(...rss).toFixed(0)} MB, ${rssAfter?.toFixed(0)} MB after`,
      );
    } else {
      console.log('RSS: unknown (set BENCH_PID to the app process)');
    }
  } finally {
    await db.end();
  }
}

/** A scratch database on the same server as `base`, migrated. */
async function scratchDatabase(base: string, name: string) {
  const admin = new Client({ connectionString: base });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  const dataSource = await new DataSource(dataSourceOptions(url.toString())).initialize();
  await runMigrationsLocked(dataSource);
  return {
    dataSource,
    async drop() {
      await dataSource.destroy();
      if (!KEEP) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

async function timeNightly(dataSource: DataSource, label: string): Promise<void> {
  const [{ sessions }] = await dataSource.query<{ sessions: number }[]>(
    'SELECT count(*)::int AS sessions FROM sessions',
  );
  const nightly = new NightlyEvaluationService(dataSource, new OutboxService(), new Clock());
  const started = Date.now();
  const summary = await nightly.run();
  console.log(
    `nightly batch ${label} (${sessions.toLocaleString('en')} sessions): ${seconds(Date.now() - started)}` +
      ` — metrics ${seconds(summary.metricsMs)}, ${summary.snapshots.toLocaleString('en')} snapshots,` +
      ` ${summary.rated.toLocaleString('en')} tutors placed in tiers`,
  );
}

async function smallBatch(base: string): Promise<void> {
  const db = await scratchDatabase(base, `tm_bench_${randomBytes(3).toString('hex')}`);
  try {
    const started = Date.now();
    const cipher = new FieldCipher(loadConfig({}));
    const summary = await new SyntheticDataService(db.dataSource, cipher).load({
      tutors: 250,
      days: 90,
      seed: 42,
      nodeEnv: 'development',
    });
    console.log(
      `generated 250 tutors × 90 days with the synthetic bulk writer in ${seconds(Date.now() - started)}`,
    );
    void summary;
    await timeNightly(db.dataSource, '250 tutors × 90 days');
  } finally {
    await db.drop();
  }
}

async function bigBatch(base: string): Promise<void> {
  const db = await scratchDatabase(base, `tm_bench_${randomBytes(3).toString('hex')}`);
  try {
    await loadBigDataset(db.dataSource, BIG_TUTORS);
    await timeNightly(db.dataSource, `${BIG_TUTORS.toLocaleString('en')} tutors × 90 days`);
  } finally {
    await db.drop();
  }
}

async function main(): Promise<void> {
  if (!SKIP.has('pipeline')) await pipelineBench();
  if (!DB)
    throw new Error('set BENCH_DATABASE_URL (or DATABASE_URL): scratch databases go next to it');
  const base = new URL(DB);
  base.pathname = '/postgres';
  if (!SKIP.has('small')) await smallBatch(base.toString());
  if (!SKIP.has('big')) await bigBatch(base.toString());
}

main().catch((error: unknown) => {
  console.error('bench:pipeline failed:', error);
  process.exit(1);
});
