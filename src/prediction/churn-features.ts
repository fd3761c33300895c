/**
 * Churn features per tutor as of a date (DOMAIN.md §4.2 minus the archetype one-hots, which
 * leaked the label in the earlier system), computed set-based in one SQL statement for any
 * number of tutors and as-of dates. Only data before the as-of date is read: sessions
 * scheduled before it, feedback submitted before it, events that occurred before it.
 */

export const FEATURE_WINDOWS = [7, 14, 30, 90] as const;

/** How a missing value is filled: 0 (rates, counts, declines) or the training median (averages). */
export type FillRule = 'zero' | 'median';

export interface FeatureDefinition {
  name: string;
  label: string;
  fill: FillRule;
}

const perWindow = (w: number): FeatureDefinition[] => [
  { name: `sessions_${w}d`, label: `Sessions scheduled in ${w} days`, fill: 'zero' },
  {
    name: `completed_per_week_${w}d`,
    label: `Completed sessions a week (${w} days)`,
    fill: 'zero',
  },
  { name: `no_show_rate_${w}d`, label: `No-show rate (${w} days)`, fill: 'zero' },
  { name: `reschedule_rate_${w}d`, label: `Reschedule rate (${w} days)`, fill: 'zero' },
  { name: `avg_engagement_${w}d`, label: `Session engagement (${w} days)`, fill: 'median' },
  { name: `avg_rating_${w}d`, label: `Student rating (${w} days)`, fill: 'median' },
  {
    name: `objectives_met_rate_${w}d`,
    label: `Learning objectives met (${w} days)`,
    fill: 'median',
  },
  { name: `logins_per_week_${w}d`, label: `Logins a week (${w} days)`, fill: 'zero' },
  { name: `avg_late_minutes_${w}d`, label: `Minutes late on average (${w} days)`, fill: 'zero' },
];

export const CHURN_FEATURES: readonly FeatureDefinition[] = [
  ...FEATURE_WINDOWS.flatMap(perWindow),
  { name: 'first_session_count_30d', label: 'First sessions in 30 days', fill: 'zero' },
  {
    name: 'first_session_success_rate_30d',
    label: 'First sessions rated 4 or 5 (30 days)',
    fill: 'median',
  },
  {
    name: 'engagement_volatility_30d',
    label: 'Session engagement volatility (30 days)',
    fill: 'zero',
  },
  { name: 'response_minutes_30d', label: 'Minutes to answer messages (30 days)', fill: 'median' },
  { name: 'days_since_last_session', label: 'Days since the last session', fill: 'zero' },
  { name: 'days_since_last_login', label: 'Days since the last login', fill: 'zero' },
  { name: 'tenure_days', label: 'Days since onboarding', fill: 'zero' },
  { name: 'baseline_sessions_per_week', label: 'Baseline sessions a week', fill: 'median' },
  {
    name: 'activity_vs_baseline_14d',
    label: 'Sessions versus baseline (14 days)',
    fill: 'median',
  },
  {
    name: 'activity_vs_baseline_30d',
    label: 'Sessions versus baseline (30 days)',
    fill: 'median',
  },
  {
    name: 'engagement_decline_7d_vs_30d',
    label: 'Engagement drop, last week versus month',
    fill: 'zero',
  },
  {
    name: 'engagement_decline_30d_vs_90d',
    label: 'Engagement drop, last month versus quarter',
    fill: 'zero',
  },
  { name: 'rating_decline_7d_vs_30d', label: 'Rating drop, last week versus month', fill: 'zero' },
  {
    name: 'volume_decline_7d_vs_30d',
    label: 'Session volume drop, last week versus month',
    fill: 'zero',
  },
  {
    name: 'volume_decline_14d_vs_90d',
    label: 'Session volume drop, last two weeks versus quarter',
    fill: 'zero',
  },
  {
    name: 'volume_decline_30d_vs_90d',
    label: 'Session volume drop, last month versus quarter',
    fill: 'zero',
  },
  {
    name: 'reschedule_increase_7d_vs_30d',
    label: 'Rescheduling rise, last week versus month',
    fill: 'zero',
  },
  {
    name: 'no_show_increase_7d_vs_30d',
    label: 'No-show rise, last week versus month',
    fill: 'zero',
  },
  {
    name: 'login_decline_14d_vs_90d',
    label: 'Login frequency drop, last two weeks versus quarter',
    fill: 'zero',
  },
  {
    name: 'reschedules_7d',
    label: 'Tutor-initiated reschedules in 7 days',
    fill: 'zero',
  },
  { name: 'no_shows_14d', label: 'No-shows in 14 days', fill: 'zero' },
  {
    name: 'poor_first_sessions_30d',
    label: 'First sessions rated below 3 or started 10+ minutes late (30 days)',
    fill: 'zero',
  },
];

