import { Injectable } from '@nestjs/common';
import type { Job } from 'bull';
import { JobProcessor } from '../workers/job-processor.decorator';
import { JOBS } from '../workers/queues';
import {
  DeliverMessageJob,
  FeedbackInvitationJob,
  NotificationSweepJob,
} from './dto/notification-jobs.dto';
import { MessageDelivery } from './message-delivery.service';
import { NotificationWorkflows } from './notification-workflows.service';
import { MESSAGE_QUEUED_EVENT } from './notifications.service';

/** The notifications queue's processors: thin, payloads validated by the job machinery. */
@Injectable()
export class NotificationsProcessor {
  constructor(
    private readonly delivery: MessageDelivery,
    private readonly workflows: NotificationWorkflows,
  ) {}

  /** Transient SMTP failures throw and are retried with backoff; 5xx fail at once. */
  @JobProcessor(JOBS.notifications.deliverMessage, {
    payload: DeliverMessageJob,
    concurrency: 4,
    events: [MESSAGE_QUEUED_EVENT],
  })
  deliver(payload: DeliverMessageJob, job: Job) {
    return this.delivery.deliver(payload.messageId, {
      lastAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1),
    });
  }

  @JobProcessor(JOBS.notifications.feedbackInvitation, {
    payload: FeedbackInvitationJob,
    concurrency: 4,
    events: ['session.recorded'],
  })
  async feedbackInvitation(payload: FeedbackInvitationJob) {
    return { outcome: await this.workflows.feedbackInvitation(payload.sessionId) };
  }

  @JobProcessor(JOBS.notifications.feedbackReminders, { payload: NotificationSweepJob })
  feedbackReminders() {
    return this.workflows.feedbackReminders();
  }

  @JobProcessor(JOBS.notifications.firstSessionCheckins, { payload: NotificationSweepJob })
  firstSessionCheckins() {
    return this.workflows.firstSessionCheckins();
  }

  @JobProcessor(JOBS.notifications.weeklyDigest, { payload: NotificationSweepJob })
  weeklyDigest() {
    return this.workflows.weeklyDigest();
  }
}
