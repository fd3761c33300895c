import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock';
import { FieldCipher } from '../security/field-cipher';
import { ageOn } from '../tutoring/student-age';
import { CATEGORIES, NotificationLinks } from './notification-links';
import { NotificationResult, NotificationsService, Recipient } from './notifications.service';

const HOUR = 3_600_000;
const COPPA_AGE = 13;

interface SessionRow {
  id: string;
  student_id: string;
  tutor_id: string;
  tutor_name: string;
  tutor_email: string;
  subject: string;
  status: string;
  scheduled_start: Date;
  ends_at: Date;
  has_feedback: boolean;
  /** The student's columns, encrypted ones as stored (null when the student row is gone). */
  student_name: string | null;
  birth_year: number | null;
  birth_month: number | null;
  student_email: string | null;
  parent_email: string | null;
}

const SESSION_SQL = `
  SELECT s.id, s.student_id, s.tutor_id, t.name AS tutor_name, t.email AS tutor_email, s.subject,
         s.status, s.scheduled_start,
         s.scheduled_start + make_interval(mins => s.duration_minutes) AS ends_at,
         EXISTS (SELECT 1 FROM student_feedback f WHERE f.session_id = s.id) AS has_feedback,
         st.name AS student_name, st.birth_year, st.birth_month, st.email AS student_email,
         st.parent_email
    FROM sessions s JOIN tutors t ON t.id = s.tutor_id
    LEFT JOIN students st ON st.id = s.student_id`;

const day = (d: Date) => d.toISOString().slice(0, 10);

export type FeedbackOutcome = NotificationResult['status'] | 'not-eligible' | 'no-address';

/**
 * The scheduled and event-driven email workflows. Each one only decides who
 * gets what and calls NotificationsService.notify, whose (workflow, entity)
 * key makes a second run send nothing.
 */
