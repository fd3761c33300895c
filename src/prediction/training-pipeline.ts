import { SUBJECT_FAMILIES } from '../tutoring/tutoring.constants';
import {
  CHURN_FEATURES,
  FEATURE_NAMES,
  FEATURES_SQL,
  FeatureDefinition,
  featureParams,
  PackedRow,
  fillMissing,
  toPackedRows,
} from './churn-features';
import { CHURN_LABELS_SQL, GAP_DAYS, toLabels } from './churn-labels';
import {
  FIRST_SESSION_FEATURE_NAMES,
  FIRST_SESSION_FEATURES,
  FIRST_SESSION_SQL,
} from './first-session-features';
import { fitLogistic, LogisticArtifact, predictLogistic } from './logistic-model';
import { splitMetrics, SplitMetrics } from './model-metrics';

/** Runs one SQL statement and returns its rows (pg Client in the child, DataSource in-process). */
export type Query = (sql: string, params: unknown[]) => Promise<Record<string, unknown>[]>;

export const CHURN_WINDOWS = [1, 7, 30, 90] as const;
export type ChurnWindow = (typeof CHURN_WINDOWS)[number];
/** A model is trained only with at least this many positives in its training split. */
export const MIN_TRAINING_POSITIVES = 10;
/** Days of history a tutor needs before an as-of date counts as a training example. */
export const MIN_HISTORY_DAYS = 30;

const DAY = 86_400_000;
export const isoDay = (d: Date) => d.toISOString().slice(0, 10);
export const addDays = (day: string, n: number) =>
  isoDay(new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY));

export interface TrainingOptions {
  /** Exclusive end of the data used: labels and features only see what happened before it. */
  horizon: string;
  /** Days of history read (default 120). */
  lookbackDays?: number;
  /** Days between as-of dates (default 1). */
  stepDays?: number;
  progress?: (stage: string, percent: number) => Promise<void> | void;
}

export interface CandidateModel {
  kind: 'churn' | 'first_session';
  windowDays: number;
  trainedFrom: string;
  trainedTo: string;
  features: string[];
  artifact: LogisticArtifact;
  metrics: {
    train: SplitMetrics;
    validation: SplitMetrics;
    test: SplitMetrics;
    split: { train: string[]; validation: string[]; test: string[] };
    trainingMs: number;
  };
  /** Validation rows, so the registry can score the active model on the same split. */
  validation: { rows: number[][]; labels: number[] };
}

export interface SkippedModel {
  kind: 'churn' | 'first_session';
  windowDays: number;
  reason: string;
}

export interface ChurnDataset {
  features: PackedRow[];
  churnDay: Map<string, string | null>;
  asOfDates: string[];
  horizon: string;
}

/** Labels at the horizon and features at every as-of date, set-based. */
export async function loadChurnDataset(q: Query, o: TrainingOptions): Promise<ChurnDataset> {
  const lookback = o.lookbackDays ?? 120;
  const step = o.stepDays ?? 1;
  const [{ first }] = await q(
    `SELECT min(scheduled_start)::date::text AS first FROM sessions
     WHERE scheduled_start >= $1::date - $2::int AND scheduled_start < $1::date`,
    [o.horizon, lookback],
  );
  if (!first) return { features: [], churnDay: new Map(), asOfDates: [], horizon: o.horizon };
  const labels = toLabels(
    (await q(CHURN_LABELS_SQL, [o.horizon, null])) as Parameters<typeof toLabels>[0],
  );
  const churnDay = new Map(labels.map((l) => [l.tutorId, l.churnDay]));
  const last = addDays(o.horizon, -(1 + GAP_DAYS + 1));
  const asOfDates: string[] = [];
  for (let d = addDays(String(first), MIN_HISTORY_DAYS); d <= last; d = addDays(d, step)) {
    asOfDates.push(d);
  }
  const features: PackedRow[] = [];
  const chunk = 8;
  for (let i = 0; i < asOfDates.length; i += chunk) {
    features.push(
      ...toPackedRows(await q(FEATURES_SQL, featureParams(asOfDates.slice(i, i + chunk), null))),
    );
    await o.progress?.(
      `Churn features: ${Math.min(i + chunk, asOfDates.length)} of ${asOfDates.length} dates`,
      5 + Math.round((45 * Math.min(i + chunk, asOfDates.length)) / asOfDates.length),
    );
  }
  return { features, churnDay, asOfDates, horizon: o.horizon };
}

/** 70/15/15 by as-of date: the earliest dates train, the latest test. */
export function temporalSplit(dates: string[]): {
  train: string[];
  validation: string[];
  test: string[];
} {
  const sorted = [...new Set(dates)].sort();
  const a = Math.floor(sorted.length * 0.7);
  const b = Math.floor(sorted.length * 0.85);
  return { train: sorted.slice(0, a), validation: sorted.slice(a, b), test: sorted.slice(b) };
}

