/**
 * npm run bench:models
 *
 * Model quality and speed on synthetic data (the generator's parameters are fixed by the
 * foundation issue; nothing here tunes them):
 *  1. Seeds (once; reused when present) database A: 1,000 tutors × 90 days, seed 42, and
 *     database B: 500 tutors × 90 days, seed 7, with `npm run seed`.
 *  2. Trains every model on A exactly as production does: the training child process with
 *     its capped heap (TRAINING_MAX_HEAP_MB, default 256), which prints its peak RSS.
 *  3. Prints, per churn window, AUC, Brier, top-decile precision (and the ceiling it can
 *     reach: positives ÷ a tenth of the rows) on A's test split (the latest 15% of as-of
 *     dates) and on B (another seed), plus the 30-day calibration table; the first-session
 *     model's AUC on A's held-out test split and on every first session of B.
 *  4. Compares the candidate libraries on A's 30-day training split (ml-logistic-regression,
 *     ml-xgboost, and our L2 Newton logistic regression on ml-matrix): AUC and fit time.
 *  5. Scoring speed: database C, BENCH_SCORE_TUTORS (10,000) tutors × 90 days of set-based
 *     synthetic volume (about 11 million sessions), and the real
 *     ChurnScoringService.score(null) with the trained 30-day model, timed.
 *
 *   BENCH_ADMIN_URL     server to create the databases on (default postgres://postgres@127.0.0.1:5432/test)
 *   BENCH_SCORE_TUTORS  tutors to score (default 10000)
 *   BENCH_SKIP          comma-separated: libraries, scoring
 */
import 'dotenv/config';
import { execFileSync, fork } from 'node:child_process';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { Clock } from '../src/common/clock';
import { dataSourceOptions } from '../src/database/data-source-options';
import { runMigrationsLocked } from '../src/database/migrate';
import { ChurnScoringService } from '../src/prediction/churn-scoring.service';
import { CHURN_FEATURES, fillMissing } from '../src/prediction/churn-features';
import {
  FIRST_SESSION_SQL,
  FIRST_SESSION_FEATURES,
} from '../src/prediction/first-session-features';
import { fitLogistic, predictLogistic } from '../src/prediction/logistic-model';
import { splitMetrics, auc } from '../src/prediction/model-metrics';
import { ModelRegistryService } from '../src/prediction/model-registry.service';
import type { ChildMessage } from '../src/prediction/training-child';
import {
  CandidateModel,
  SUBJECT_PARAMS,
  SkippedModel,
  addDays,
  churnExamples,
  filledVector,
  firstSessionValues,
  loadChurnDataset,
  medians,
  temporalSplit,
  type Query,
} from '../src/prediction/training-pipeline';
import { OutboxService } from '../src/workers/outbox.service';
import { loadBigDataset } from './support/big-dataset';

const ADMIN = process.env.BENCH_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SCORE_TUTORS = Number(process.env.BENCH_SCORE_TUTORS ?? 10_000);
const SKIP = new Set((process.env.BENCH_SKIP ?? '').split(',').map((s) => s.trim()));
const HEAP = Number(process.env.TRAINING_MAX_HEAP_MB ?? 256);
const urlOf = (db: string) => {
  const u = new URL(ADMIN);
  u.pathname = `/${db}`;
  return u.toString();
};
const f3 = (v: number | null | undefined) =>
  v === null || v === undefined ? '   —  ' : v.toFixed(3);

