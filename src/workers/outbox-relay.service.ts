import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { DomainEventJob } from './domain-event.dto';
import { addHandlerJobs, HandlerJob, handlerJobsOf } from './event-routing';
import { validateJobPayload } from './job-payload';
import { JobRegistry } from './job-registry';
import { OUTBOX_CHANNEL } from './outbox.service';
import { QueueRegistry } from './queue-registry';

/** Events claimed per transaction. */
export const RELAY_BATCH_SIZE = 500;
/**
 * After a NOTIFY (or the poll) the relay waits this long before claiming, so
 * the events committed meanwhile go in the same transaction and the same
 * Redis round trip per queue: under load one pass per commit was most of the
 * relay's cost. Events reach their handlers that much later.
 */
export const RELAY_GATHER_MS = 100;
/** A publish that Redis has not acknowledged by then is rolled back and retried. */
const PUBLISH_TIMEOUT_MS = 5_000;
const MAX_BACKOFF_MS = 10_000;
const LISTEN_RECONNECT_MS = 2_000;
const STILL_FAILING_LOG_MS = 30_000;

interface OutboxRow {
  id: string;
  event_type: string;
  payload: Record<string, string | number | boolean | null>;
  created_at: Date;
}

/**
 * Publishes outbox rows as one job per subscribed handler that wants it (job
 * id `<eventId>:<queue>.<job>`, see handlerJobsOf) and marks them published,
 * in batches claimed with FOR UPDATE SKIP LOCKED so several worker replicas
 * share the rows without taking one twice.
 *
 * Driven by a loop in worker-role processes (not a timer per replica firing
 * regardless of work): it drains while there are rows, then sleeps until a
 * PostgreSQL NOTIFY (sent by OutboxService in the writer's transaction, so it
 * arrives on commit) or OUTBOX_POLL_MS, the fallback for a lost LISTEN
 * connection. When Redis does not answer, the batch's transaction rolls back,
 * the rows stay unpublished in PostgreSQL and the loop retries with backoff.
 * A crash between publishing and committing publishes again on restart, which
 * Bull ignores (the job id exists).
 */
@Injectable()
export class OutboxRelay {
  private readonly logger = new Logger('OutboxRelay');
  private loopDone: Promise<void> | null = null;
  private listenDone: Promise<void> | null = null;
  private stopping = false;
  private notified = false;
  private readonly wakers = new Set<(reason: 'stop' | 'notify') => void>();
  private listener: Client | null = null;
  private failures = 0;
  private failingSince = 0;
  private lastFailureLog = 0;

  constructor(
    private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly queues: QueueRegistry,
    private readonly registry: JobRegistry,
  ) {}

  get running(): boolean {
    return this.loopDone !== null;
  }

  start(): void {
    if (this.loopDone) return;
    this.stopping = false;
    this.listenDone = this.listen();
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    if (!this.loopDone) return;
    this.stopping = true;
    for (const wake of [...this.wakers]) wake('stop');
    await this.listener?.end().catch(() => undefined);
    await Promise.all([this.loopDone, this.listenDone]);
    this.loopDone = null;
    this.listenDone = null;
  }

