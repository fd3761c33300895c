import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { UnsubscribeClaim } from './notification-links';

/** Opens, clicks and unsubscribes recorded from the links in sent email. */
@Injectable()
export class NotificationTracking {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async opened(messageId: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE notification_messages SET opened_at = coalesce(opened_at, now()) WHERE id = $1`,
      [messageId],
    );
  }

  /** A click also proves the message was opened (images are often blocked). */
  async clicked(messageId: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `UPDATE notification_messages
          SET click_count = click_count + 1,
              first_clicked_at = coalesce(first_clicked_at, now()),
              opened_at = coalesce(opened_at, now())
        WHERE id = $1 RETURNING 1`,
      [messageId],
    );
    return rows.length > 0;
  }

  async unsubscribe(claim: UnsubscribeClaim): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO notification_preferences (recipient_kind, recipient_id, category)
       VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
      [claim.kind, claim.id, claim.category],
    );
  }

  async resubscribe(claim: UnsubscribeClaim): Promise<void> {
    await this.dataSource.query(
      `DELETE FROM notification_preferences
        WHERE recipient_kind = $1 AND recipient_id = $2 AND category = $3`,
      [claim.kind, claim.id, claim.category],
    );
  }
}
