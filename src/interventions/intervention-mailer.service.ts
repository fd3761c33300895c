import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { CATEGORIES, NotificationLinks } from '../notifications/notification-links';
import { NotificationsService } from '../notifications/notifications.service';
import { INTERVENTION_TYPE_INFO, InterventionType } from './intervention.constants';

/** The tutor-facing copy of each automated type (DOMAIN.md §6.1 subjects). */
const AUTOMATED_COPY: Partial<
  Record<
    InterventionType,
    { subject: string; heading: string; paragraphs: string[]; tips: string[] }
  >
> = {
  automated_coaching: {
    subject: '💡 Coaching Tips to Enhance Your Performance',
    heading: 'A few tips for your next sessions',
    paragraphs: [
      'We noticed a change in your recent sessions and put together some ideas that help.',
    ],
    tips: [
      'Open each session by agreeing one goal with the student.',
      'Check understanding every ten minutes with a short question.',
      'Close with a two-line summary and what to practise next.',
    ],
  },
  training_module: {
    subject: '📚 New Training Modules Available for You',
    heading: 'New training for you',
    paragraphs: [
      'A short training module has been added to your account. Please complete it within 7 days.',
    ],
    tips: ['Session structure and pacing', 'Keeping students engaged online'],
  },
  rescheduling_alert: {
    subject: '📅 Scheduling Reminder: Consistency Matters',
    heading: 'Consistency matters to your students',
    paragraphs: [
      'Several of your recent sessions were rescheduled. Students do best with a steady routine.',
      'If your availability has changed, update it so that new sessions fit your week.',
    ],
    tips: [],
  },
  recognition: {
    subject: "🌟 Outstanding Work - You're Making a Difference!",
    heading: 'Thank you for your outstanding work',
    paragraphs: ['Your students rate you highly and your sessions are consistently engaging.'],
    tips: [],
  },
};

export interface StaffRecipient {
  email: string;
  fullName: string;
}

/** The message-log workflow of automated interventions' emails (entity key: the intervention id). */
export const AUTOMATED_WORKFLOW = 'intervention-automated';

/** Tutor-initiated reschedules in 14 days from which the tutor's manager is told too. */
export const RESCHEDULE_ESCALATION_COUNT = 6;

/**
 * Every email of the interventions module goes through here, onto the
 * notifications module's logged, queued path: one message per (workflow,
 * entity), delivered by a retried job, with in-app entries for staff.
 */
