import { EntityManager, QueryRunner } from 'typeorm';
import {
  ENGAGEMENT_WEIGHTS,
  FIRST_SESSION_SUCCESS_MIN_RATING,
  ON_TIME_MAX_LATE_MINUTES,
  WINDOW_DAYS,
} from './performance.constants';

const LONGEST_WINDOW_DAYS = Math.max(...Object.values(WINDOW_DAYS));
const WINDOWS_SQL = Object.values(WINDOW_DAYS)
  .map((d) => `(${d})`)
  .join(', ');

/**
 * Day bucket of a timestamp: 0 for (ref − 1 day, ref), 1 for the day before,
 * …; a window of N days is the buckets below N, i.e. [ref − N days, ref).
 */
const bucket = (column: string) =>
  `(ceil(extract(epoch FROM (p.ref - ${column})) / 86400) - 1)::int`;

/**
 * The one aggregate that computes every metric (DOMAIN.md §3.2, defects fixed)
 * for one tutor or for all of them over the 7, 30 and 90 days before `ref`,
 * and upserts one snapshot row per (tutor, window) for `snapshot_date`.
 *
 * Set-based: sessions (joined to their feedback) and tutor events are each
 * read once over the longest window, grouped per tutor and day, and the day
 * totals rolled up into the three windows. Parameters: $1 ref, $2 snapshot
 * date, $3 tutor id (single-tutor form only).
 */
