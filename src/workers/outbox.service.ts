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

/**
 * For a caller that stores its events in its own statement (a statement is
 * atomic, so it needs no transaction around it): the body of a data-modifying
 * CTE that appends the rows `select` yields, as columns (id: uuid, null for a
 * random one; event_type; payload: jsonb), skipping ids already stored.
 * Pair it with `outboxWakeSql`.
 */
export const outboxInsertSql = (select: string) =>
  `INSERT INTO outbox_events (id, event_type, payload)
   SELECT coalesce(e.id, gen_random_uuid()), e.event_type, e.payload
     FROM (${select}) AS e(id, event_type, payload)
   ON CONFLICT (id) DO NOTHING
   RETURNING 1`;

/**
 * An expression that NOTIFYs the relay when the CTE named `cte` (an
 * `outboxInsertSql`) stored any row; PostgreSQL delivers it when (and only if)
 * the transaction commits, so the relay wakes at once. Select it once.
 */
export const outboxWakeSql = (cte: string) =>
  `(SELECT pg_notify('${OUTBOX_CHANNEL}', '') FROM (SELECT 1 FROM ${cte} LIMIT 1) AS any_stored)`;

/** Appends events to the transactional outbox, inside the caller's transaction. */
@Injectable()
export class OutboxService {
  /** One statement: the rows, plus the relay's wake-up (see outboxWakeSql). */
  async append(manager: EntityManager, events: DomainEvent[]): Promise<void> {
    if (!events.length) return;
    await manager.query(
      `WITH stored AS (${outboxInsertSql('SELECT * FROM unnest($1::uuid[], $2::varchar[], $3::jsonb[])')})
       SELECT ${outboxWakeSql('stored')}`,
      [
        events.map((e) => e.id ?? null),
        events.map((e) => e.type),
        events.map((e) => JSON.stringify(e.payload)),
      ],
    );
  }
}