export const FEATURE_NAMES: readonly string[] = CHURN_FEATURES.map((f) => f.name);
export const FEATURE_LABELS: Readonly<Record<string, string>> = Object.fromEntries(
  CHURN_FEATURES.map((f) => [f.name, f.label]),
);

/** Raw feature values of one tutor as of one date (null: no data to compute it from). */
export interface FeatureRow {
  tutor_id: string;
  as_of: string;
  values: Record<string, number | null>;
}

const ratio = (num: string, den: string) => `(${num})::float8 / nullif(${den}, 0)`;

function windowColumns(w: number): string {
  const within = `d.day >= a.as_of - ${w}`;
  const f = (expr: string) => `sum(${expr}) FILTER (WHERE ${within})`;
  return [
    `coalesce(${f('d.n')}, 0) AS sessions_${w}d`,
    `coalesce(${f('d.done')}, 0)::float8 * 7 / ${w} AS completed_per_week_${w}d`,
    `${ratio(f('d.no_show'), f('d.n'))} AS no_show_rate_${w}d`,
    `${ratio(f('d.resched'), f('d.n'))} AS reschedule_rate_${w}d`,
    `${ratio(f('d.eng_sum'), f('d.eng_n'))} AS avg_engagement_${w}d`,
    `${ratio(f('d.rating_sum'), f('d.rating_n'))} AS avg_rating_${w}d`,
    `${ratio(f('d.obj_met'), f('d.obj_n'))} AS objectives_met_rate_${w}d`,
    `coalesce(${f('d.logins')}, 0)::float8 * 7 / ${w} AS logins_per_week_${w}d`,
    `${ratio(f('d.late_sum'), f('d.done'))} AS avg_late_minutes_${w}d`,
  ].join(',\n      ');
}

/**
 * The grain of the first aggregation. `day`: one row per tutor and day, for any number of as-of
 * dates (training). `window`: one as-of date only (`$4`, scoring now); one row per tutor and
 * window band (the last 7 days, 7–14, 14–30, 30–90), each dated on a day inside its band, so
 * the window filters below give the same sums from about 4 rows per tutor instead of 90.
 */
export type FeatureGrain = 'day' | 'window';

function grainOf(ts: string, grain: FeatureGrain): string {
  if (grain === 'day') return `${ts}::date`;
  return `CASE WHEN ${ts} >= $4::date - 7 THEN $4::date - 1 WHEN ${ts} >= $4::date - 14 THEN $4::date - 8
    WHEN ${ts} >= $4::date - 30 THEN $4::date - 15 ELSE $4::date - 31 END`;
}

/**
 * One statement: `$1` the as-of dates (date[]), `$2` the tutor ids (uuid[]) or null for every
 * tutor, `$3`/`$4` the range read (featureParams; given as values, not derived in SQL, so the
 * planner sees them and scans or looks up accordingly). Tutors onboarded on or after an as-of
 * date, and tutors who objected to profiling, get no row. Per-table aggregates at the grain
 * first (one pass over each table), then the windows.
 */
