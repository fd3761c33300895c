import request from 'supertest';
import { FieldCipher } from '../../src/security/field-cipher';
import { apiSignIn, createUser } from './auth';
import {
  completedSession,
  daysFromNow,
  feedbackItem,
  iso,
  studentItem,
  tutorItem,
} from './fixtures';
import { ingest } from './ingest';
import type { TestApp } from './test-app';
import { waitForIdle } from './workers';

/** Self-service fixtures: tutors and students with linked accounts, sessions, feedback, snapshots. */

export interface SeededTutor {
  id: string;
  externalId: string;
  name: string;
  email: string;
  password: string;
  userId: string;
  token: string;
}

export interface SeededStudent {
  id: string;
  externalId: string;
  name: string;
  email: string;
  password: string;
  userId: string;
  token: string;
}

let ipCounter = 0;
const nextIp = () => `198.18.${Math.floor(++ipCounter / 250) + 10}.${(ipCounter % 250) + 1}`;

export async function seedTutor(
  t: TestApp,
  overrides: Record<string, unknown> = {},
): Promise<SeededTutor> {
  const item = tutorItem(overrides);
  const [r] = await ingest(t.http, 'tutors', [item]);
  const user = await createUser(t, ['tutor'], { tutorId: r.id!, fullName: item.name });
  const { accessToken } = await apiSignIn(t, user.email, user.password, nextIp());
  return {
    id: r.id!,
    externalId: item.externalId,
    name: item.name,
    email: user.email,
    password: user.password,
    userId: user.id,
    token: accessToken,
  };
}

export async function seedStudent(
  t: TestApp,
  overrides: Record<string, unknown> = {},
): Promise<SeededStudent> {
  const item = studentItem(overrides);
  const [r] = await ingest(t.http, 'students', [item]);
  const user = await createUser(t, ['student'], { studentId: r.id! });
  const { accessToken } = await apiSignIn(t, user.email, user.password, nextIp());
  return {
    id: r.id!,
    externalId: item.externalId,
    name: item.name,
    email: user.email,
    password: user.password,
    userId: user.id,
    token: accessToken,
  };
}

/** A completed session (days ago) with feedback; returns the session's external id. */
export async function seedSessionWithFeedback(
  t: TestApp,
  tutor: { externalId: string },
  student: { externalId: string },
  daysAgo: number,
  feedback: Record<string, unknown> | null,
  session: Record<string, unknown> = {},
): Promise<string> {
  const start = daysFromNow(-daysAgo);
  const s = completedSession(tutor.externalId, student.externalId, {
    scheduledStart: iso(start),
    actualStart: iso(new Date(start.getTime() + 60_000)),
    ...session,
  });
  await ingest(t.http, 'sessions', [s]);
  if (feedback)
    await ingest(t.http, 'feedback', [
      feedbackItem(s.externalId, {
        submittedAt: iso(new Date(start.getTime() + 2 * 3_600_000)),
        ...feedback,
      }),
    ]);
  return s.externalId;
}

export interface SnapshotValues {
  avgRating?: number | null;
  ratingsCount?: number;
  firstSessionSuccessRate?: number | null;
  firstSessionsRated?: number;
  rescheduleRate?: number | null;
  noShowRate?: number | null;
  engagementScore?: number | null;
  learningObjectivesMetRate?: number | null;
  onTimeRate?: number | null;
  sessionsCompleted?: number;
}

