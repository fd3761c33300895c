import type { FeatureDefinition } from './churn-features';

/**
 * First-session risk (DOMAIN.md §5): features known before a tutor–student pair's first
 * session, with the real student age and success meaning a rating of 4 or more. Tutor
 * history counts everything before the session's day (feedback only once submitted).
 */
export const FIRST_SESSION_FEATURES: readonly FeatureDefinition[] = [
  { name: 'tenure_days', label: 'Days since the tutor was onboarded', fill: 'zero' },
  { name: 'prior_sessions', label: 'Sessions the tutor has taught', fill: 'zero' },
  { name: 'prior_avg_rating', label: 'Tutor’s average rating so far', fill: 'median' },
  {
    name: 'prior_first_success_rate',
    label: 'Tutor’s first sessions rated 4 or 5 so far',
    fill: 'median',
  },
  { name: 'prior_engagement', label: 'Tutor’s session engagement so far', fill: 'median' },
  { name: 'prior_reschedule_rate', label: 'Tutor’s reschedule rate so far', fill: 'zero' },
  { name: 'prior_no_show_rate', label: 'Tutor’s no-show rate so far', fill: 'zero' },
  { name: 'prior_late_minutes', label: 'Tutor’s average minutes late so far', fill: 'zero' },
  { name: 'student_age', label: 'Student age', fill: 'median' },
  { name: 'student_under_10', label: 'Student under 10', fill: 'zero' },
  { name: 'student_over_16', label: 'Student over 16', fill: 'zero' },
  { name: 'hour_sin', label: 'Time of day (sine)', fill: 'zero' },
  { name: 'hour_cos', label: 'Time of day (cosine)', fill: 'zero' },
  { name: 'early_morning', label: 'Before noon (UTC)', fill: 'zero' },
  { name: 'monday', label: 'On a Monday', fill: 'zero' },
  { name: 'day_sin', label: 'Day of week (sine)', fill: 'zero' },
  { name: 'day_cos', label: 'Day of week (cosine)', fill: 'zero' },
  { name: 'duration_minutes', label: 'Planned length in minutes', fill: 'zero' },
  { name: 'subject_stem', label: 'STEM subject', fill: 'zero' },
  { name: 'subject_language', label: 'Language subject', fill: 'zero' },
  { name: 'subject_test_prep', label: 'Test preparation', fill: 'zero' },
];
export const FIRST_SESSION_FEATURE_NAMES = FIRST_SESSION_FEATURES.map((f) => f.name);

/**
 * First sessions with their features and (once known) outcome. `$1`/`$2`: scheduled_start
 * range [from, to); `$3`: session ids (uuid[]) or null; `$4`: STEM subjects, `$5`: language
 * subjects, `$6`: test-prep subjects; `$7`: at most this many of the latest sessions with a known
 * outcome (null: every session, outcome known or not). `failed` is 1 for a no-show or a rating below 4, 0 for a
 * rating of 4 or 5, null while unknown.
 */