export function featuresSql(grain: FeatureGrain): string {
  return `
WITH asof AS (SELECT DISTINCT unnest($1::date[]) AS as_of),
t AS (
  SELECT id, onboarding_date, baseline_sessions_per_week FROM tutors
  WHERE ($2::uuid[] IS NULL OR id = ANY($2::uuid[])) AND NOT profiling_objection
),
sd AS (
  SELECT s.tutor_id, ${grainOf('s.scheduled_start', grain)} AS day,
    count(*) AS n,
    count(*) FILTER (WHERE s.status = 'completed') AS done,
    count(*) FILTER (WHERE s.status = 'no_show') AS no_show,
    count(*) FILTER (WHERE s.tutor_initiated_reschedule) AS resched,
    sum(s.engagement_score::float8) AS eng_sum,
    sum(s.engagement_score::float8 * s.engagement_score) AS eng_sq,
    count(s.engagement_score) AS eng_n,
    count(*) FILTER (WHERE s.learning_objectives_met) AS obj_met,
    count(s.learning_objectives_met) AS obj_n,
    sum(s.late_start_minutes) FILTER (WHERE s.status = 'completed') AS late_sum,
    count(*) FILTER (WHERE s.session_number = 1 AND s.status <> 'scheduled') AS first_n,
    count(*) FILTER (WHERE s.session_number = 1 AND s.status = 'completed' AND s.late_start_minutes >= 10)
      AS first_late,
    max(s.scheduled_start::date) FILTER (WHERE s.status = 'completed') AS last_done_day
  FROM sessions s
  WHERE s.scheduled_start >= $3::date AND s.scheduled_start < $4::date
    AND s.status <> 'scheduled' AND ($2::uuid[] IS NULL OR s.tutor_id = ANY($2::uuid[]))
  GROUP BY 1, 2
),
fd AS (
  SELECT f.tutor_id, ${grainOf('f.submitted_at', grain)} AS day,
    sum(f.overall_rating) AS rating_sum, count(*) AS rating_n,
    count(first.id) AS first_rated,
    count(first.id) FILTER (WHERE f.overall_rating >= 4) AS first_good,
    count(first.id) FILTER (WHERE f.overall_rating < 3) AS first_poor
  FROM student_feedback f
  LEFT JOIN (SELECT id FROM sessions WHERE session_number = 1) first ON first.id = f.session_id
  WHERE f.submitted_at >= $3::date AND f.submitted_at < $4::date
    AND ($2::uuid[] IS NULL OR f.tutor_id = ANY($2::uuid[]))
  GROUP BY 1, 2
),
ed AS (
  SELECT e.tutor_id, ${grainOf('e.occurred_at', grain)} AS day,
    count(*) FILTER (WHERE e.event_type = 'login') AS logins,
    sum(e.response_minutes::float8) FILTER (WHERE e.event_type = 'message_response') AS resp_sum,
    count(e.response_minutes) FILTER (WHERE e.event_type = 'message_response') AS resp_n,
    max(e.occurred_at::date) FILTER (WHERE e.event_type = 'login') AS last_login_day
  FROM tutor_events e
  WHERE e.occurred_at >= $3::date AND e.occurred_at < $4::date
    AND e.event_type IN ('login', 'message_response')
    AND ($2::uuid[] IS NULL OR e.tutor_id = ANY($2::uuid[]))
  GROUP BY 1, 2
),
d AS (
  SELECT coalesce(sd.tutor_id, fd.tutor_id, ed.tutor_id) AS tutor_id,
    coalesce(sd.day, fd.day, ed.day) AS day,
    coalesce(sd.n, 0) AS n, coalesce(sd.done, 0) AS done, coalesce(sd.no_show, 0) AS no_show,
    coalesce(sd.resched, 0) AS resched, sd.eng_sum, sd.eng_sq, coalesce(sd.eng_n, 0) AS eng_n,
    coalesce(sd.obj_met, 0) AS obj_met, coalesce(sd.obj_n, 0) AS obj_n, sd.late_sum,
    coalesce(sd.first_n, 0) AS first_n, coalesce(sd.first_late, 0) AS first_late,
    sd.last_done_day, ed.last_login_day,
    fd.rating_sum, coalesce(fd.rating_n, 0) AS rating_n,
    coalesce(fd.first_rated, 0) AS first_rated, coalesce(fd.first_good, 0) AS first_good,
    coalesce(fd.first_poor, 0) AS first_poor,
    coalesce(ed.logins, 0) AS logins, ed.resp_sum, coalesce(ed.resp_n, 0) AS resp_n
  FROM sd
  FULL JOIN fd ON fd.tutor_id = sd.tutor_id AND fd.day = sd.day
  FULL JOIN ed ON ed.tutor_id = coalesce(sd.tutor_id, fd.tutor_id)
    AND ed.day = coalesce(sd.day, fd.day)
),
w AS (
  SELECT t.id AS tutor_id, a.as_of, t.onboarding_date, t.baseline_sessions_per_week,
      ${FEATURE_WINDOWS.map(windowColumns).join(',\n      ')},
      coalesce(sum(d.first_n) FILTER (WHERE d.day >= a.as_of - 30), 0) AS first_session_count_30d,
      ${ratio('sum(d.first_good) FILTER (WHERE d.day >= a.as_of - 30)', 'sum(d.first_rated) FILTER (WHERE d.day >= a.as_of - 30)')}
        AS first_session_success_rate_30d,
      coalesce(sum(d.first_poor + d.first_late) FILTER (WHERE d.day >= a.as_of - 30), 0)
        AS poor_first_sessions_30d,
      sum(d.eng_sum) FILTER (WHERE d.day >= a.as_of - 30) AS eng_sum_30,
      sum(d.eng_sq) FILTER (WHERE d.day >= a.as_of - 30) AS eng_sq_30,
      sum(d.eng_n) FILTER (WHERE d.day >= a.as_of - 30) AS eng_n_30,
      ${ratio('sum(d.resp_sum) FILTER (WHERE d.day >= a.as_of - 30)', 'sum(d.resp_n) FILTER (WHERE d.day >= a.as_of - 30)')}
        AS response_minutes_30d,
      coalesce(sum(d.resched) FILTER (WHERE d.day >= a.as_of - 7), 0) AS reschedules_7d,
      coalesce(sum(d.no_show) FILTER (WHERE d.day >= a.as_of - 14), 0) AS no_shows_14d,
      max(d.last_done_day) AS last_session_day,
      max(d.last_login_day) AS last_login_day
  FROM t
  JOIN asof a ON t.onboarding_date < a.as_of
  LEFT JOIN d ON d.tutor_id = t.id AND d.day >= a.as_of - 90 AND d.day < a.as_of
  GROUP BY t.id, a.as_of, t.onboarding_date, t.baseline_sessions_per_week
)
SELECT w.*,
  CASE WHEN eng_n_30 > 1 THEN sqrt(greatest(0,
    (eng_sq_30 - eng_sum_30 * eng_sum_30 / eng_n_30) / (eng_n_30 - 1))) END AS engagement_volatility_30d,
  (as_of - coalesce(last_session_day, greatest(onboarding_date, as_of - 91))) AS days_since_last_session,
  (as_of - coalesce(last_login_day, greatest(onboarding_date, as_of - 91))) AS days_since_last_login,
  (as_of - onboarding_date) AS tenure_days,
  completed_per_week_14d / nullif(baseline_sessions_per_week, 0) AS activity_vs_baseline_14d,
  completed_per_week_30d / nullif(baseline_sessions_per_week, 0) AS activity_vs_baseline_30d,
  avg_engagement_30d - avg_engagement_7d AS engagement_decline_7d_vs_30d,
  avg_engagement_90d - avg_engagement_30d AS engagement_decline_30d_vs_90d,
  avg_rating_30d - avg_rating_7d AS rating_decline_7d_vs_30d,
  (completed_per_week_30d - completed_per_week_7d) / greatest(completed_per_week_30d, 1)
    AS volume_decline_7d_vs_30d,
  (completed_per_week_90d - completed_per_week_14d) / greatest(completed_per_week_90d, 1)
    AS volume_decline_14d_vs_90d,
  (completed_per_week_90d - completed_per_week_30d) / greatest(completed_per_week_90d, 1)
    AS volume_decline_30d_vs_90d,
  reschedule_rate_7d - reschedule_rate_30d AS reschedule_increase_7d_vs_30d,
  no_show_rate_7d - no_show_rate_30d AS no_show_increase_7d_vs_30d,
  (logins_per_week_90d - logins_per_week_14d) / greatest(logins_per_week_90d, 1)
    AS login_decline_14d_vs_90d
FROM w`;
}

