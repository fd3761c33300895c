import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

export interface DomainEvent {
  type: string;
  /** Ids only, never personal data. */
  payload: Record<string, string | number | boolean | null>;
}

/** Appends events to the transactional outbox, inside the caller's transaction. */
@Injectable()
export class OutboxService {
  async append(manager: EntityManager, events: DomainEvent[]): Promise<void> {
    if (!events.length) return;
    await manager.query(
      `INSERT INTO outbox_events (event_type, payload)
       SELECT t, p FROM unnest($1::varchar[], $2::jsonb[]) AS u(t, p)`,
      [events.map((e) => e.type), events.map((e) => JSON.stringify(e.payload))],
    );
  }
}
