import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

export interface InAppItem {
  id: string;
  title: string;
  body: string;
  url: string | null;
  createdAt: Date;
  read: boolean;
}

/**
 * The unread count of user `$1` (one index-only count on the partial unread
 * index); also a subquery of the session check on page views (RequestAuthenticator).
 */
export const UNREAD_COUNT_SQL =
  'SELECT count(*)::int AS n FROM in_app_notifications WHERE user_id = $1 AND read_at IS NULL';

/** A staff member's in-app notifications; every query is scoped to the caller's user id. */
@Injectable()
export class InAppNotifications {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** One index-only count on the partial unread index. */
  async unreadCount(userId: string): Promise<number> {
    const [row]: { n: number }[] = await this.dataSource.query(UNREAD_COUNT_SQL, [userId]);
    return row?.n ?? 0;
  }

  async list(userId: string, limit = 50): Promise<InAppItem[]> {
    const rows: {
      id: string;
      title: string;
      body: string;
      url: string | null;
      created_at: Date;
      read_at: Date | null;
    }[] = await this.dataSource.query(
      `SELECT id, title, body, url, created_at, read_at FROM in_app_notifications
        WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`,
      [userId, limit],
    );
    return rows.map((r) => ({
      id: r.id,
      title: r.title,
      body: r.body,
      url: r.url,
      createdAt: r.created_at,
      read: r.read_at !== null,
    }));
  }

  async markRead(userId: string, id: string): Promise<void> {
    const rows: unknown[] = await this.dataSource.query(
      `UPDATE in_app_notifications SET read_at = coalesce(read_at, now())
        WHERE id = $1 AND user_id = $2 RETURNING 1`,
      [id, userId],
    );
    if (!rows.length) throw new NotFoundException(`No notification with id ${id}`);
  }

  async markAllRead(userId: string): Promise<number> {
    const rows: unknown[] = await this.dataSource.query(
      `UPDATE in_app_notifications SET read_at = now()
        WHERE user_id = $1 AND read_at IS NULL RETURNING 1`,
      [userId],
    );
    return rows.length;
  }
}