@Injectable()
export class InterventionMailer {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly notifications: NotificationsService,
    private readonly links: NotificationLinks,
  ) {}

  /**
   * The automated intervention's email to the tutor, queued on the message log
   * with its outcome reported back (`notification.outcome`). Answers the
   * message's status: queued, suppressed, or (a retry) whatever it is now.
   */
  async sendAutomated(iv: {
    id: string;
    type: InterventionType;
    reason: string;
    tutorId: string;
    tutorName: string;
    tutorEmail: string;
    managerUserId: string | null;
  }): Promise<{ status: string; lastError: string | null }> {
    const copy = AUTOMATED_COPY[iv.type];
    if (!copy) throw new Error(`${iv.type} is not an automated intervention`);
    const r = await this.notifications.notify({
      workflow: AUTOMATED_WORKFLOW,
      entityKey: iv.id,
      category: CATEGORIES.tutorTips,
      template: 'intervention-automated',
      to: { kind: 'tutor', id: iv.tutorId, email: iv.tutorEmail },
      // Never the intervention's reason or evidence: those are internal (they may name a
      // churn score); the tutor gets the type's own wording.
      context: { ...copy, tutorName: iv.tutorName },
      reportOutcome: true,
    });
    if (iv.type === 'rescheduling_alert' && iv.managerUserId)
      await this.rescheduleEscalation(iv.id, iv.tutorId, iv.managerUserId, iv.tutorName);
    if (r.status !== 'duplicate') return { status: r.status, lastError: null };
    const logged = await this.notifications.messageStatus(AUTOMATED_WORKFLOW, iv.id);
    return logged ?? { status: 'queued', lastError: null };
  }

  /** "Assigned to you": once per (intervention, assignee), email and in-app; skipped if no longer theirs. */
  async sendAssignmentNotice(
    interventionId: string,
    assigneeId: string,
  ): Promise<{ status: string }> {
    const [row]: {
      id: string;
      user_id: string;
      email: string;
      full_name: string;
      tutor_name: string;
      type: InterventionType;
      priority: string;
      reason: string;
    }[] = await this.dataSource.query(
      `SELECT i.id, u.id AS user_id, u.email, u.full_name, t.name AS tutor_name, i.type, i.priority, i.reason
         FROM interventions i
         JOIN tutors t ON t.id = i.tutor_id
         JOIN users u ON u.id = i.assignee_user_id AND u.is_active
        WHERE i.id = $1 AND i.assignee_user_id = $2 AND i.status NOT IN ('completed', 'cancelled')`,
      [interventionId, assigneeId],
    );
    if (!row) return { status: 'not-assigned' };
    const path = `/interventions/${row.id}`;
    const title = `Assigned to you: ${INTERVENTION_TYPE_INFO[row.type].label} for ${row.tutor_name}`;
    const r = await this.notifications.notify({
      workflow: 'intervention-assigned',
      entityKey: `${row.id}:${row.user_id}`,
      category: CATEGORIES.staffNotices,
      template: 'notice',
      to: { kind: 'user', id: row.user_id, email: row.email },
      context: {
        title,
        recipientName: row.full_name,
        paragraphs: [`Priority: ${row.priority}.`, row.reason],
        action: { label: 'Open the intervention', url: this.links.url(path) },
      },
      inApp: {
        userId: row.user_id,
        title,
        body: `Priority ${row.priority}. ${row.reason}`,
        url: path,
      },
    });
    return { status: r.status };
  }

  /** 6+ tutor-initiated reschedules in 14 days: the tutor's manager hears of it too. */
  private async rescheduleEscalation(
    interventionId: string,
    tutorId: string,
    managerId: string,
    tutorName: string,
  ): Promise<void> {
    const [row]: { n: number; email: string; full_name: string }[] = await this.dataSource.query(
      `SELECT (SELECT count(*)::int FROM sessions
                WHERE tutor_id = $1 AND tutor_initiated_reschedule
                  AND scheduled_start >= now() - interval '14 days') AS n,
              u.email, u.full_name
         FROM users u WHERE u.id = $2 AND u.is_active`,
      [tutorId, managerId],
    );
    if (!row || row.n < RESCHEDULE_ESCALATION_COUNT) return;
    const title = `${tutorName} rescheduled ${row.n} sessions in 14 days`;
    const path = `/interventions/${interventionId}`;
    await this.notifications.notify({
      workflow: 'reschedule-escalation',
      entityKey: interventionId,
      category: CATEGORIES.staffNotices,
      template: 'notice',
      to: { kind: 'user', id: managerId, email: row.email },
      context: {
        title,
        recipientName: row.full_name,
        paragraphs: [
          `${tutorName} initiated ${row.n} reschedules in the last 14 days (${RESCHEDULE_ESCALATION_COUNT} or more escalate to you).`,
          'The tutor has been sent a scheduling reminder. A conversation may help.',
        ],
        action: { label: 'Open the intervention', url: this.links.url(path) },
      },
      inApp: {
        userId: managerId,
        title,
        body: 'The tutor was sent a scheduling reminder.',
        url: path,
      },
    });
  }

  /** An SLA warning, breach or escalation to one member of staff. */
  async sendSlaNotice(
    to: StaffRecipient,
    notice: {
      interventionId: string;
      subject: string;
      heading: string;
      summary: string;
      tutorName: string;
      type: InterventionType;
      priority: string;
      targetLabel: string;
      dueAt: Date;
      assigneeName: string;
    },
  ): Promise<void> {
    const [user]: { id: string }[] = await this.dataSource.query(
      `SELECT id FROM users WHERE lower(email) = lower($1) ORDER BY is_active DESC LIMIT 1`,
      [to.email],
    );
    if (!user) throw new Error(`no user with the address of an SLA notice recipient`);
    const path = `/interventions/${notice.interventionId}`;
    const stage = createHash('sha256')
      .update(`${notice.targetLabel}|${notice.heading}`)
      .digest('hex');
    await this.notifications.notify({
      workflow: 'intervention-sla',
      entityKey: `${notice.interventionId}:${stage.slice(0, 16)}:${user.id}`,
      category: CATEGORIES.staffNotices,
      template: 'intervention-sla',
      to: { kind: 'user', id: user.id, email: to.email },
      context: {
        ...notice,
        recipientName: to.fullName,
        typeLabel: INTERVENTION_TYPE_INFO[notice.type].label,
        dueAt: notice.dueAt.toISOString().replace('T', ' ').slice(0, 16) + ' UTC',
        url: this.links.url(path),
      },
      inApp: {
        userId: user.id,
        title: notice.subject,
        body: `${notice.summary} ${notice.targetLabel} was due ${notice.dueAt.toISOString().replace('T', ' ').slice(0, 16)} UTC; assignee: ${notice.assigneeName}.`,
        url: path,
      },
    });
  }
}