  /** Publishes one batch; returns how many rows it claimed. */
  async relayBatch(): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const rows: OutboxRow[] = await manager.query(
        `SELECT id, event_type, payload, created_at FROM outbox_events
         WHERE published_at IS NULL AND failed_at IS NULL
         ORDER BY created_at
         LIMIT $1
         FOR UPDATE SKIP LOCKED`,
        [RELAY_BATCH_SIZE],
      );
      if (!rows.length) return 0;
      const jobs: HandlerJob[] = [];
      const published: string[] = [];
      const invalid: { id: string; error: string }[] = [];
      for (const row of rows) {
        try {
          const event = validateJobPayload(
            DomainEventJob,
            {
              eventId: row.id,
              type: row.event_type,
              occurredAt: row.created_at.toISOString(),
              payload: row.payload,
            },
            'outbox event',
          );
          const routed = handlerJobsOf(this.registry, event);
          if (routed.problems.length) {
            invalid.push({ id: row.id, error: routed.problems.join('; ') });
            continue;
          }
          jobs.push(...routed.jobs);
          published.push(row.id);
        } catch (error) {
          // Whatever this row's problem, it must not hold up the rows behind it.
          invalid.push({ id: row.id, error: (error as Error).message });
        }
      }
      if (jobs.length) {
        await withTimeout(
          addHandlerJobs(this.queues, jobs),
          PUBLISH_TIMEOUT_MS,
          'Redis did not acknowledge the publish',
        );
      }
      if (published.length) {
        await manager.query(
          `UPDATE outbox_events SET published_at = now(), attempts = attempts + 1
           WHERE id = ANY($1::uuid[])`,
          [published],
        );
      }
      if (invalid.length) {
        // A malformed row can never be published: park it where it can be inspected.
        await manager.query(
          `UPDATE outbox_events o SET failed_at = now(), attempts = o.attempts + 1, last_error = u.error
           FROM unnest($1::uuid[], $2::text[]) AS u(id, error) WHERE o.id = u.id`,
          [invalid.map((i) => i.id), invalid.map((i) => i.error)],
        );
        for (const i of invalid) this.logger.error(`outbox event ${i.id} parked: ${i.error}`);
      }
      return rows.length;
    });
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      let claimed = 0;
      try {
        claimed = await this.relayBatch();
        if (this.failures) {
          this.logger.log(
            `publishing again after ${Math.round((Date.now() - this.failingSince) / 1000)} s of failures`,
          );
        }
        this.failures = 0;
      } catch (error) {
        this.failed(error);
        await this.sleep(Math.min(500 * 2 ** (this.failures - 1), MAX_BACKOFF_MS), false);
        continue;
      }
      if (claimed < RELAY_BATCH_SIZE) {
        await this.sleep(this.config.OUTBOX_POLL_MS, true);
        // Let the commits of the next moment join this one's batch.
        await this.sleep(RELAY_GATHER_MS, false);
      }
    }
  }

  private failed(error: unknown): void {
    const now = Date.now();
    if (this.failures++ === 0) this.failingSince = now;
    if (this.failures === 1 || now - this.lastFailureLog >= STILL_FAILING_LOG_MS) {
      this.lastFailureLog = now;
      this.logger.warn(
        `cannot publish outbox events (${(error as Error).message}); they wait in PostgreSQL, retrying`,
      );
    }
  }

  /**
   * Sleeps `ms`, or less when stopping or (the relay loop, if `wakeOnNotify`)
   * when a NOTIFY arrives.
   */
  private sleep(ms: number, wakeOnNotify: boolean, who: 'loop' | 'listen' = 'loop'): Promise<void> {
    if (this.stopping) return Promise.resolve();
    if (who === 'loop' && wakeOnNotify && this.notified) {
      this.notified = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        if (who === 'loop') this.notified = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      const wake = (reason: 'stop' | 'notify') => {
        if (reason === 'stop' || (who === 'loop' && wakeOnNotify)) done();
      };
      this.wakers.add(wake);
    });
  }

  private onNotify(): void {
    this.notified = true;
    for (const wake of [...this.wakers]) wake('notify');
  }

  /** Keeps a LISTEN connection open while running, reconnecting when it drops. */
  private async listen(): Promise<void> {
    while (!this.stopping) {
      const client = new Client({
        connectionString: this.config.DATABASE_URL,
        connectionTimeoutMillis: 5_000,
        keepAlive: true,
      });
      try {
        const ended = new Promise<void>((resolve) => {
          client.on('error', () => resolve());
          client.on('end', () => resolve());
        });
        await client.connect();
        client.on('notification', () => this.onNotify());
        await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
        this.listener = client;
        if (this.stopping) break;
        // Anything committed before LISTEN took effect is picked up now.
        this.onNotify();
        await ended;
      } catch {
        // The poll fallback keeps events moving while this reconnects.
      } finally {
        this.listener = null;
        await client.end().catch(() => undefined);
      }
      if (!this.stopping) await this.sleep(LISTEN_RECONNECT_MS, false, 'listen');
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${message} within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