/** Writes (or overwrites) a tutor's snapshot for one window and day (default today). */
export async function seedSnapshot(
  t: TestApp,
  tutorId: string,
  windowDays: number,
  v: SnapshotValues,
  daysAgo = 0,
): Promise<void> {
  await t.dataSource.query(
    `INSERT INTO tutor_metric_snapshots (tutor_id, window_days, snapshot_date, reference_at,
       sessions_scheduled, sessions_completed, no_show_count, no_show_rate, reschedule_count,
       reschedule_rate, ratings_count, avg_rating, first_sessions_rated, first_session_success_rate,
       learning_objectives_met_rate, on_time_rate, login_count, teaching_days, engagement_score,
       response_count, computed_at)
     VALUES ($1, $2, current_date - $3::int, now(), $4, $4, 0, $5, 0, $6, $7, $8, $9, $10, $11, $12,
             0, 0, $13, 0, now())
     ON CONFLICT (tutor_id, window_days, snapshot_date) DO UPDATE SET
       sessions_completed = EXCLUDED.sessions_completed, no_show_rate = EXCLUDED.no_show_rate,
       reschedule_rate = EXCLUDED.reschedule_rate, ratings_count = EXCLUDED.ratings_count,
       avg_rating = EXCLUDED.avg_rating, first_sessions_rated = EXCLUDED.first_sessions_rated,
       first_session_success_rate = EXCLUDED.first_session_success_rate,
       learning_objectives_met_rate = EXCLUDED.learning_objectives_met_rate,
       on_time_rate = EXCLUDED.on_time_rate, engagement_score = EXCLUDED.engagement_score,
       computed_at = now()`,
    [
      tutorId,
      windowDays,
      daysAgo,
      v.sessionsCompleted ?? 20,
      v.noShowRate ?? 0,
      v.rescheduleRate ?? 0.05,
      v.ratingsCount ?? 12,
      v.avgRating === undefined ? 4.2 : v.avgRating,
      v.firstSessionsRated ?? 4,
      v.firstSessionSuccessRate === undefined ? 0.75 : v.firstSessionSuccessRate,
      v.learningObjectivesMetRate === undefined ? 0.85 : v.learningObjectivesMetRate,
      v.onTimeRate === undefined ? 0.9 : v.onTimeRate,
      v.engagementScore === undefined ? 72 : v.engagementScore,
    ],
  );
}

/** The tutor's current tier, held since `daysAgo` days. */
export async function seedTier(
  t: TestApp,
  tutorId: string,
  tier: string,
  daysAgo: number,
): Promise<void> {
  await t.dataSource.query(
    `INSERT INTO tutor_performance_tiers (tutor_id, tier, tier_since, previous_tier, evaluated_for,
       performance_score, green_flags, red_flags, updated_at)
     VALUES ($1, $2, current_date - $3::int, 'Developing', current_date, 71.5, 3, 0, now())
     ON CONFLICT (tutor_id) DO UPDATE SET tier = EXCLUDED.tier, tier_since = EXCLUDED.tier_since`,
    [tutorId, tier, daysAgo],
  );
}

/** An email in the message log, sent to a tutor, with a context that must never be shown. */
export async function seedSentMessage(
  t: TestApp,
  tutorId: string,
  entityKey: string,
  context: Record<string, unknown>,
  workflow = 'intervention-automated',
): Promise<string> {
  const cipher = t.app.get(FieldCipher);
  const [row]: { id: string }[] = await t.dataSource.query(
    `INSERT INTO notification_messages (workflow, entity_key, category, template, recipient_kind,
       recipient_id, recipient_email, context, status, sent_at)
     VALUES ($1, $2, 'tutor-tips', 'intervention-automated', 'tutor', $3, $4, $5, 'sent', now())
     RETURNING id`,
    [
      workflow,
      entityKey,
      tutorId,
      cipher.encrypt('tutor@example.invalid'),
      cipher.encrypt(JSON.stringify(context)),
    ],
  );
  return row.id;
}

/** A manager who can create interventions over the API. */
export async function managerToken(t: TestApp): Promise<string> {
  const m = await createUser(t, ['operations_manager']);
  return (await apiSignIn(t, m.email, m.password, nextIp())).accessToken;
}

export async function createIntervention(
  t: TestApp,
  token: string,
  tutorId: string,
  type: string,
  reason: string,
): Promise<string> {
  const res = await request(t.http)
    .post('/api/v1/interventions')
    .set('Authorization', `Bearer ${token}`)
    .send({ tutorId, type, priority: 'high', reason })
    .expect(201);
  return res.body.id as string;
}

export { waitForIdle };
