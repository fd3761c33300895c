/**
 * A large synthetic data set in set-based SQL (INSERT … SELECT over generate_series): every
 * tutor onboarded 400 days ago, 8–16 sessions a day each (5% no-shows, 10% rescheduled),
 * feedback on 85% of completed sessions, logins and message responses. Far faster than the
 * synthetic generator (which simulates behaviour) and used where only volume matters: the
 * nightly batch (bench:pipeline) and churn scoring (bench:models).
 */
import { DataSource } from 'typeorm';

const DAY_MS = 86_400_000;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
/** Secondary indexes of the loaded tables, dropped for the load and rebuilt after. */
const LOADED_TABLES = ['sessions', 'student_feedback', 'tutor_events', 'students'];

/** Fills a migrated, empty database with `tutors` tutors × 90 days; prints its progress. */
export async function loadBigDataset(db: DataSource, tutors: number): Promise<void> {
  const q = (sql: string, params: unknown[] = []) => db.query(sql, params);
  const started = Date.now();
  const indexes: { name: string; def: string }[] = await q(
    `SELECT indexname AS name, indexdef AS def FROM pg_indexes
       WHERE schemaname = 'public' AND tablename = ANY($1) AND indexname NOT LIKE 'PK_%'`,
    [LOADED_TABLES],
  );
  for (const i of indexes) await q(`DROP INDEX "${i.name}"`);
  const runner = db.createQueryRunner();
  await runner.connect();
  const r = (sql: string, params: unknown[] = []) => runner.query(sql, params);
  try {
    await r('SET session_replication_role = replica'); // no FK triggers during the load
    await r('SET synchronous_commit = off');
    await r(`SET work_mem = '256MB'`);
    await r('SELECT setseed(0.42)');
    const today = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS);
    await r(
      `INSERT INTO tutors (external_id, name, email, onboarding_date, status, subjects, baseline_sessions_per_week)
         SELECT 'big-tutor-' || n, 'Tutor ' || n, 'big.tutor.' || n || '@example.invalid',
                $1::date - 400, 'active', ARRAY['Algebra'], 8 + n % 16
         FROM generate_series(1, $2::int) AS n`,
      [today, tutors],
    );
    await r(
      `INSERT INTO students (external_id, name, birth_year, birth_month)
         SELECT 'big-student-' || n, 'Student ' || n, 2010, 1 + n % 12
         FROM generate_series(1, $1::int) AS n`,
      [tutors * 10],
    );
    await r(
      `CREATE TEMP TABLE t_ids AS SELECT row_number() OVER (ORDER BY external_id) AS n, id FROM tutors`,
    );
    await r(
      `CREATE TEMP TABLE s_ids AS SELECT row_number() OVER (ORDER BY external_id) AS n, id FROM students`,
    );
    await r('CREATE UNIQUE INDEX ON t_ids (n)');
    await r('CREATE UNIQUE INDEX ON s_ids (n)');
    console.log(`big batch: tutors and students in ${seconds(Date.now() - started)}`);
    // Sessions, a day of all tutors at a time (keeps each statement's memory small).
    for (let d = 1; d <= 90; d++) {
      await r(
        `INSERT INTO sessions (external_id, tutor_id, student_id, session_number, scheduled_start, actual_start,
             duration_minutes, subject, status, tutor_initiated_reschedule, late_start_minutes,
             engagement_score, learning_objectives_met, technical_issues)
           SELECT 'big-' || $2::int || '-' || t.n || '-' || k,
             t.id, s.id,
             CASE WHEN random() < 0.3 THEN 1 ELSE 2 END,
             start, CASE WHEN no_show THEN NULL ELSE start + late * interval '1 minute' END,
             60, 'Algebra', CASE WHEN no_show THEN 'no_show' ELSE 'completed' END,
             random() < 0.1, CASE WHEN no_show THEN 0 ELSE late END,
             CASE WHEN no_show THEN NULL ELSE round((0.3 + random() * 0.7)::numeric, 3) END,
             CASE WHEN no_show THEN NULL ELSE random() < 0.88 END,
             random() < 0.03
           FROM t_ids t
           CROSS JOIN LATERAL generate_series(1, 8 + (t.n * 7 + $2::int) % 9) AS k
           JOIN s_ids s ON s.n = 1 + (t.n * 10 + k) % ($3::int * 10)
           CROSS JOIN LATERAL (SELECT $1::timestamptz - $2::int * interval '1 day'
                                 + (6 + (k * 5 + t.n) % 16) * interval '1 hour' AS start,
                                 random() < 0.05 AS no_show,
                                 (ARRAY[0, 0, 0, 0, 0, 2, 2, 5, 10, 15])[1 + floor(random() * 10)::int] AS late) AS x`,
        [today, d, tutors],
      );
    }
    console.log(`big batch: sessions in ${seconds(Date.now() - started)}`);
    await r(
      `INSERT INTO student_feedback (external_id, session_id, student_id, tutor_id, overall_rating, submitted_at)
         SELECT 'fb-' || s.external_id, s.id, s.student_id, s.tutor_id,
                LEAST(5, GREATEST(1, round(1 + s.engagement_score * 4.2 + (random() - 0.5))::int)),
                s.actual_start + interval '3 hours'
         FROM sessions s WHERE s.status = 'completed' AND random() < 0.85`,
    );
    console.log(`big batch: feedback in ${seconds(Date.now() - started)}`);
    await r(
      `INSERT INTO tutor_events (external_id, tutor_id, event_type, occurred_at, response_minutes)
         SELECT 'ev-' || t.n || '-' || d || '-' || e, t.id,
                CASE WHEN e <= 1 THEN 'login' ELSE 'message_response' END,
                $1::timestamptz - d * interval '1 day' + (7 + e * 3) * interval '1 hour',
                CASE WHEN e <= 1 THEN NULL ELSE round((5 + random() * 120)::numeric, 1) END
         FROM t_ids t CROSS JOIN generate_series(1, 90) AS d CROSS JOIN generate_series(1, 3) AS e
         WHERE random() < 0.9`,
      [today],
    );
    console.log(`big batch: tutor events in ${seconds(Date.now() - started)}`);
    await r('SET session_replication_role = DEFAULT');
  } finally {
    await runner.release();
  }
  for (const i of indexes) await q(i.def);
  await q('ANALYZE tutors, students, sessions, student_feedback, tutor_events');
  console.log(
    `generated ${tutors.toLocaleString('en')} tutors × 90 days with set-based SQL in ${seconds(Date.now() - started)}`,
  );
}
