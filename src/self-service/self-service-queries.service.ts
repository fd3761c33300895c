import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { decodeCursor, Page, toPage } from '../common/pagination';
import { FieldCipher } from '../security/field-cipher';
import type { PeerRow } from './peer-percentiles';

/**
 * Read-only queries behind the self-service pages. Each selects only the
 * columns a tutor or student may see about themselves: no query here reads a
 * churn score, a risk band, an intervention's reason, evidence or notes, a
 * student's name or id for a tutor, or another tutor's identity. Every query
 * is bound to the caller's own tutor or student id.
 */
@Injectable()
export class SelfServiceQueries {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly cipher: FieldCipher,
  ) {}

  async tutorBasics(
    tutorId: string,
  ): Promise<{ name: string; onboardingDate: string; status: string } | null> {
    const [row]: { name: string; onboarding_date: string; status: string }[] =
      await this.dataSource.query(
        `SELECT name, to_char(onboarding_date, 'YYYY-MM-DD') AS onboarding_date, status
           FROM tutors WHERE id = $1`,
        [tutorId],
      );
    return row ? { name: row.name, onboardingDate: row.onboarding_date, status: row.status } : null;
  }

  /** The tutor's daily 30-day snapshots since `fromDay`, oldest first. */
  async trend(tutorId: string, fromDay: string): Promise<Record<string, number | string | null>[]> {
    const rows: Record<string, number | string | null>[] = await this.dataSource.query(
      `SELECT to_char(snapshot_date, 'YYYY-MM-DD') AS day, avg_rating AS "avgRating",
              first_session_success_rate AS "firstSessionSuccessRate",
              reschedule_rate AS "rescheduleRate", no_show_rate AS "noShowRate",
              engagement_score AS "engagementScore",
              learning_objectives_met_rate AS "learningObjectivesMetRate",
              sessions_completed AS "sessionsCompleted"
         FROM tutor_metric_snapshots
        WHERE tutor_id = $1 AND window_days = 30 AND snapshot_date >= $2::date
        ORDER BY snapshot_date`,
      [tutorId, fromDay],
    );
    return rows;
  }

  /**
   * The latest 30-day metrics of every active tutor of the cohort (and the
   * tutor), marked only as "self" or not: peers' ids never leave this method.
   */
  async cohortRows(tutorId: string, from: string, to: string): Promise<PeerRow[]> {
    const rows: {
      self: boolean;
      avg_rating: number | null;
      sessions_completed: number | null;
      engagement_score: number | null;
    }[] = await this.dataSource.query(
      `SELECT t.id = $1 AS self, s.avg_rating, s.sessions_completed, s.engagement_score
         FROM tutors t
         LEFT JOIN LATERAL (
           SELECT avg_rating, sessions_completed, engagement_score
             FROM tutor_metric_snapshots m
            WHERE m.tutor_id = t.id AND m.window_days = 30
            ORDER BY m.snapshot_date DESC LIMIT 1) s ON true
        WHERE (t.id = $1 OR t.status = 'active')
          AND t.onboarding_date >= $2::date AND t.onboarding_date < $3::date`,
      [tutorId, from, to],
    );
    return rows.map((r) => ({
      self: r.self,
      avgRating: r.avg_rating,
      sessionsCompleted: r.sessions_completed,
      engagementScore: r.engagement_score,
    }));
  }

  /** Feedback on the tutor's sessions without anything that identifies the student. */
  async tutorFeedback(
    tutorId: string,
    limit: number,
    cursor: string | undefined,
  ): Promise<Page<AnonymousFeedback>> {
    const after = decodeCursor(cursor);
    const rows: (FeedbackRow & { student_name: string })[] = await this.dataSource.query(
      `SELECT f.id, f.submitted_at, s.subject, s.session_number, f.overall_rating,
              f.subject_knowledge_rating, f.communication_rating, f.patience_rating,
              f.engagement_rating, f.helpfulness_rating, f.would_recommend, f.work_again,
              f.improvement_areas, f.free_text, st.name AS student_name
         FROM student_feedback f
         JOIN sessions s ON s.id = f.session_id
         JOIN students st ON st.id = f.student_id
        WHERE f.tutor_id = $1
          AND ($2::timestamptz IS NULL OR (f.submitted_at, f.id) < ($2::timestamptz, $3::uuid))
        ORDER BY f.submitted_at DESC, f.id DESC
        LIMIT $4`,
      [tutorId, after?.value ?? null, after?.id ?? null, limit + 1],
    );
    const page = toPage(rows, limit, (r) => ({
      value: new Date(r.submitted_at).toISOString(),
      id: r.id,
    }));
    return {
      items: page.items.map((r) => ({
        ...this.feedbackOf(r),
        comment: r.free_text
          ? redactName(this.cipher.decrypt(r.free_text), this.cipher.decrypt(r.student_name))
          : null,
      })),
      nextCursor: page.nextCursor,
    };
  }

  /** The tutor's recent first sessions with how each went (no student identity). */
  async firstSessions(tutorId: string, limit: number): Promise<FirstSessionResult[]> {
    const rows: {
      scheduled_start: Date;
      subject: string;
      status: string;
      overall_rating: number | null;
      work_again: string | null;
    }[] = await this.dataSource.query(
      `SELECT s.scheduled_start, s.subject, s.status, f.overall_rating, f.work_again
         FROM sessions s LEFT JOIN student_feedback f ON f.session_id = s.id
        WHERE s.tutor_id = $1 AND s.session_number = 1 AND s.scheduled_start <= now()
        ORDER BY s.scheduled_start DESC LIMIT $2`,
      [tutorId, limit],
    );
    return rows.map((r) => ({
      day: new Date(r.scheduled_start).toISOString().slice(0, 10),
      subject: r.subject,
      status: r.status,
      rating: r.overall_rating,
      success: r.overall_rating === null ? null : r.overall_rating >= 4,
      workAgain: r.work_again,
    }));
  }

  /** Facts the badges and goals need that the snapshots do not hold. */
  async tutorCounts(
    tutorId: string,
  ): Promise<{ sessionsAllTime: number; longestStreakDays: number; retention: number | null }> {
    const [row]: { all_time: number; streak: number | null; retention: number | null }[] =
      await this.dataSource.query(
        `WITH days AS (
           SELECT DISTINCT (scheduled_start AT TIME ZONE 'UTC')::date AS d
             FROM sessions WHERE tutor_id = $1 AND status = 'completed'),
         runs AS (SELECT d - (row_number() OVER (ORDER BY d))::int AS grp FROM days),
         firsts AS (
           SELECT s.student_id FROM sessions s
            WHERE s.tutor_id = $1 AND s.session_number = 1 AND s.status = 'completed'
              AND s.scheduled_start >= now() - interval '90 days')
         SELECT (SELECT count(*)::int FROM sessions WHERE tutor_id = $1 AND status = 'completed') AS all_time,
                (SELECT max(n)::int FROM (SELECT count(*) AS n FROM runs GROUP BY grp) x) AS streak,
                (SELECT CASE WHEN count(*) = 0 THEN NULL ELSE
                   (count(*) FILTER (WHERE EXISTS (
                      SELECT 1 FROM sessions s2 WHERE s2.tutor_id = $1 AND s2.student_id = firsts.student_id
                         AND s2.session_number > 1 AND s2.status = 'completed')))::real / count(*) END
                   FROM firsts) AS retention`,
        [tutorId],
      );
    return {
      sessionsAllTime: row.all_time,
      longestStreakDays: row.streak ?? 0,
      retention: row.retention,
    };
  }

  /** Completed sessions of the tutor from a day on (session-volume goals). */
  async completedSince(tutorId: string, fromDay: string, toDay: string): Promise<number> {
    const [row]: { n: number }[] = await this.dataSource.query(
      `SELECT count(*)::int AS n FROM sessions
        WHERE tutor_id = $1 AND status = 'completed'
          AND scheduled_start >= $2::date AND scheduled_start < $3::date + 1`,
      [tutorId, fromDay, toDay],
    );
    return row.n;
  }

  /**
   * Emails sent to the tutor (the message log): what kind and when, never the
   * message's context (which may name the internal reason).
   */
  async messagesTo(tutorId: string): Promise<InboxMessage[]> {
    const rows: {
      id: string;
      workflow: string;
      intervention_type: string | null;
      sent_at: Date;
      acknowledged_at: Date | null;
    }[] = await this.dataSource.query(
      `SELECT m.id, m.workflow, i.type AS intervention_type, m.sent_at, a.acknowledged_at
         FROM notification_messages m
         LEFT JOIN interventions i
           ON m.workflow = 'intervention-automated' AND i.id::text = m.entity_key AND i.tutor_id = $1
         LEFT JOIN tutor_acknowledgements a
           ON a.tutor_id = $1 AND a.subject_kind = 'message' AND a.subject_id = m.id
        WHERE m.recipient_kind = 'tutor' AND m.recipient_id = $1 AND m.status = 'sent'
        ORDER BY m.sent_at DESC, m.id DESC LIMIT 50`,
      [tutorId],
    );
    return rows.map((r) => ({
      id: r.id,
      workflow: r.workflow,
      interventionType: r.intervention_type,
      sentAt: r.sent_at,
      acknowledgedAt: r.acknowledged_at,
    }));
  }

  /** Coaching and mentoring scheduled for the tutor: type, date and status only. */
  async supportFor(tutorId: string, types: readonly string[]): Promise<InboxSupport[]> {
    const rows: {
      id: string;
      type: string;
      status: string;
      created_at: Date;
      acknowledged_at: Date | null;
    }[] = await this.dataSource.query(
      `SELECT i.id, i.type, i.status, i.created_at, a.acknowledged_at
         FROM interventions i
         LEFT JOIN tutor_acknowledgements a
           ON a.tutor_id = $1 AND a.subject_kind = 'support' AND a.subject_id = i.id
        WHERE i.tutor_id = $1 AND i.type = ANY($2::text[]) AND i.status <> 'cancelled'
        ORDER BY i.created_at DESC, i.id DESC LIMIT 50`,
      [tutorId, types],
    );
    return rows.map((r) => ({
      id: r.id,
      type: r.type,
      status: r.status,
      createdAt: r.created_at,
      acknowledgedAt: r.acknowledged_at,
    }));
  }

  /** Whether a message or support item is addressed to this tutor. */
  async isAddressedTo(
    tutorId: string,
    kind: 'message' | 'support',
    id: string,
    supportTypes: readonly string[],
  ): Promise<boolean> {
    const rows: unknown[] =
      kind === 'message'
        ? await this.dataSource.query(
            `SELECT 1 FROM notification_messages
              WHERE id = $2 AND recipient_kind = 'tutor' AND recipient_id = $1 AND status = 'sent'`,
            [tutorId, id],
          )
        : await this.dataSource.query(
            `SELECT 1 FROM interventions
              WHERE id = $2 AND tutor_id = $1 AND type = ANY($3::text[]) AND status <> 'cancelled'`,
            [tutorId, id, supportTypes],
          );
    return rows.length > 0;
  }

  // ------------------------------------------------------------------ student

  async studentBasics(
    studentId: string,
  ): Promise<{ name: string; birthYear: number; birthMonth: number } | null> {
    const [row]: { name: string; birth_year: number; birth_month: number }[] =
      await this.dataSource.query(
        'SELECT name, birth_year, birth_month FROM students WHERE id = $1',
        [studentId],
      );
    return row
      ? {
          name: this.cipher.decrypt(row.name),
          birthYear: row.birth_year,
          birthMonth: row.birth_month,
        }
      : null;
  }

  async studentSessions(
    studentId: string,
    limit: number,
    cursor: string | undefined,
  ): Promise<Page<StudentSession>> {
    const after = decodeCursor(cursor);
    const rows: {
      id: string;
      scheduled_start: Date;
      subject: string;
      duration_minutes: number;
      status: string;
      tutor_name: string;
      has_feedback: boolean;
    }[] = await this.dataSource.query(
      `SELECT s.id, s.scheduled_start, s.subject, s.duration_minutes, s.status,
              t.name AS tutor_name, (f.id IS NOT NULL) AS has_feedback
         FROM sessions s JOIN tutors t ON t.id = s.tutor_id
         LEFT JOIN student_feedback f ON f.session_id = s.id
        WHERE s.student_id = $1
          AND ($2::timestamptz IS NULL OR (s.scheduled_start, s.id) < ($2::timestamptz, $3::uuid))
        ORDER BY s.scheduled_start DESC, s.id DESC
        LIMIT $4`,
      [studentId, after?.value ?? null, after?.id ?? null, limit + 1],
    );
    const page = toPage(rows, limit, (r) => ({
      value: new Date(r.scheduled_start).toISOString(),
      id: r.id,
    }));
    return {
      items: page.items.map((r) => ({
        id: r.id,
        scheduledStart: r.scheduled_start,
        subject: r.subject,
        durationMinutes: r.duration_minutes,
        status: r.status,
        tutorName: r.tutor_name,
        feedbackGiven: r.has_feedback,
      })),
      nextCursor: page.nextCursor,
    };
  }

  async studentFeedback(
    studentId: string,
    limit: number,
    cursor: string | undefined,
  ): Promise<Page<AnonymousFeedback & { id: string; tutorName: string; comment: string | null }>> {
    const after = decodeCursor(cursor);
    const rows: (FeedbackRow & { tutor_name: string })[] = await this.dataSource.query(
      `SELECT f.id, f.submitted_at, s.subject, s.session_number, f.overall_rating,
              f.subject_knowledge_rating, f.communication_rating, f.patience_rating,
              f.engagement_rating, f.helpfulness_rating, f.would_recommend, f.work_again,
              f.improvement_areas, f.free_text, t.name AS tutor_name
         FROM student_feedback f
         JOIN sessions s ON s.id = f.session_id
         JOIN tutors t ON t.id = f.tutor_id
        WHERE f.student_id = $1
          AND ($2::timestamptz IS NULL OR (f.submitted_at, f.id) < ($2::timestamptz, $3::uuid))
        ORDER BY f.submitted_at DESC, f.id DESC
        LIMIT $4`,
      [studentId, after?.value ?? null, after?.id ?? null, limit + 1],
    );
    const page = toPage(rows, limit, (r) => ({
      value: new Date(r.submitted_at).toISOString(),
      id: r.id,
    }));
    return {
      items: page.items.map((r) => ({
        id: r.id,
        ...this.feedbackOf(r),
        tutorName: r.tutor_name,
        comment: r.free_text ? this.cipher.decrypt(r.free_text) : null,
      })),
      nextCursor: page.nextCursor,
    };
  }

  private feedbackOf(r: FeedbackRow): AnonymousFeedback {
    return {
      day: new Date(r.submitted_at).toISOString().slice(0, 10),
      subject: r.subject,
      firstSession: r.session_number === 1,
      overallRating: r.overall_rating,
      ratings: {
        subjectKnowledge: r.subject_knowledge_rating,
        communication: r.communication_rating,
        patience: r.patience_rating,
        engagement: r.engagement_rating,
        helpfulness: r.helpfulness_rating,
      },
      wouldRecommend: r.would_recommend,
      workAgain: r.work_again,
      improvementAreas: r.improvement_areas ?? [],
      comment: null,
    };
  }
}