function snapshotUpsertSql(singleTutor: boolean, returning: boolean): string {
  const tutorFilter = (alias: string) => (singleTutor ? `AND ${alias}.tutor_id = $3::uuid` : '');
  const w = ENGAGEMENT_WEIGHTS;
  return `
WITH p AS (SELECT $1::timestamptz AS ref),
session_days AS (
  SELECT s.tutor_id, ${bucket('s.scheduled_start')} AS d,
    count(*) AS scheduled,
    count(*) FILTER (WHERE s.status = 'completed') AS completed,
    count(*) FILTER (WHERE s.status = 'no_show') AS no_shows,
    count(*) FILTER (WHERE s.tutor_initiated_reschedule) AS reschedules,
    count(f.overall_rating) AS ratings,
    sum(f.overall_rating) AS rating_sum,
    count(f.overall_rating) FILTER (WHERE s.session_number = 1) AS first_rated,
    count(*) FILTER (WHERE s.session_number = 1 AND f.overall_rating >= ${FIRST_SESSION_SUCCESS_MIN_RATING}) AS first_success,
    count(s.learning_objectives_met) FILTER (WHERE s.status = 'completed') AS lo_known,
    count(*) FILTER (WHERE s.status = 'completed' AND s.learning_objectives_met) AS lo_met,
    count(s.engagement_score) FILTER (WHERE s.status = 'completed') AS engagement_n,
    sum(s.engagement_score) FILTER (WHERE s.status = 'completed') AS engagement_sum,
    count(*) FILTER (WHERE s.status = 'completed' AND s.late_start_minutes <= ${ON_TIME_MAX_LATE_MINUTES}) AS on_time
  FROM p
  JOIN sessions s
    ON s.scheduled_start >= p.ref - interval '${LONGEST_WINDOW_DAYS} days' AND s.scheduled_start < p.ref
  LEFT JOIN student_feedback f ON f.session_id = s.id
  WHERE true ${tutorFilter('s')}
  GROUP BY 1, 2
),
event_days AS (
  SELECT e.tutor_id, ${bucket('e.occurred_at')} AS d,
    count(*) FILTER (WHERE e.event_type = 'login') AS logins,
    count(e.response_minutes) FILTER (WHERE e.event_type = 'message_response') AS responses,
    sum(e.response_minutes) FILTER (WHERE e.event_type = 'message_response') AS response_sum
  FROM p
  JOIN tutor_events e
    ON e.occurred_at >= p.ref - interval '${LONGEST_WINDOW_DAYS} days' AND e.occurred_at < p.ref
  WHERE e.event_type IN ('login', 'message_response') ${tutorFilter('e')}
  GROUP BY 1, 2
),
days AS (
  SELECT coalesce(sd.tutor_id, ed.tutor_id) AS tutor_id, coalesce(sd.d, ed.d) AS d,
    coalesce(sd.scheduled, 0) AS scheduled, coalesce(sd.completed, 0) AS completed,
    coalesce(sd.no_shows, 0) AS no_shows, coalesce(sd.reschedules, 0) AS reschedules,
    coalesce(sd.ratings, 0) AS ratings, sd.rating_sum,
    coalesce(sd.first_rated, 0) AS first_rated, coalesce(sd.first_success, 0) AS first_success,
    coalesce(sd.lo_known, 0) AS lo_known, coalesce(sd.lo_met, 0) AS lo_met,
    coalesce(sd.engagement_n, 0) AS engagement_n, sd.engagement_sum,
    coalesce(sd.on_time, 0) AS on_time,
    coalesce(ed.logins, 0) AS logins, coalesce(ed.responses, 0) AS responses, ed.response_sum
  FROM session_days sd
  FULL JOIN event_days ed ON ed.tutor_id = sd.tutor_id AND ed.d = sd.d
),
totals AS (
  -- Every window of every tutor active in the longest one, empty windows included.
  SELECT k.tutor_id, win.days AS window_days,
    coalesce(sum(days.scheduled), 0)::int AS scheduled,
    coalesce(sum(days.completed), 0)::int AS completed,
    coalesce(sum(days.no_shows), 0)::int AS no_shows,
    coalesce(sum(days.reschedules), 0)::int AS reschedules,
    coalesce(sum(days.ratings), 0)::int AS ratings,
    sum(days.rating_sum)::float8 AS rating_sum,
    coalesce(sum(days.first_rated), 0)::int AS first_rated,
    coalesce(sum(days.first_success), 0)::int AS first_success,
    coalesce(sum(days.lo_known), 0)::int AS lo_known,
    coalesce(sum(days.lo_met), 0)::int AS lo_met,
    coalesce(sum(days.engagement_n), 0)::int AS engagement_n,
    sum(days.engagement_sum)::float8 AS engagement_sum,
    coalesce(sum(days.on_time), 0)::int AS on_time,
    (count(*) FILTER (WHERE days.completed > 0))::int AS teaching_days,
    coalesce(sum(days.logins), 0)::int AS logins,
    coalesce(sum(days.responses), 0)::int AS responses,
    sum(days.response_sum)::float8 AS response_sum
  FROM (SELECT DISTINCT tutor_id FROM days) AS k
  CROSS JOIN (VALUES ${WINDOWS_SQL}) AS win(days)
  LEFT JOIN days ON days.tutor_id = k.tutor_id AND days.d >= 0 AND days.d < win.days
  GROUP BY k.tutor_id, win.days
),
rates AS (
  SELECT t.*,
    t.no_shows::float8 / nullif(t.completed + t.no_shows, 0) AS no_show_rate,
    t.reschedules::float8 / nullif(t.scheduled, 0) AS reschedule_rate,
    t.rating_sum / nullif(t.ratings, 0) AS avg_rating,
    t.first_success::float8 / nullif(t.first_rated, 0) AS first_session_success_rate,
    t.lo_met::float8 / nullif(t.lo_known, 0) AS lo_rate,
    t.engagement_sum / nullif(t.engagement_n, 0) AS engagement_mean,
    t.on_time::float8 / nullif(t.completed, 0) AS on_time_rate,
    least(1.0, t.logins::float8 / nullif(t.teaching_days, 0)) AS login_ratio,
    t.response_sum / nullif(t.responses, 0) AS response_avg
  FROM totals t
)
INSERT INTO tutor_metric_snapshots (
  tutor_id, window_days, snapshot_date, reference_at,
  sessions_scheduled, sessions_completed, no_show_count, no_show_rate,
  reschedule_count, reschedule_rate, ratings_count, avg_rating,
  first_sessions_rated, first_session_success_rate, learning_objectives_met_rate,
  session_engagement_mean, on_time_rate, login_count, teaching_days, login_ratio,
  engagement_score, response_count, response_time_avg_minutes, computed_at)
SELECT r.tutor_id, r.window_days, $2::date, p.ref,
  r.scheduled, r.completed, r.no_shows, r.no_show_rate,
  r.reschedules, r.reschedule_rate, r.ratings, r.avg_rating,
  r.first_rated, r.first_session_success_rate, r.lo_rate,
  r.engagement_mean, r.on_time_rate, r.logins, r.teaching_days, r.login_ratio,
  100 * (${w.session} * coalesce(r.engagement_mean, 0) + ${w.logins} * coalesce(r.login_ratio, 0) + ${w.onTime} * coalesce(r.on_time_rate, 0))
      / nullif(${w.session} * (r.engagement_mean IS NOT NULL)::int + ${w.logins} * (r.login_ratio IS NOT NULL)::int
               + ${w.onTime} * (r.on_time_rate IS NOT NULL)::int, 0),
  r.responses, r.response_avg, clock_timestamp()
FROM rates r CROSS JOIN p
ON CONFLICT (tutor_id, window_days, snapshot_date) DO UPDATE SET
  reference_at = EXCLUDED.reference_at,
  sessions_scheduled = EXCLUDED.sessions_scheduled,
  sessions_completed = EXCLUDED.sessions_completed,
  no_show_count = EXCLUDED.no_show_count,
  no_show_rate = EXCLUDED.no_show_rate,
  reschedule_count = EXCLUDED.reschedule_count,
  reschedule_rate = EXCLUDED.reschedule_rate,
  ratings_count = EXCLUDED.ratings_count,
  avg_rating = EXCLUDED.avg_rating,
  first_sessions_rated = EXCLUDED.first_sessions_rated,
  first_session_success_rate = EXCLUDED.first_session_success_rate,
  learning_objectives_met_rate = EXCLUDED.learning_objectives_met_rate,
  session_engagement_mean = EXCLUDED.session_engagement_mean,
  on_time_rate = EXCLUDED.on_time_rate,
  login_count = EXCLUDED.login_count,
  teaching_days = EXCLUDED.teaching_days,
  login_ratio = EXCLUDED.login_ratio,
  engagement_score = EXCLUDED.engagement_score,
  response_count = EXCLUDED.response_count,
  response_time_avg_minutes = EXCLUDED.response_time_avg_minutes,
  computed_at = EXCLUDED.computed_at
${returning ? `RETURNING ${SNAPSHOT_COLUMNS}` : ''}`;
}

