import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { MissingRecordError, PermanentJobError } from '../workers/job-errors';
import { NotificationMessage } from './entities/notification-message.entity';
import { CATEGORIES, NotificationLinks } from './notification-links';
import { MailService } from './mail.service';
import { outcomeEvent, unsubscribedReason, unsubscribedSql } from './notifications.service';
import { OutboxService } from '../workers/outbox.service';

/** How an SMTP (or rendering) failure should be handled. */
export type FailureKind = 'bounced' | 'permanent' | 'transient';

/**
 * 5xx replies are permanent: a refused recipient (at RCPT, EENVELOPE) is a
 * bounce, any other 5xx a failure. Everything else (4xx, connection refused,
 * timeouts, DNS) is transient and retried with backoff.
 */
export function classifySmtpError(error: unknown): FailureKind {
  const e = error as { responseCode?: unknown; code?: unknown };
  const code = typeof e?.responseCode === 'number' ? e.responseCode : undefined;
  if (code !== undefined && code >= 500 && code < 600)
    return e.code === 'EENVELOPE' ? 'bounced' : 'permanent';
  return 'transient';
}

/** Rewrites the app's own links in a context (`url`, `action.url`) to go through click tracking. */
function trackLinks(
  context: Record<string, unknown>,
  links: NotificationLinks,
  messageId: string,
): Record<string, unknown> {
  const wrap = (value: unknown) =>
    typeof value === 'string' && links.ownUrl(value) ? links.clickUrl(messageId, value) : value;
  const out: Record<string, unknown> = { ...context };
  if ('url' in out) out.url = wrap(out.url);
  const action = out.action as Record<string, unknown> | null | undefined;
  if (action && typeof action === 'object' && 'url' in action)
    out.action = { ...action, url: wrap(action.url) };
  return out;
}

/** Writes what a delivery attempt changed (an UPDATE of those columns, no reload as `save` does). */
function recordAttempt(m: EntityManager, message: NotificationMessage) {
  const { status, attempts, lastError, sentAt, failedAt, smtpMessageId, emlFile } = message;
  return m
    .getRepository(NotificationMessage)
    .update(message.id, { status, attempts, lastError, sentAt, failedAt, smtpMessageId, emlFile });
}

export interface DeliveryAttempt {
  /** This is the job's last attempt: a transient failure now counts as failed. */
  lastAttempt: boolean;
}

/** Sends one logged message and records the outcome; idempotent (only a queued message is sent). */
@Injectable()
export class MessageDelivery {
  private readonly logger = new Logger('MessageDelivery');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly mail: MailService,
    private readonly links: NotificationLinks,
    private readonly clock: Clock,
    private readonly outbox: OutboxService,
  ) {}

  async deliver(messageId: string, attempt: DeliveryAttempt): Promise<{ status: string }> {
    let failure: { kind: FailureKind; error: unknown } | null = null;
    const status = await this.dataSource.transaction(async (m) => {
      // The message, locked, and whether its recipient unsubscribed from its category: one
      // statement. (The check sees the preferences as of the statement's start, before any wait
      // for the lock; only another attempt at this message holds that lock, for milliseconds.)
      const { entities, raw } = await m
        .getRepository(NotificationMessage)
        .createQueryBuilder('msg')
        .addSelect(
          unsubscribedSql('msg.recipient_kind', 'msg.recipient_id', 'msg.category'),
          'unsubscribed',
        )
        .where('msg.id = :id', { id: messageId })
        .setLock('pessimistic_write')
        .getRawAndEntities<{ unsubscribed: boolean }>();
      const [message] = entities;
      if (!message) throw new MissingRecordError('notification message', messageId);
      if (message.status !== 'queued') return message.status;
      if (raw[0].unsubscribed) {
        message.status = 'suppressed';
        message.lastError = unsubscribedReason(message.category);
        await recordAttempt(m, message);
        if (message.reportOutcome) await this.outbox.append(m, [outcomeEvent(message)]);
        return message.status;
      }
      const unsubscribable = message.category !== CATEGORIES.account;
      const unsubscribeUrl = unsubscribable
        ? this.links.unsubscribeUrl({
            kind: message.recipientKind,
            id: message.recipientId,
            category: message.category,
          })
        : undefined;
      message.attempts += 1;
      try {
        const context = JSON.parse(message.context) as Record<string, unknown>;
        const sent = await this.mail.send({
          to: message.recipientEmail,
          template: message.template,
          context: unsubscribable ? trackLinks(context, this.links, message.id) : context,
          tracking: unsubscribable
            ? { unsubscribeUrl, pixelUrl: this.links.openPixelUrl(message.id) }
            : {},
          headers: unsubscribeUrl
            ? {
                'List-Unsubscribe': `<${unsubscribeUrl}>`,
                'X-TutorMax-Message': message.id,
              }
            : { 'X-TutorMax-Message': message.id },
        });
        message.status = 'sent';
        message.sentAt = this.clock.now();
        message.smtpMessageId = sent.messageId.slice(0, 300);
        message.emlFile = sent.file ? sent.file.split(/[\\/]/).pop()!.slice(0, 300) : null;
        message.lastError = null;
      } catch (error) {
        // A template that cannot render never will: permanent, like a 5xx.
        const kind =
          error instanceof Error && /template|not defined in/i.test(error.message)
            ? 'permanent'
            : classifySmtpError(error);
        failure = { kind, error };
        message.lastError = (error instanceof Error ? error.message : String(error)).slice(0, 1000);
        if (kind !== 'transient' || attempt.lastAttempt) {
          message.status = kind === 'bounced' ? 'bounced' : 'failed';
          message.failedAt = this.clock.now();
        }
      }
      await recordAttempt(m, message);
      if (message.reportOutcome && message.status !== 'queued')
        await this.outbox.append(m, [outcomeEvent(message)]);
      return message.status;
    });
    if (failure) {
      const { kind, error } = failure as { kind: FailureKind; error: unknown };
      const text = error instanceof Error ? error.message : String(error);
      if (kind !== 'transient')
        throw new PermanentJobError(`message ${messageId} ${kind}: ${text}`);
      this.logger.warn(`message ${messageId}: transient failure, will retry: ${text}`);
      throw error instanceof Error ? error : new Error(text);
    }
    return { status };
  }
}
