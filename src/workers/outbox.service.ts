import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

export interface DomainEvent {
  /** `module.what-happened`, e.g. `session.recorded`. */
  type: string;
  /** Ids, and flags that subscriptions filter on (see `when` on @JobProcessor); never personal data. */
  payload: Record<string, string | number | boolean | null>;
  /**
   * A deterministic id (see eventIdFor) makes the append idempotent: a retried
   * job that appends the same event again stores nothing the second time.
   * Default: a random id.
   */
  id?: string;
}

/** The channel the outbox relay LISTENs on. */
export const OUTBOX_CHANNEL = 'outbox_events';

/** Appends events to the transactional outbox, inside the caller's transaction. */
@Injectable()
export class OutboxService {
  /**
   * One statement: the rows, plus a NOTIFY that PostgreSQL delivers when (and
   * only if) the caller's transaction commits, so the relay wakes at once.
   */
  async append(manager: EntityManager, events: DomainEvent[]): Promise<void> {
    if (!events.length) return;
    await manager.query(
      `WITH stored AS (
         INSERT INTO outbox_events (id, event_type, payload)
         SELECT coalesce(i, gen_random_uuid()), t, p
         FROM unnest($1::uuid[], $2::varchar[], $3::jsonb[]) AS u(i, t, p)
         ON CONFLICT (id) DO NOTHING
         RETURNING 1
       )
       SELECT pg_notify('${OUTBOX_CHANNEL}', '') FROM (SELECT 1 FROM stored LIMIT 1) AS any_stored`,
      [
        events.map((e) => e.id ?? null),
        events.map((e) => e.type),
        events.map((e) => JSON.stringify(e.payload)),
      ],
    );
  }
}