export const FIRST_SESSION_SQL = `
WITH fs AS (
  SELECT s.id, s.tutor_id, s.student_id, s.scheduled_start, s.subject, s.duration_minutes,
    s.status, s.scheduled_start::date AS day
  FROM sessions s
  WHERE s.session_number = 1 AND s.scheduled_start >= $1 AND s.scheduled_start < $2
    AND ($3::uuid[] IS NULL OR s.id = ANY($3::uuid[]))
),
daily AS (
  SELECT s.tutor_id, s.scheduled_start::date AS day,
    count(*) FILTER (WHERE s.status <> 'scheduled') AS n,
    count(*) FILTER (WHERE s.status = 'no_show') AS no_show,
    count(*) FILTER (WHERE s.tutor_initiated_reschedule AND s.status <> 'scheduled') AS resched,
    sum(s.engagement_score) AS eng_sum, count(s.engagement_score) AS eng_n,
    sum(s.late_start_minutes) FILTER (WHERE s.status = 'completed') AS late_sum,
    count(*) FILTER (WHERE s.status = 'completed') AS done
  FROM sessions s WHERE s.tutor_id IN (SELECT tutor_id FROM fs) AND s.scheduled_start < $2
  GROUP BY 1, 2
),
fb AS (
  SELECT f.tutor_id, f.submitted_at::date AS day, sum(f.overall_rating) AS rating_sum,
    count(*) AS rating_n,
    count(*) FILTER (WHERE s.session_number = 1) AS first_rated,
    count(*) FILTER (WHERE s.session_number = 1 AND f.overall_rating >= 4) AS first_good
  FROM student_feedback f JOIN sessions s ON s.id = f.session_id
  WHERE f.tutor_id IN (SELECT tutor_id FROM fs) AND f.submitted_at < $2
  GROUP BY 1, 2
),
cum AS (
  SELECT tutor_id, day,
    sum(n) OVER w AS n, sum(no_show) OVER w AS no_show, sum(resched) OVER w AS resched,
    sum(eng_sum) OVER w AS eng_sum, sum(eng_n) OVER w AS eng_n,
    sum(late_sum) OVER w AS late_sum, sum(done) OVER w AS done,
    lead(day) OVER w AS next_day
  FROM daily WINDOW w AS (PARTITION BY tutor_id ORDER BY day)
),
cumfb AS (
  SELECT tutor_id, day, sum(rating_sum) OVER w AS rating_sum, sum(rating_n) OVER w AS rating_n,
    sum(first_rated) OVER w AS first_rated, sum(first_good) OVER w AS first_good,
    lead(day) OVER w AS next_day
  FROM fb WINDOW w AS (PARTITION BY tutor_id ORDER BY day)
)
SELECT fs.id AS session_id, fs.tutor_id, fs.student_id, fs.scheduled_start, fs.day::text AS as_of,
  (fs.day - t.onboarding_date) AS tenure_days,
  coalesce(c.n, 0) AS prior_sessions,
  cf.rating_sum::float8 / nullif(cf.rating_n, 0) AS prior_avg_rating,
  cf.first_good::float8 / nullif(cf.first_rated, 0) AS prior_first_success_rate,
  c.eng_sum / nullif(c.eng_n, 0) AS prior_engagement,
  c.resched::float8 / nullif(c.n, 0) AS prior_reschedule_rate,
  c.no_show::float8 / nullif(c.n, 0) AS prior_no_show_rate,
  c.late_sum::float8 / nullif(c.done, 0) AS prior_late_minutes,
  st.age AS student_age,
  (st.age < 10)::int AS student_under_10, (st.age > 16)::int AS student_over_16,
  sin(2 * pi() * extract(hour FROM fs.scheduled_start AT TIME ZONE 'UTC') / 24) AS hour_sin,
  cos(2 * pi() * extract(hour FROM fs.scheduled_start AT TIME ZONE 'UTC') / 24) AS hour_cos,
  (extract(hour FROM fs.scheduled_start AT TIME ZONE 'UTC') < 12)::int AS early_morning,
  (extract(isodow FROM fs.scheduled_start AT TIME ZONE 'UTC') = 1)::int AS monday,
  sin(2 * pi() * extract(isodow FROM fs.scheduled_start AT TIME ZONE 'UTC') / 7) AS day_sin,
  cos(2 * pi() * extract(isodow FROM fs.scheduled_start AT TIME ZONE 'UTC') / 7) AS day_cos,
  fs.duration_minutes,
  (fs.subject = ANY($4::text[]))::int AS subject_stem,
  (fs.subject = ANY($5::text[]))::int AS subject_language,
  (fs.subject = ANY($6::text[]))::int AS subject_test_prep,
  CASE WHEN fs.status = 'no_show' THEN 1
       WHEN f.overall_rating IS NOT NULL THEN (f.overall_rating < 4)::int END AS failed
FROM fs
JOIN tutors t ON t.id = fs.tutor_id
JOIN LATERAL (
  SELECT extract(year FROM age(fs.scheduled_start::date,
    make_date(s.birth_year, s.birth_month, 1)))::int AS age
  FROM students s WHERE s.id = fs.student_id
) st ON true
LEFT JOIN student_feedback f ON f.session_id = fs.id
LEFT JOIN cum c ON c.tutor_id = fs.tutor_id AND c.day < fs.day
  AND (c.next_day IS NULL OR c.next_day >= fs.day)
LEFT JOIN cumfb cf ON cf.tutor_id = fs.tutor_id AND cf.day < fs.day
  AND (cf.next_day IS NULL OR cf.next_day >= fs.day)
WHERE $7::int IS NULL OR fs.status = 'no_show' OR f.overall_rating IS NOT NULL
ORDER BY fs.scheduled_start DESC
LIMIT $7`;