interface FeedbackRow {
  id: string;
  submitted_at: Date;
  subject: string;
  session_number: number;
  overall_rating: number;
  subject_knowledge_rating: number | null;
  communication_rating: number | null;
  patience_rating: number | null;
  engagement_rating: number | null;
  helpfulness_rating: number | null;
  would_recommend: boolean | null;
  work_again: string | null;
  improvement_areas: string[] | null;
  free_text: string | null;
}

/** One piece of feedback as a tutor may see it: the day, never the student. */
export interface AnonymousFeedback {
  day: string;
  subject: string;
  firstSession: boolean;
  overallRating: number;
  ratings: Record<
    'subjectKnowledge' | 'communication' | 'patience' | 'engagement' | 'helpfulness',
    number | null
  >;
  wouldRecommend: boolean | null;
  workAgain: string | null;
  improvementAreas: string[];
  comment: string | null;
}

export interface FirstSessionResult {
  day: string;
  subject: string;
  status: string;
  rating: number | null;
  success: boolean | null;
  workAgain: string | null;
}

export interface InboxMessage {
  id: string;
  workflow: string;
  interventionType: string | null;
  sentAt: Date;
  acknowledgedAt: Date | null;
}

export interface InboxSupport {
  id: string;
  type: string;
  status: string;
  createdAt: Date;
  acknowledgedAt: Date | null;
}

export interface StudentSession {
  id: string;
  scheduledStart: Date;
  subject: string;
  durationMinutes: number;
  status: string;
  tutorName: string;
  feedbackGiven: boolean;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Replaces the student's name (each part of 2+ letters) in a comment with "[student]". */
export function redactName(comment: string, name: string): string {
  const parts = name
    .split(/\s+/)
    .map((p) => p.trim())
    .filter((p) => p.length >= 2);
  return parts.reduce(
    (text, part) =>
      text.replace(
        new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(part)}(?![\\p{L}\\p{N}])`, 'giu'),
        '[student]',
      ),
    comment,
  );
}