/** Features for any number of as-of dates (training, tests). */
export const FEATURES_SQL = featuresSql('day');
/** Features as of one date (`$1` holds exactly one), for scoring: the same values, far cheaper. */
export const SCORING_FEATURES_SQL = featuresSql('window');

/** FEATURES_SQL's parameters for these as-of dates (YYYY-MM-DD) and tutors (null: all). */
export function featureParams(asOfDates: readonly string[], tutorIds: readonly string[] | null) {
  const sorted = [...asOfDates].sort();
  const lo = new Date(`${sorted[0]}T00:00:00Z`);
  lo.setUTCDate(lo.getUTCDate() - 90);
  return [asOfDates, tutorIds, lo.toISOString().slice(0, 10), sorted[sorted.length - 1]];
}

/** Turns the statement's rows into feature rows (numbers or null, in FEATURE_NAMES order). */
export function toFeatureRows(rows: Record<string, unknown>[]): FeatureRow[] {
  return rows.map((r) => {
    const values: Record<string, number | null> = {};
    for (const name of FEATURE_NAMES) {
      const v = r[name];
      values[name] = v === null || v === undefined ? null : Number(v);
    }
    const asOf = r.as_of instanceof Date ? r.as_of.toISOString().slice(0, 10) : String(r.as_of);
    return { tutor_id: String(r.tutor_id), as_of: asOf, values };
  });
}

