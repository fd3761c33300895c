/**
 * npm run bench:ingest
 *
 * Posts 100,000 sessions through the running app's ingestion API in batches of
 * 5,000 (validation, upsert, numbering and outbox included), then inserts the
 * same rows with plain multi-row INSERTs into a copy of the table, and prints
 * both rates.
 *
 *   BENCH_URL           the running app (default http://localhost:3000)
 *   BENCH_API_KEY       an API key the app accepts (default: first of API_KEYS)
 *   BENCH_DATABASE_URL  the app's database, for the raw-insert baseline (default DATABASE_URL)
 *   BENCH_SESSIONS      how many sessions (default 100000)
 *   BENCH_CONCURRENCY   batches in flight at once (default 2)
 *   BENCH_SHUFFLED      true: send sessions in scrambled time order (every batch renumbers pairs)
 */
import 'dotenv/config';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

const BASE = (process.env.BENCH_URL ?? 'http://localhost:3000').replace(/\/$/, '');
const KEY = process.env.BENCH_API_KEY ?? (process.env.API_KEYS ?? '').split(',')[0]?.trim();
const DB = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL;
const TOTAL = Number(process.env.BENCH_SESSIONS ?? 100_000);
const BATCH = 5000;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 2);
const TUTORS = 250;
const STUDENTS = 3000;
const SUBJECTS = [
  'Algebra',
  'Geometry',
  'Physics',
  'Chemistry',
  'English',
  'Writing',
  'SAT Prep',
  'Spanish',
];

interface BatchResult {
  summary: { created: number; updated: number; unchanged: number; rejected: number };
  results: { errors?: unknown[] }[];
}

