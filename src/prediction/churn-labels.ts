/**
 * Churn labels from the data (DOMAIN.md §4.1), never from the generator's archetype. A tutor
 * churned on the earliest of:
 * - gap: the day after their last completed session, when more than 14 days have passed
 *   since with no session taken or scheduled;
 * - resignation: the day of a `resignation` event;
 * - decline: the last day of the third consecutive full calendar week (from four weeks after
 *   onboarding and the first full week of their records) in which they completed fewer than half their baseline weekly sessions.
 * Everything is read as of `$1` (the horizon, exclusive), so a label is only known once
 * its evidence is: a gap needs 15 days of silence before the horizon.
 */
export const GAP_DAYS = 14;
export const DECLINE_WEEKS = 3;

export const CHURN_LABELS_SQL = `
WITH t AS (
  SELECT id, onboarding_date, baseline_sessions_per_week FROM tutors
  WHERE ($2::uuid[] IS NULL OR id = ANY($2::uuid[])) AND onboarding_date < $1::date
),
last_session AS (
  SELECT s.tutor_id,
    max(s.scheduled_start::date) FILTER (WHERE s.status = 'completed' AND s.scheduled_start < $1::date) AS last_day,
    bool_or(s.status = 'scheduled' AND s.scheduled_start >= $1::date - 1) AS has_upcoming
  FROM sessions s WHERE s.tutor_id IN (SELECT id FROM t)
  GROUP BY s.tutor_id
),
gap AS (
  SELECT t.id AS tutor_id,
    CASE WHEN NOT coalesce(ls.has_upcoming, false)
          AND $1::date - 1 - coalesce(ls.last_day, t.onboarding_date) > ${GAP_DAYS}
      THEN coalesce(ls.last_day, t.onboarding_date) + 1 END AS day
  FROM t LEFT JOIN last_session ls ON ls.tutor_id = t.id
),
resigned AS (
  SELECT e.tutor_id, min(e.occurred_at::date) AS day FROM tutor_events e
  WHERE e.event_type = 'resignation' AND e.occurred_at < $1::date AND e.tutor_id IN (SELECT id FROM t)
  GROUP BY e.tutor_id
),
first_day AS (
  SELECT s.tutor_id, min(s.scheduled_start)::date AS day FROM sessions s
  WHERE s.tutor_id IN (SELECT id FROM t) GROUP BY s.tutor_id
),
weekly AS (
  SELECT s.tutor_id, date_trunc('week', s.scheduled_start)::date AS week_start, count(*) AS done
  FROM sessions s
  WHERE s.status = 'completed' AND s.scheduled_start < $1::date AND s.tutor_id IN (SELECT id FROM t)
  GROUP BY 1, 2
),
weeks AS (
  SELECT t.id AS tutor_id, wk.start AS week_start, coalesce(weekly.done, 0) AS done,
    t.baseline_sessions_per_week AS baseline
  FROM t
  JOIN first_day fd ON fd.tutor_id = t.id
  CROSS JOIN LATERAL (SELECT generate_series(
      date_trunc('week', greatest(t.onboarding_date + 28, fd.day + 6))::date + 7,
      $1::date - 7, interval '7 days')::date AS start) AS wk
  LEFT JOIN weekly ON weekly.tutor_id = t.id AND weekly.week_start = wk.start
  WHERE t.baseline_sessions_per_week > 0
),
low_runs AS (
  SELECT tutor_id, week_start,
    count(*) FILTER (WHERE done < 0.5 * baseline) OVER (
      PARTITION BY tutor_id ORDER BY week_start ROWS BETWEEN ${DECLINE_WEEKS - 1} PRECEDING AND CURRENT ROW) AS low_in_run
  FROM weeks
),
declined AS (
  SELECT tutor_id, min(week_start) + 6 AS day FROM low_runs
  WHERE low_in_run = ${DECLINE_WEEKS} GROUP BY tutor_id
)
SELECT t.id AS tutor_id,
  least(gap.day, resigned.day, declined.day) AS churn_day,
  CASE least(gap.day, resigned.day, declined.day)
    WHEN resigned.day THEN 'resignation' WHEN gap.day THEN 'inactivity' WHEN declined.day THEN 'decline'
  END AS reason
FROM t
LEFT JOIN gap ON gap.tutor_id = t.id
LEFT JOIN resigned ON resigned.tutor_id = t.id
LEFT JOIN declined ON declined.tutor_id = t.id`;

export interface ChurnLabel {
  tutorId: string;
  /** The churn day (YYYY-MM-DD) or null when the tutor has not churned by the horizon. */
  churnDay: string | null;
  reason: 'resignation' | 'inactivity' | 'decline' | null;
}

export function toLabels(rows: { tutor_id: string; churn_day: unknown; reason: string | null }[]) {
  return rows.map((r): ChurnLabel => ({
    tutorId: r.tutor_id,
    churnDay:
      r.churn_day === null
        ? null
        : r.churn_day instanceof Date
          ? r.churn_day.toISOString().slice(0, 10)
          : String(r.churn_day),
    reason: r.reason as ChurnLabel['reason'],
  }));
}
