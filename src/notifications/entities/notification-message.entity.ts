import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { encrypted } from '../../database/encrypted-column';
import type { EncryptedColumnSpec } from '../../security/encryption-rotation';

export const MESSAGE_STATUSES = ['queued', 'sent', 'failed', 'bounced', 'suppressed'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

export const RECIPIENT_KINDS = ['user', 'tutor', 'student', 'parent'] as const;
/** Who a message is for: a user, a tutor, a student, or a student's parent (id = the student's). */
export type RecipientKind = (typeof RECIPIENT_KINDS)[number];

/**
 * One email, from queued to sent, failed (permanent or out of retries),
 * bounced (the server refused the recipient) or suppressed (unsubscribed).
 * Unique per (workflow, entity_key): a workflow sends at most one message per
 * entity, however often its job runs. The address and the template context are
 * encrypted at rest; the recipient is also referenced by kind and id.
 */
@Entity('notification_messages')
@Index('uq_notification_messages_workflow_entity', ['workflow', 'entityKey'], { unique: true })
@Index('idx_notification_messages_queued_at', ['queuedAt'])
export class NotificationMessage {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 60 })
  workflow: string;

  @Column({ type: 'varchar', length: 200 })
  entityKey: string;

  @Column({ type: 'varchar', length: 30 })
  category: string;

  @Column({ type: 'varchar', length: 60 })
  template: string;

  @Column({ type: 'varchar', length: 10 })
  recipientKind: RecipientKind;

  @Column({ type: 'uuid' })
  recipientId: string;

  @Column({ type: 'text', transformer: encrypted })
  recipientEmail: string;

  /** JSON of the template context (names, links), encrypted. */
  @Column({ type: 'text', transformer: encrypted })
  context: string;

  @Column({ type: 'varchar', length: 12, default: 'queued' })
  status: MessageStatus;

  @Column({ type: 'int', default: 0 })
  attempts: number;

  @Column({ type: 'text', nullable: true })
  lastError: string | null;

  @Column({ type: 'varchar', length: 300, nullable: true })
  smtpMessageId: string | null;

  @Column({ type: 'varchar', length: 300, nullable: true })
  emlFile: string | null;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  queuedAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  sentAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  failedAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  openedAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  firstClickedAt: Date | null;

  @Column({ type: 'int', default: 0 })
  clickCount: number;

  /** The sender asked to hear the final outcome: a `notification.outcome` event is appended with it. */
  @Column({ type: 'boolean', default: false })
  reportOutcome: boolean;
}

/** What `npm run encryption:rotate` walks for the message log. */
export const NOTIFICATION_ENCRYPTED_COLUMNS: EncryptedColumnSpec[] = [
  { table: 'notification_messages', column: 'recipient_email' },
  { table: 'notification_messages', column: 'context' },
];
