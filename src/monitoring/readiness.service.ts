import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Queue } from 'bull';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { withTimeout } from './probes';
import { ReusedCheck } from './reused-check';
import { AppConfig } from '../config/app-config';
import { QueueRegistry } from '../workers/queue-registry';
import { QueueWorkers } from '../workers/queue-workers.service';
import { ALL_JOBS, JobDefinition } from '../workers/queues';

/** How often a process that saw pending migrations looks again (another process may apply them). */
const PENDING_RECHECK_MS = 10_000;

export type WorkerState =
  | { status: 'up'; processing: false; role: string }
  | { status: 'up'; processing: true; handlers: number }
  | { status: 'up'; processing: true; degraded: true; message: string }
  | { status: 'down'; message: string };

/**
 * What readiness knows about the worker side: in ROLE=all|worker every
 * catalogued job must have a handler attached to its Bull queue. While Redis
 * is away the handlers attach on reconnect; that is degraded, not down.
 */
export function workerState(
  role: string,
  runsWorkers: boolean,
  bound: boolean,
  jobs: readonly JobDefinition[],
  queueOf: (job: JobDefinition) => Pick<Queue, 'client'> & { handlers?: Record<string, unknown> },
): WorkerState {
  if (!runsWorkers) return { status: 'up', processing: false, role };
  if (!bound) return { status: 'down', message: `ROLE=${role} but no queue processor is attached` };
  const missing: string[] = [];
  let waitingForRedis = false;
  for (const job of jobs) {
    const queue = queueOf(job);
    if (queue.client.status !== 'ready') {
      waitingForRedis = true;
      continue;
    }
    if (!queue.handlers?.[job.name]) missing.push(`${job.queue}/${job.name}`);
  }
  if (missing.length)
    return { status: 'down', message: `no processor attached for ${missing.join(', ')}` };
  if (waitingForRedis)
    return {
      status: 'up',
      processing: true,
      degraded: true,
      message: 'processors attach when Redis answers',
    };
  return { status: 'up', processing: true, handlers: jobs.length };
}

export type PingResult = { up: true; latencyMs: number } | { up: false; message: string };

/**
 * "Does PostgreSQL answer?" on a connection of its own, so a probe never
 * queues behind a pool busy with real work (a busy pool is not an outage).
 * Answered from memory while `SELECT 1` keeps succeeding (see ReusedCheck);
 * the connection dropping (PostgreSQL gone closes the socket) forgets it at
 * once.
 */
export class DatabasePing {
  private client?: Client;
  private connecting?: Promise<Client>;
  private readonly reused = new ReusedCheck(() => this.check());

  constructor(
    private readonly url: string,
    private readonly timeoutMs = 1_000,
  ) {}

  ping(): Promise<PingResult> {
    return this.reused.get();
  }

  async close(): Promise<void> {
    const client = this.client;
    this.drop();
    await client?.end().catch(() => undefined);
  }

  private async check(): Promise<PingResult> {
    const started = performance.now();
    try {
      const client = await withTimeout(this.connect(), this.timeoutMs, 'PostgreSQL connection');
      await withTimeout(client.query('SELECT 1'), this.timeoutMs, 'SELECT 1');
      return { up: true, latencyMs: Math.round(performance.now() - started) };
    } catch (error) {
      const client = this.client;
      this.drop();
      void client?.end().catch(() => undefined);
      return { up: false, message: (error as Error).message };
    }
  }

  private connect(): Promise<Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= (async () => {
      const client = new Client({
        connectionString: this.url,
        connectionTimeoutMillis: this.timeoutMs,
        application_name: 'tutormax-readiness',
      });
      client.on('error', () => this.drop(client));
      client.on('end', () => this.drop(client));
      try {
        await client.connect();
      } catch (error) {
        void client.end().catch(() => undefined);
        throw error;
      }
      this.client = client;
      return client;
    })().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private drop(client?: Client): void {
    if (client && client !== this.client) return;
    this.client = undefined;
    this.reused.forget();
  }
}

/**
 * Cheap readiness facts, computed without a slow call per request: the
 * migration state is read at boot and after migrations (and re-read in the
 * background every 10 s while something is pending), the worker state is in
 * memory.
 */
@Injectable()
export class Readiness implements OnApplicationBootstrap, OnApplicationShutdown {
  private pending: string[] = [];
  private checkedAt = 0;
  private refreshing?: Promise<string[]>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly queues: QueueRegistry,
    private readonly workers: QueueWorkers,
  ) {}

  private database?: DatabasePing;

  async onApplicationBootstrap(): Promise<void> {
    await this.refreshMigrations().catch(() => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.database?.close();
  }

  /** PostgreSQL answers (see DatabasePing). */
  databasePing(): Promise<PingResult> {
    this.database ??= new DatabasePing(
      (this.dataSource.options as { url?: string }).url ?? this.config.DATABASE_URL ?? '',
    );
    return this.database.ping();
  }

  /** Reads the applied migrations again; call after applying migrations. */
  refreshMigrations(): Promise<string[]> {
    this.refreshing ??= (async () => {
      try {
        const rows: { name: string }[] = await this.dataSource.query(
          `SELECT name FROM ${this.dataSource.options.migrationsTableName ?? 'migrations'}`,
        );
        const applied = new Set(rows.map((r) => r.name));
        this.pending = this.dataSource.migrations
          .map((m) => m.name ?? m.constructor.name)
          .filter((name) => !applied.has(name));
        this.checkedAt = Date.now();
        return this.pending;
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  /** Pending migration names as last read (never waits for the database). */
  pendingMigrations(): string[] {
    if (this.pending.length && Date.now() - this.checkedAt > PENDING_RECHECK_MS)
      void this.refreshMigrations().catch(() => undefined);
    return this.pending;
  }

  workerState(): WorkerState {
    return workerState(
      this.config.ROLE,
      this.config.runsWorkers,
      this.workers.processing,
      ALL_JOBS,
      (job) => this.queues.get(job.queue) as Queue & { handlers?: Record<string, unknown> },
    );
  }
}