async function post(path: string, items: unknown[]): Promise<BatchResult> {
  const res = await fetch(`${BASE}/api/v1/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': KEY! },
    body: JSON.stringify({ items }),
  });
  if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
  const body = (await res.json()) as BatchResult;
  if (body.summary.rejected) {
    const firstBad = body.results.find((r) => r.errors);
    throw new Error(`${path}: ${body.summary.rejected} rejected, e.g. ${JSON.stringify(firstBad)}`);
  }
  return body;
}

function sessions(run: string): Record<string, unknown>[] {
  const now = Date.now();
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < TOTAL; i++) {
    const start = new Date(now - (1 + (i % 85)) * 86_400_000 - (i % 600) * 60_000);
    const noShow = i % 23 === 0;
    const s: Record<string, unknown> = {
      externalId: `${run}-sess-${i}`,
      tutorExternalId: `${run}-tutor-${i % TUTORS}`,
      studentExternalId: `${run}-student-${(i * 7) % STUDENTS}`,
      scheduledStart: start.toISOString(),
      durationMinutes: [30, 45, 60, 90][i % 4],
      subject: SUBJECTS[i % SUBJECTS.length],
      tutorInitiatedReschedule: i % 17 === 0,
    };
    if (noShow) s.status = 'no_show';
    else {
      s.actualStart = new Date(start.getTime() + (i % 5) * 60_000).toISOString();
      s.lateStartMinutes = i % 5;
      s.engagementScore = ((i * 37) % 100) / 100;
      s.learningObjectivesMet = i % 4 !== 0;
      s.technicalIssues = i % 31 === 0;
    }
    out.push(s);
  }
  // An upstream feed reports sessions as they happen: oldest first. (Out-of-order
  // arrival is correct too, but renumbers the pairs it touches; see BENCH_SHUFFLED.)
  if (process.env.BENCH_SHUFFLED !== 'true') {
    out.sort((a, b) => (a.scheduledStart as string).localeCompare(b.scheduledStart as string));
  }
  return out;
}

async function apiPath(run: string, items: Record<string, unknown>[]): Promise<number> {
  const batches: Record<string, unknown>[][] = [];
  for (let i = 0; i < items.length; i += BATCH) batches.push(items.slice(i, i + BATCH));
  const started = process.hrtime.bigint();
  let next = 0;
  let stored = 0;
  const worker = async () => {
    while (next < batches.length) {
      const batch = batches[next++];
      const res = await post('sessions', batch);
      stored += res.summary.created + res.summary.updated;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (stored !== items.length) throw new Error(`stored ${stored} of ${items.length}`);
  console.error(
    `  api: ${items.length} sessions in ${seconds.toFixed(2)} s (${batches.length} batches, ${CONCURRENCY} in flight)`,
  );
  return items.length / seconds;
}

async function rawPath(run: string, items: Record<string, unknown>[]): Promise<number> {
  const db = new Client({ connectionString: DB });
  await db.connect();
  const table = `bench_sessions_${run.replace(/-/g, '_')}`;
  try {
    await db.query(`CREATE TABLE ${table} (LIKE sessions INCLUDING ALL)`);
    const ids = new Map<string, string>();
    for (const t of ['tutors', 'students']) {
      const rows = await db.query(`SELECT id, external_id FROM ${t} WHERE external_id LIKE $1`, [
        `${run}-%`,
      ]);
      for (const r of rows.rows) ids.set(r.external_id, r.id);
    }
    const columns = [
      'external_id',
      'tutor_id',
      'student_id',
      'session_number',
      'scheduled_start',
      'actual_start',
      'duration_minutes',
      'subject',
      'session_type',
      'status',
      'tutor_initiated_reschedule',
      'late_start_minutes',
      'engagement_score',
      'learning_objectives_met',
      'technical_issues',
    ];
    const rows = items.map((s) => [
      s.externalId,
      ids.get(s.tutorExternalId as string),
      ids.get(s.studentExternalId as string),
      1,
      s.scheduledStart,
      s.actualStart ?? null,
      s.durationMinutes,
      s.subject,
      '1-on-1',
      s.status ?? 'completed',
      s.tutorInitiatedReschedule,
      s.lateStartMinutes ?? 0,
      s.engagementScore ?? null,
      s.learningObjectivesMet ?? null,
      s.technicalIssues ?? false,
    ]);
    const perStatement = Math.floor(65535 / columns.length);
    const started = process.hrtime.bigint();
    for (let i = 0; i < rows.length; i += perStatement) {
      const chunk = rows.slice(i, i + perStatement);
      const values = chunk.map(
        (_, r) => `(${columns.map((_, c) => `$${r * columns.length + c + 1}`).join(', ')})`,
      );
      await db.query(
        `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${values.join(', ')}`,
        chunk.flat(),
      );
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    console.error(
      `  raw: ${rows.length} rows in ${seconds.toFixed(2)} s (multi-row INSERT, ${perStatement} rows per statement)`,
    );
    return rows.length / seconds;
  } finally {
    await db.query(`DROP TABLE IF EXISTS ${table}`);
    await db.end();
  }
}

async function main(): Promise<void> {
  if (!KEY) throw new Error('set BENCH_API_KEY (or API_KEYS) to a key the app accepts');
  if (!DB)
    throw new Error(
      'set BENCH_DATABASE_URL (or DATABASE_URL) to the app database, for the raw-insert baseline',
    );
  const health = await fetch(`${BASE}/health/ready`).catch(() => undefined);
  if (!health?.ok)
    throw new Error(`the app at BENCH_URL=${BASE} is not ready; start it first (npm start)`);

  const run = `bench-${randomBytes(3).toString('hex')}`;
  console.error(`setting up ${TUTORS} tutors and ${STUDENTS} students (run ${run})`);
  await post(
    'tutors',
    Array.from({ length: TUTORS }, (_, i) => ({
      externalId: `${run}-tutor-${i}`,
      name: `Bench Tutor ${i}`,
      email: `${run}-tutor-${i}@example.invalid`,
      onboardingDate: '2025-06-01',
      subjects: SUBJECTS,
    })),
  );
  const year = new Date().getUTCFullYear();
  for (let i = 0; i < STUDENTS; i += BATCH) {
    await post(
      'students',
      Array.from({ length: Math.min(BATCH, STUDENTS - i) }, (_, j) => ({
        externalId: `${run}-student-${i + j}`,
        name: `Bench Student ${i + j}`,
        birthYear: year - 14 - ((i + j) % 4),
        birthMonth: 1 + ((i + j) % 12),
      })),
    );
  }
  const items = sessions(run);
  console.error(`posting ${items.length} sessions in batches of ${BATCH}`);
  const ingest = await apiPath(run, items);
  const raw = await rawPath(run, items);
  const rss = Math.round(process.memoryUsage().rss / 1024 / 1024);
  console.error(`  bench client RSS ${rss} MB`);
  console.log(
    `ingest: ${Math.round(ingest)} sessions/s; raw insert: ${Math.round(raw)} rows/s; ratio: ${(ingest / raw).toFixed(2)}`,
  );
}

main().catch((error: unknown) => {
  console.error(`bench:ingest failed: ${(error as Error).message}`);
  process.exit(1);
});
