import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { MailService } from '../notifications/mail.service';
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

/**
 * Every email of the interventions module goes through here, so moving
 * delivery onto the notifications queue later is a change in one place.
 */
@Injectable()
export class InterventionMailer {
  constructor(
    private readonly mail: MailService,
    private readonly config: AppConfig,
  ) {}

  /** The automated intervention's email to the tutor. */
  async sendAutomated(
    type: InterventionType,
    tutor: { name: string; email: string },
    reason: string,
  ): Promise<void> {
    const copy = AUTOMATED_COPY[type];
    if (!copy) throw new Error(`${type} is not an automated intervention`);
    await this.mail.send({
      to: tutor.email,
      template: 'intervention-automated',
      context: { ...copy, tutorName: tutor.name, reason },
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
    const base = this.config.PUBLIC_URL ?? `http://localhost:${this.config.PORT}`;
    await this.mail.send({
      to: to.email,
      template: 'intervention-sla',
      context: {
        ...notice,
        recipientName: to.fullName,
        typeLabel: INTERVENTION_TYPE_INFO[notice.type].label,
        dueAt: notice.dueAt.toISOString().replace('T', ' ').slice(0, 16) + ' UTC',
        url: `${base.replace(/\/$/, '')}/interventions/${notice.interventionId}`,
      },
    });
  }
}