@Injectable()
export class NotificationWorkflows {
  private readonly logger = new Logger('NotificationWorkflows');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly notifications: NotificationsService,
    private readonly links: NotificationLinks,
    private readonly clock: Clock,
    private readonly cipher: FieldCipher,
  ) {}

  private async session(id: string): Promise<SessionRow | undefined> {
    const [row]: SessionRow[] = await this.dataSource.query(`${SESSION_SQL} WHERE s.id = $1`, [id]);
    return row;
  }

  /**
   * Who is asked for feedback on a student's session: the student from 13, the
   * parent under 13 (never the child, whatever the consent status; the form
   * asks the parent for consent). Null when there is no address to use.
   */
  private feedbackRecipient(
    row: SessionRow,
  ): { to: Recipient; respondent: 'student' | 'parent'; studentName: string } | null {
    if (row.student_name === null || row.birth_year === null || row.birth_month === null)
      return null;
    const under13 = ageOn(row.birth_year, row.birth_month, this.clock.now()) < COPPA_AGE;
    const respondent = under13 ? 'parent' : 'student';
    const email = under13 ? row.parent_email : row.student_email;
    if (!email) return null;
    return {
      to: { kind: respondent, id: row.student_id, email: this.cipher.decrypt(email) },
      respondent,
      studentName: this.cipher.decrypt(row.student_name),
    };
  }

  private async feedbackRequest(
    row: SessionRow,
    workflow: 'feedback-invitation' | 'feedback-reminder',
  ): Promise<FeedbackOutcome> {
    const recipient = this.feedbackRecipient(row);
    if (!recipient) return 'no-address';
    const parent = recipient.respondent === 'parent';
    const r = await this.notifications.notify({
      workflow,
      entityKey: row.id,
      category: CATEGORIES.feedback,
      template: workflow,
      to: recipient.to,
      context: {
        forParent: parent,
        recipientName: parent ? 'parent or guardian' : recipient.studentName.split(' ')[0],
        studentName: recipient.studentName,
        tutorName: row.tutor_name,
        subject: row.subject,
        sessionDate: day(row.scheduled_start),
        url: this.links.feedbackUrl(row.id, recipient.respondent, this.clock.now()),
      },
    });
    return r.status;
  }

  /** session.recorded: invite feedback for a session completed in the last day that has none. */
  async feedbackInvitation(sessionId: string): Promise<FeedbackOutcome> {
    const row = await this.session(sessionId);
    const now = this.clock.now().getTime();
    if (
      !row ||
      row.status !== 'completed' ||
      row.has_feedback ||
      row.ends_at.getTime() > now + HOUR ||
      row.ends_at.getTime() < now - 24 * HOUR
    )
      return 'not-eligible';
    return this.feedbackRequest(row, 'feedback-invitation');
  }

  /** Completed sessions that ended 24–48 h ago with no feedback: one reminder each. */
  async feedbackReminders(): Promise<Record<string, number>> {
    const now = this.clock.now().getTime();
    const rows: SessionRow[] = await this.dataSource.query(
      `${SESSION_SQL}
        WHERE s.status = 'completed'
          AND s.scheduled_start >= $1::timestamptz - interval '1 day'
          AND s.scheduled_start + make_interval(mins => s.duration_minutes) BETWEEN $1 AND $2
          AND NOT EXISTS (SELECT 1 FROM student_feedback f WHERE f.session_id = s.id)
          AND NOT EXISTS (SELECT 1 FROM notification_messages m
                           WHERE m.workflow = 'feedback-reminder' AND m.entity_key = s.id::text)
        ORDER BY s.scheduled_start LIMIT 5000`,
      [new Date(now - 48 * HOUR), new Date(now - 24 * HOUR)],
    );
    return this.tally(rows, (row) => this.feedbackRequest(row, 'feedback-reminder'));
  }

  /** First sessions (not no-shows) that ended 2–6 h ago: check in with the tutor once. */
  async firstSessionCheckins(): Promise<Record<string, number>> {
    const now = this.clock.now().getTime();
    const rows: SessionRow[] = await this.dataSource.query(
      `${SESSION_SQL}
        WHERE s.session_number = 1 AND s.status = 'completed'
          AND s.scheduled_start >= $1::timestamptz - interval '1 day'
          AND s.scheduled_start + make_interval(mins => s.duration_minutes) BETWEEN $1 AND $2
          AND NOT EXISTS (SELECT 1 FROM notification_messages m
                           WHERE m.workflow = 'first-session-checkin' AND m.entity_key = s.id::text)
        ORDER BY s.scheduled_start LIMIT 5000`,
      [new Date(now - 6 * HOUR), new Date(now - 2 * HOUR)],
    );
    return this.tally(rows, async (row) => {
      const studentName = this.cipher.decryptNullable(row.student_name);
      const r = await this.notifications.notify({
        workflow: 'first-session-checkin',
        entityKey: row.id,
        category: CATEGORIES.tutorTips,
        template: 'first-session-checkin',
        to: { kind: 'tutor', id: row.tutor_id, email: row.tutor_email },
        context: {
          recipientName: row.tutor_name,
          studentName: (studentName ?? 'your student').split(' ')[0],
          subject: row.subject,
          sessionDate: day(row.scheduled_start),
        },
      });
      return r.status;
    });
  }

  /** Monday digest for every active operations manager: the last 7 days in figures. */
  async weeklyDigest(): Promise<Record<string, number>> {
    const now = this.clock.now();
    const from = new Date(now.getTime() - 7 * 24 * HOUR);
    const [figures]: {
      sessions: number;
      avg_rating: number | null;
      created: number;
      resolved: number;
      open: number;
      breaches: number;
    }[] = await this.dataSource.query(
      `SELECT
         (SELECT count(*)::int FROM sessions WHERE status = 'completed' AND scheduled_start >= $1 AND scheduled_start < $2) AS sessions,
         (SELECT round(avg(overall_rating)::numeric, 2)::float FROM student_feedback WHERE submitted_at >= $1 AND submitted_at < $2) AS avg_rating,
         (SELECT count(*)::int FROM interventions WHERE created_at >= $1 AND created_at < $2) AS created,
         (SELECT count(*)::int FROM interventions WHERE resolved_at >= $1 AND resolved_at < $2) AS resolved,
         (SELECT count(*)::int FROM interventions WHERE status NOT IN ('completed', 'cancelled')) AS open,
         (SELECT count(*)::int FROM intervention_sla_notices WHERE stage = 'breached' AND sent_at >= $1 AND sent_at < $2) AS breaches`,
      [from, now],
    );
    const managers: { id: string; email: string; full_name: string }[] =
      await this.dataSource.query(
        `SELECT id, email, full_name FROM users
          WHERE is_active AND 'operations_manager' = ANY(roles) ORDER BY email`,
      );
    const period = `${day(from)} to ${day(now)}`;
    return this.tally(managers, async (m) => {
      const r = await this.notifications.notify({
        workflow: 'weekly-digest',
        entityKey: `${day(now)}:${m.id}`,
        category: CATEGORIES.digest,
        template: 'weekly-digest',
        to: { kind: 'user', id: m.id, email: m.email },
        context: {
          recipientName: m.full_name,
          period,
          sessions: figures.sessions,
          avgRating: figures.avg_rating ?? 'no feedback',
          created: figures.created,
          resolved: figures.resolved,
          open: figures.open,
          breaches: figures.breaches,
          url: this.links.url('/dashboard'),
        },
        inApp: {
          userId: m.id,
          title: `Weekly digest ${period}`,
          body: `${figures.sessions} sessions, ${figures.created} new and ${figures.resolved} resolved interventions, ${figures.open} open, ${figures.breaches} SLA breaches.`,
          url: '/dashboard',
        },
      });
      return r.status;
    });
  }

  private async tally<T>(
    rows: T[],
    each: (row: T) => Promise<string>,
  ): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const row of rows) {
      const outcome = await each(row);
      counts[outcome] = (counts[outcome] ?? 0) + 1;
    }
    if (rows.length) this.logger.debug(`outcomes: ${JSON.stringify(counts)}`);
    return counts;
  }
}
