import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { RecipientKind } from './notification-message.entity';

/** A recipient's opt-out of one email category (set through a signed unsubscribe link). */
@Entity('notification_preferences')
export class NotificationPreference {
  @PrimaryColumn({ type: 'varchar', length: 10 })
  recipientKind: RecipientKind;

  @PrimaryColumn({ type: 'uuid' })
  recipientId: string;

  @PrimaryColumn({ type: 'varchar', length: 30 })
  category: string;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  unsubscribedAt: Date;
}
