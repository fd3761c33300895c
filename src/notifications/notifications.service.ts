import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { FieldCipher } from '../security/field-cipher';
import { outboxInsertSql, outboxWakeSql } from '../workers/outbox.service';
import type { RecipientKind } from './entities/notification-message.entity';
import type { Category } from './notification-links';

/** The event whose fan-out job delivers a message; its event id is the message id. */
export const MESSAGE_QUEUED_EVENT = 'notification.queued';
/**
 * The final outcome of a message whose sender set `reportOutcome`:
 * `{ messageId, workflow, entityKey, status }` with status sent, failed,
 * bounced or suppressed. Appended in the transaction that records it.
 */
export const MESSAGE_OUTCOME_EVENT = 'notification.outcome';

export function outcomeEvent(message: {
  id: string;
  workflow: string;
  entityKey: string;
  status: string;
}) {
  return {
    type: MESSAGE_OUTCOME_EVENT,
    payload: {
      messageId: message.id,
      workflow: message.workflow,
      entityKey: message.entityKey,
      status: message.status,
    },
  };
}

/**
 * SQL that is true when the recipient (kind, id) unsubscribed from the
 * category: each argument is an SQL expression (a parameter or a column).
 */
export const unsubscribedSql = (kind: string, id: string, category: string) =>
  `EXISTS (SELECT 1 FROM notification_preferences p
            WHERE p.recipient_kind = ${kind} AND p.recipient_id = ${id} AND p.category = ${category})`;

/** Why a message to someone who unsubscribed from its category was not sent (its `last_error`). */
export const unsubscribedReason = (category: string) =>
  `the recipient unsubscribed from ${category}`;

export interface Recipient {
  kind: RecipientKind;
  /** User, tutor or student id (a parent is addressed by the student's id). */
  id: string;
  email: string;
}

export interface NotificationRequest {
  /** Names the kind of message, e.g. `feedback-reminder`. */
  workflow: string;
  /** With the workflow, identifies the message: at most one per (workflow, entityKey). */
  entityKey: string;
  category: Category;
  /** Email template under views/emails. */
  template: string;
  to: Recipient;
  context: Record<string, unknown>;
  /** A matching entry in a staff member's in-app list. */
  inApp?: { userId: string; title: string; body: string; url: string | null };
  /** Append a `notification.outcome` event once the message is sent, fails for good or is suppressed. */
  reportOutcome?: boolean;
}

export interface NotificationResult {
  messageId: string | null;
  /** False when this (workflow, entity) was queued before: nothing new was sent. */
  created: boolean;
  status: 'queued' | 'suppressed' | 'duplicate';
}

/**
 * The way every module sends email: one row in the message log plus an outbox
 * event in one statement (in the caller's transaction, when given), so the message is
 * delivered by a queued job after commit, retried on its own, and sent at most
 * once per (workflow, entity). Staff messages also land in the in-app list.
 */
@Injectable()
export class NotificationsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly cipher: FieldCipher,
  ) {}

  /**
   * One statement (atomic without a transaction of its own; inside the
   * caller's when given): the message row (suppressed when the recipient
   * unsubscribed from the category), its outbox event (`notification.queued`,
   * or the outcome of a suppressed message whose sender asked for it), the
   * in-app entry, and the relay's wake-up. A (workflow, entity) logged before
   * stores nothing.
   */
  async notify(request: NotificationRequest, manager?: EntityManager): Promise<NotificationResult> {
    const r = request;
    // The id is chosen here so the events can name the message before it is stored.
    const id = randomUUID();
    const events = [
      { when: 'queued', id, type: MESSAGE_QUEUED_EVENT, payload: { messageId: id } },
      ...(r.reportOutcome
        ? [
            {
              when: 'suppressed',
              ...outcomeEvent({
                id,
                workflow: r.workflow,
                entityKey: r.entityKey,
                status: 'suppressed',
              }),
              id: null,
            },
          ]
        : []),
    ];
    const [row]: { id: string; status: 'queued' | 'suppressed' }[] = await (
      manager ?? this.dataSource.manager
    ).query(
      `WITH message AS (
         INSERT INTO notification_messages
           (id, workflow, entity_key, category, template, recipient_kind, recipient_id,
            recipient_email, context, status, last_error, report_outcome)
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9,
                CASE WHEN u.unsubscribed THEN 'suppressed' ELSE 'queued' END,
                CASE WHEN u.unsubscribed THEN $11 END,
                $10
           FROM (SELECT ${unsubscribedSql('$6', '$7', '$4')} AS unsubscribed) AS u
         ON CONFLICT (workflow, entity_key) DO NOTHING RETURNING id, status
       ),
       stored AS (${outboxInsertSql(
         `SELECT e.id, e.type, e.payload
            FROM message JOIN unnest($12::varchar[], $13::uuid[], $14::varchar[], $15::jsonb[])
                 AS e(status, id, type, payload) ON e.status = message.status`,
       )}),
       in_app AS (
         INSERT INTO in_app_notifications (user_id, message_id, title, body, url)
         SELECT $16, message.id, $17, $18, $19 FROM message WHERE $16::uuid IS NOT NULL
       )
       SELECT message.id, message.status, ${outboxWakeSql('stored')} AS woken FROM message`,
      [
        id,
        r.workflow,
        r.entityKey,
        r.category,
        r.template,
        r.to.kind,
        r.to.id,
        this.cipher.encrypt(r.to.email),
        this.cipher.encrypt(JSON.stringify(r.context)),
        r.reportOutcome ?? false,
        unsubscribedReason(r.category),
        events.map((e) => e.when),
        events.map((e) => e.id),
        events.map((e) => e.type),
        events.map((e) => JSON.stringify(e.payload)),
        r.inApp?.userId ?? null,
        r.inApp?.title.slice(0, 300) ?? null,
        r.inApp?.body ?? null,
        r.inApp?.url ?? null,
      ],
    );
    if (!row) return { messageId: null, created: false, status: 'duplicate' };
    return { messageId: row.id, created: true, status: row.status };
  }

  /** A logged message's status and last error, by its (workflow, entity) key; null if none. */
  async messageStatus(
    workflow: string,
    entityKey: string,
  ): Promise<{ id: string; status: string; lastError: string | null } | null> {
    const [row]: { id: string; status: string; last_error: string | null }[] =
      await this.dataSource.query(
        'SELECT id, status, last_error FROM notification_messages WHERE workflow = $1 AND entity_key = $2',
        [workflow, entityKey],
      );
    return row ? { id: row.id, status: row.status, lastError: row.last_error } : null;
  }

  /** An in-app entry with no email (e.g. for staff who unsubscribed). */
  async inApp(
    entry: { userId: string; title: string; body: string; url: string | null },
    manager?: EntityManager,
  ): Promise<void> {
    await (manager ?? this.dataSource.manager).query(
      `INSERT INTO in_app_notifications (user_id, title, body, url) VALUES ($1, $2, $3, $4)`,
      [entry.userId, entry.title.slice(0, 300), entry.body, entry.url],
    );
  }
}