export function medians(rows: Float64Array[], definitions: readonly FeatureDefinition[]) {
  const out: Record<string, number> = {};
  definitions.forEach((f, j) => {
    if (f.fill !== 'median') return;
    const values = rows
      .map((r) => r[j])
      .filter((v) => Number.isFinite(v))
      .sort((x, y) => x - y);
    out[f.name] = values.length ? values[Math.floor(values.length / 2)] : 0;
  });
  return out;
}

/** A packed row with its missing values filled (zero or the median). */
export function filledVector(
  values: Float64Array,
  definitions: readonly FeatureDefinition[],
  fill: Record<string, number>,
): number[] {
  return definitions.map((d, j) => {
    const v = values[j];
    if (Number.isFinite(v)) return v;
    return d.fill === 'median' ? (fill[d.name] ?? 0) : 0;
  });
}

export interface Example {
  asOf: string;
  values: Float64Array;
  label: number;
}

/** Examples of one window: label 1 when the tutor churns within (asOf, asOf + window]. */
export function churnExamples(dataset: ChurnDataset, window: number) {
  const lastAsOf = addDays(dataset.horizon, -(window + GAP_DAYS + 1));
  const examples: Example[] = [];
  for (const row of dataset.features) {
    if (row.as_of > lastAsOf) continue;
    const churn = dataset.churnDay.get(row.tutor_id) ?? null;
    if (churn !== null && churn <= row.as_of) continue;
    const label = churn !== null && churn <= addDays(row.as_of, window) ? 1 : 0;
    examples.push({ asOf: row.as_of, values: row.values, label });
  }
  return examples;
}

function trainOne(
  kind: 'churn' | 'first_session',
  windowDays: number,
  definitions: readonly FeatureDefinition[],
  examples: Example[],
): CandidateModel | SkippedModel {
  const split = temporalSplit(examples.map((e) => e.asOf));
  const inSplit = (dates: string[]) => {
    const set = new Set(dates);
    return examples.filter((e) => set.has(e.asOf));
  };
  const train = inSplit(split.train);
  const validation = inSplit(split.validation);
  const test = inSplit(split.test);
  const positives = train.filter((e) => e.label === 1).length;
  if (positives < MIN_TRAINING_POSITIVES || train.length - positives < MIN_TRAINING_POSITIVES) {
    return {
      kind,
      windowDays,
      reason: `not enough history: ${positives} positive and ${train.length - positives} negative training examples (need ${MIN_TRAINING_POSITIVES} of each)`,
    };
  }
  const names = definitions.map((d) => d.name);
  const fill = medians(
    train.map((e) => e.values),
    definitions,
  );
  const vector = (values: Float64Array) => filledVector(values, definitions, fill);
  const started = Date.now();
  const artifact = fitLogistic(
    names,
    train.map((e) => vector(e.values)),
    train.map((e) => e.label),
    fill,
  );
  const trainingMs = Date.now() - started;
  const evaluate = (rows: typeof train) =>
    splitMetrics(
      rows.map((e) => predictLogistic(artifact, vector(e.values))),
      rows.map((e) => e.label),
    );
  return {
    kind,
    windowDays,
    trainedFrom: split.train[0],
    trainedTo: split.train[split.train.length - 1],
    features: names,
    artifact,
    metrics: {
      train: evaluate(train),
      validation: evaluate(validation),
      test: evaluate(test),
      split,
      trainingMs,
    },
    validation: {
      rows: validation.map((e) => vector(e.values)),
      labels: validation.map((e) => e.label),
    },
  };
}

export function trainChurnModels(dataset: ChurnDataset): (CandidateModel | SkippedModel)[] {
  return CHURN_WINDOWS.map((w) => trainOne('churn', w, CHURN_FEATURES, churnExamples(dataset, w)));
}

export const SUBJECT_PARAMS = [
  [...SUBJECT_FAMILIES.STEM],
  [...SUBJECT_FAMILIES.Language],
  [...SUBJECT_FAMILIES.TestPrep],
];

export function firstSessionValues(row: Record<string, unknown>): Record<string, number | null> {
  return Object.fromEntries(
    FIRST_SESSION_FEATURE_NAMES.map((n) => [n, row[n] === null ? null : Number(row[n])]),
  );
}

/** The first-session model on first sessions with a known outcome in the lookback period. */
export async function trainFirstSessionModel(
  q: Query,
  o: TrainingOptions,
  maxRows = 60_000,
): Promise<CandidateModel | SkippedModel> {
  const from = addDays(o.horizon, -(o.lookbackDays ?? 120));
  // The latest sessions with a known outcome, newest first: oldest first for the split.
  const rows = toPackedRows(
    await q(FIRST_SESSION_SQL, [from, o.horizon, null, ...SUBJECT_PARAMS, maxRows]),
    [...FIRST_SESSION_FEATURE_NAMES, 'failed'],
  ).reverse();
  const examples: Example[] = rows.map((r) => ({
    asOf: r.as_of,
    values: r.values.subarray(0, FIRST_SESSION_FEATURE_NAMES.length),
    label: r.values[FIRST_SESSION_FEATURE_NAMES.length],
  }));
  return trainOne('first_session', 0, FIRST_SESSION_FEATURES, examples);
}

export { FEATURE_NAMES, fillMissing };
export type { FeatureDefinition };