async function ensureSeeded(db: string, tutors: number, seed: number): Promise<void> {
  const admin = new Client({ connectionString: ADMIN });
  await admin.connect();
  const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [db]);
  if (!exists.rowCount) await admin.query(`CREATE DATABASE ${db}`);
  await admin.end();
  const c = new Client({ connectionString: urlOf(db) });
  await c.connect();
  const has = await c
    .query('SELECT count(*)::int AS n FROM tutors')
    .then((r) => r.rows[0].n as number)
    .catch(() => 0);
  await c.end();
  if (has >= tutors) return;
  const started = Date.now();
  console.log(`seeding ${db}: ${tutors} tutors × 90 days, seed ${seed} …`);
  execFileSync(
    'npm',
    [
      'run',
      '-s',
      'seed',
      '--',
      '--tutors',
      String(tutors),
      '--days',
      '90',
      '--seed',
      String(seed),
      '--no-progress',
    ],
    { env: { ...process.env, DATABASE_URL: urlOf(db) }, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  console.log(`  seeded in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/** The production training path: the child process with its capped heap. */
function trainInChild(databaseUrl: string, horizon: string) {
  return new Promise<{
    candidates: (CandidateModel | SkippedModel)[];
    peakRssMb: number;
    ms: number;
  }>((resolve, reject) => {
    const child = fork(join(__dirname, '../src/prediction/training-child.ts'), [], {
      execArgv: [`--max-old-space-size=${HEAP}`, '-r', 'ts-node/register/transpile-only'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.on('message', (m: ChildMessage) => {
      if (m.type === 'result') resolve(m as never);
      if (m.type === 'error') reject(new Error(m.message));
    });
    child.on('exit', (code) => code !== 0 && reject(new Error(`training child exited ${code}`)));
    child.send({ databaseUrl, horizon, lookbackDays: 90 });
  });
}

async function query(url: string): Promise<{ q: Query; end: () => Promise<void> }> {
  const c = new Client({ connectionString: url });
  await c.connect();
  return { q: async (s, p) => (await c.query(s, p)).rows, end: () => c.end() };
}

async function horizonOf(q: Query): Promise<string> {
  const [{ last }] = await q(
    `SELECT max(scheduled_start)::date::text AS last FROM sessions WHERE status <> 'scheduled'`,
    [],
  );
  return addDays(String(last), 1);
}

function ceiling(rows: number, positives: number) {
  return Math.min(1, positives / Math.max(1, Math.floor(rows / 10)));
}

async function main() {
  await ensureSeeded('bench_models_a', 1000, 42);
  await ensureSeeded('bench_models_b', 500, 7);
  const a = await query(urlOf('bench_models_a'));
  const b = await query(urlOf('bench_models_b'));
  const horizonA = await horizonOf(a.q);
  const horizonB = await horizonOf(b.q);

  console.log(
    `\ntraining on A (seed 42, 1,000 tutors, data to ${horizonA}) in the child process, heap cap ${HEAP} MB …`,
  );
  const trained = await trainInChild(urlOf('bench_models_a'), horizonA);
  console.log(
    `training: ${(trained.ms / 1000).toFixed(1)} s, peak RSS of the training process ${trained.peakRssMb} MB`,
  );

  const datasetB = await loadChurnDataset(b.q, { horizon: horizonB, lookbackDays: 90 });
  console.log(
    "\nchurn models (test = A's latest 15% of as-of dates; B = seed 7, every usable as-of date)",
  );
  console.log(
    'window | train pos | A test AUC  Brier  top10% (ceiling) | B AUC  Brier  top10% (ceiling) | fit ms',
  );
  let thirty: CandidateModel | null = null;
  for (const c of trained.candidates.filter((c) => c.kind === 'churn')) {
    if ('reason' in c) {
      console.log(`${String(c.windowDays).padStart(4)}d  | not trained: ${c.reason}`);
      continue;
    }
    if (c.windowDays === 30) thirty = c;
    const examples = churnExamples(datasetB, c.windowDays);
    const p = examples.map((e) =>
      predictLogistic(c.artifact, filledVector(e.values, CHURN_FEATURES, c.artifact.medians)),
    );
    const y = examples.map((e) => e.label);
    const mb = splitMetrics(p, y);
    const t = c.metrics.test;
    console.log(
      `${String(c.windowDays).padStart(4)}d  | ${String(c.metrics.train.positives).padStart(9)} | ` +
        `${f3(t.auc)}  ${f3(t.brier)}  ${f3(t.topDecilePrecision)} (${f3(ceiling(t.rows, t.positives))}) n=${t.rows}/${t.positives} | ` +
        `${f3(mb.auc)}  ${f3(mb.brier)}  ${f3(mb.topDecilePrecision)} (${f3(ceiling(mb.rows, mb.positives))}) n=${mb.rows}/${mb.positives} | ${c.metrics.trainingMs}`,
    );
  }
  if (thirty) {
    console.log(
      "\n30-day calibration on A's test split (predicted bin: rows, mean predicted, observed)",
    );
    for (const bin of thirty.metrics.test.calibration) {
      console.log(
        `  ${bin.from.toFixed(1)}–${bin.to.toFixed(1)}: ${bin.count}, ${bin.meanPredicted}, ${bin.observedRate}`,
      );
    }
  }

  const first = trained.candidates.find((c) => c.kind === 'first_session');
  if (first && !('reason' in first)) {
    const rows = (
      await b.q(FIRST_SESSION_SQL, [
        addDays(horizonB, -90),
        horizonB,
        null,
        ...SUBJECT_PARAMS,
        null,
      ])
    ).filter((r) => r.failed !== null);
    const p = rows.map((r) =>
      predictLogistic(
        first.artifact,
        fillMissing(firstSessionValues(r), first.artifact.medians, FIRST_SESSION_FEATURES),
      ),
    );
    const y = rows.map((r) => Number(r.failed));
    console.log(
      `\nfirst-session model: A test AUC ${f3(first.metrics.test.auc)} on ${first.metrics.test.rows} held-out first sessions ` +
        `(Brier ${f3(first.metrics.test.brier)}); B AUC ${f3(auc(p, y))} on ${rows.length} first sessions`,
    );
  } else if (first) console.log(`\nfirst-session model not trained: ${first.reason}`);

  if (!SKIP.has('libraries')) await compareLibraries(a.q, horizonA);
  await a.end();
  await b.end();
  if (!SKIP.has('scoring') && thirty) await scoringSpeed(thirty);
}

/** The candidate libraries on A's 30-day training split, judged on its validation split. */
async function compareLibraries(q: Query, horizon: string) {
  const dataset = await loadChurnDataset(q, { horizon, lookbackDays: 90 });
  const examples = churnExamples(dataset, 30);
  const split = temporalSplit(examples.map((e) => e.asOf));
  const train = examples.filter((e) => split.train.includes(e.asOf));
  const test = examples.filter(
    (e) => split.validation.includes(e.asOf) || split.test.includes(e.asOf),
  );
  const fill = medians(
    train.map((e) => e.values),
    CHURN_FEATURES,
  );
  const vec = (v: Float64Array) => filledVector(v, CHURN_FEATURES, fill);
  const X = train.map((e) => vec(e.values));
  const y = train.map((e) => e.label);
  const Xt = test.map((e) => vec(e.values));
  const yt = test.map((e) => e.label);
  // Standardise for the gradient-descent library (it has no intercept or scaling of its own).
  const means = X[0].map((_, j) => X.reduce((s, r) => s + r[j], 0) / X.length);
  const sds = X[0].map(
    (_, j) => Math.sqrt(X.reduce((s, r) => s + (r[j] - means[j]) ** 2, 0) / X.length) || 1,
  );
  const z = (r: number[]) => [1, ...r.map((v, j) => (v - means[j]) / sds[j])];
  console.log(
    `\nlibraries on A, 30-day window: ${X.length} training rows (${y.filter((v) => v).length} positive), ${Xt.length} held-out rows`,
  );
  console.log('library                                   | held-out AUC | Brier | fit time');

  let started = Date.now();
  const ours = fitLogistic(
    CHURN_FEATURES.map((f) => f.name),
    X,
    y,
    fill,
  );
  let ms = Date.now() - started;
  let p = Xt.map((r) => predictLogistic(ours, r));
  console.log(
    `L2 logistic, Newton (ml-matrix solve)      | ${f3(auc(p, yt))}        | ${f3(splitMetrics(p, yt).brier)} | ${ms} ms`,
  );

  const { Matrix } = await import('ml-matrix');
  const LogisticRegression = (await import('ml-logistic-regression')).default as unknown as new (
    o: object,
  ) => {
    train(x: unknown, y: unknown): void;
    classifiers: { testScores(x: unknown): number[] }[];
  };
  started = Date.now();
  const lr = new LogisticRegression({ numSteps: 2000, learningRate: 5e-5 });
  lr.train(new Matrix(X.map(z)), Matrix.columnVector(y));
  ms = Date.now() - started;
  // One-vs-all: classifier 1 scores "not class 1" for class index 1; take class 1's complement.
  const scores = lr.classifiers[1].testScores(new Matrix(Xt.map(z)));
  p = scores.map((s) => 1 - s);
  console.log(
    `ml-logistic-regression (2,000 GD steps)   | ${f3(auc(p, yt))}        | ${f3(splitMetrics(p, yt).brier)} | ${ms} ms`,
  );

  try {
    const XGBoost = (await (
      await import('ml-xgboost')
    ).default) as unknown as new (o: object) => {
      train(x: number[][], y: number[]): void;
      predict(x: number[][]): number[];
    };
    started = Date.now();
    const xgb = new XGBoost({
      booster: 'gbtree',
      objective: 'binary:logistic',
      max_depth: 4,
      eta: 0.1,
      min_child_weight: 1,
      subsample: 0.8,
      colsample_bytree: 0.8,
      silent: 1,
      iterations: 200,
    });
    xgb.train(X, y);
    ms = Date.now() - started;
    p = xgb.predict(Xt);
    console.log(
      `ml-xgboost 1.1.2 (200 trees, depth 4)     | ${f3(auc(p, yt))}        | ${f3(splitMetrics(p, yt).brier)} | ${ms} ms`,
    );
  } catch (error) {
    console.log(`ml-xgboost: failed (${error instanceof Error ? error.message : String(error)})`);
  }
}

/**
 * Database C: BENCH_SCORE_TUTORS tutors × 90 days of set-based synthetic volume (8–16
 * sessions a tutor a day, as bench:pipeline's large batch; reused when present), and the real
 * ChurnScoringService with the 30-day model trained on A. Only volume matters here.
 */
async function scoringSpeed(model: CandidateModel) {
  const admin = new Client({ connectionString: ADMIN });
  await admin.connect();
  const existing = await admin.query(`SELECT 1 FROM pg_database WHERE datname = 'bench_models_c'`);
  let have = 0;
  if (existing.rowCount) {
    const probe = new Client({ connectionString: urlOf('bench_models_c') });
    await probe.connect();
    have = await probe
      .query('SELECT count(*)::int AS n FROM tutors')
      .then((r) => r.rows[0].n as number)
      .catch(() => 0);
    await probe.end();
  }
  if (have < SCORE_TUTORS) {
    await admin.query('DROP DATABASE IF EXISTS bench_models_c WITH (FORCE)');
    await admin.query('CREATE DATABASE bench_models_c');
    const fresh = new DataSource(dataSourceOptions(urlOf('bench_models_c')));
    await fresh.initialize();
    await runMigrationsLocked(fresh);
    await loadBigDataset(fresh, SCORE_TUTORS);
    await fresh.destroy();
  }
  await admin.end();
  const c = new Client({ connectionString: urlOf('bench_models_c') });
  await c.connect();
  const [{ n, sessions }] = (
    await c.query(
      `SELECT (SELECT count(*)::int FROM tutors) AS n, (SELECT count(*)::int FROM sessions) AS sessions`,
    )
  ).rows;
  await c.end();

  const ds = new DataSource(dataSourceOptions(urlOf('bench_models_c')));
  await ds.initialize();
  await runMigrationsLocked(ds);
  const registry = new ModelRegistryService(ds);
  await ds.query(`DELETE FROM prediction_models WHERE version LIKE 'bench-%'`);
  await ds.query(`UPDATE prediction_models SET status = 'retired' WHERE status = 'active'`);
  await ds.query(
    `INSERT INTO prediction_models (version, kind, window_days, status, algorithm, features, trained_from,
       trained_to, metrics, artifact) VALUES ($1, 'churn', 30, 'active', $2, $3, $4, $5, '{}', $6)`,
    [
      `bench-${Date.now()}`,
      model.artifact.algorithm,
      model.features,
      model.trainedFrom,
      model.trainedTo,
      JSON.stringify(model.artifact),
    ],
  );
  await ds.query('TRUNCATE tutor_risk, tutor_risk_scores');
  const scoring = new ChurnScoringService(ds, registry, new OutboxService(), new Clock());
  const result = await scoring.score(null, { emit: 'band-changes' });
  console.log(
    `\nscoring: ${result.scored} tutors (${n} in C, ${sessions.toLocaleString('en')} sessions) in ${(result.ms / 1000).toFixed(1)} s ` +
      `with ${result.modelVersion}; target < 30 s`,
  );
  await ds.destroy();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