/** A feature row packed for training: values in FEATURE_NAMES order, NaN where missing. */
export interface PackedRow {
  tutor_id: string;
  as_of: string;
  values: Float64Array;
}

/** Packs the statement's rows (training reads tens of thousands: objects would not fit the heap cap). */
export function toPackedRows(
  rows: Record<string, unknown>[],
  names: readonly string[] = FEATURE_NAMES,
): PackedRow[] {
  return rows.map((r) => {
    const values = new Float64Array(names.length);
    names.forEach((name, j) => {
      const v = r[name];
      values[j] = v === null || v === undefined ? NaN : Number(v);
    });
    const asOf = r.as_of instanceof Date ? r.as_of.toISOString().slice(0, 10) : String(r.as_of);
    return { tutor_id: String(r.tutor_id), as_of: asOf, values };
  });
}

/**
 * The feature vector in the order of `features` (the churn model's unless
 * named), missing values filled: zero-rules with 0, median-rules with the
 * given medians (or 0).
 */
export function fillMissing(
  values: Record<string, number | null>,
  medians: Record<string, number>,
  features: readonly Pick<FeatureDefinition, 'name' | 'fill'>[] = CHURN_FEATURES,
): number[] {
  return features.map((f) => {
    const v = values[f.name];
    if (v !== null && v !== undefined && Number.isFinite(v)) return v;
    return f.fill === 'median' ? (medians[f.name] ?? 0) : 0;
  });
}