/** The columns read back (snake_case, as PostgreSQL returns them). */
export const SNAPSHOT_COLUMNS = `id, tutor_id, window_days, snapshot_date::text AS snapshot_date,
  sessions_completed, avg_rating, first_session_success_rate, reschedule_rate, no_show_rate,
  engagement_score, learning_objectives_met_rate`;

export interface SnapshotRow {
  id: string;
  tutor_id: string;
  window_days: number;
  snapshot_date: string;
  sessions_completed: number;
  avg_rating: number | null;
  first_session_success_rate: number | null;
  reschedule_rate: number | null;
  no_show_rate: number | null;
  engagement_score: number | null;
  learning_objectives_met_rate: number | null;
}

const SINGLE_TUTOR_SQL = snapshotUpsertSql(true, true);
const ALL_TUTORS_SQL = snapshotUpsertSql(false, false);

/** Recomputes one tutor's three windows; returns the upserted rows. */
export async function upsertTutorSnapshots(
  manager: EntityManager,
  tutorId: string,
  ref: Date,
  snapshotDate: string,
): Promise<SnapshotRow[]> {
  return manager.query(SINGLE_TUTOR_SQL, [ref, snapshotDate, tutorId]);
}

/** Recomputes every tutor's three windows in one statement; returns the rows written. */
export async function upsertAllSnapshots(
  runner: QueryRunner,
  ref: Date,
  snapshotDate: string,
): Promise<number> {
  const result = await runner.query(ALL_TUTORS_SQL, [ref, snapshotDate], true);
  return result.affected ?? 0;
}

/** Converts a snapshot row to the metrics the flags read. */
export function flagMetricsOf(row: SnapshotRow) {
  return {
    tutorId: row.tutor_id,
    sessionsCompleted: row.sessions_completed,
    avgRating: row.avg_rating,
    firstSessionSuccessRate: row.first_session_success_rate,
    rescheduleRate: row.reschedule_rate,
    noShowRate: row.no_show_rate,
    engagementScore: row.engagement_score,
    learningObjectivesMetRate: row.learning_objectives_met_rate,
  };
}
