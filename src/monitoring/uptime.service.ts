import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock';
import { REDIS } from '../common/redis.module';
import { AppConfig } from '../config/app-config';
import { WorkerStats } from '../workers/worker-stats.service';
import { probePostgres, probeQueues, probeRedis, probeSmtp, probeUrl, ProbeResult } from './probes';

export const UPTIME_SERVICES = ['postgresql', 'redis', 'queues', 'smtp', 'public_url'] as const;
export type MonitoredService = (typeof UPTIME_SERVICES)[number];
/** Checks are kept this long. */
export const UPTIME_RETENTION_DAYS = 30;

export interface DayUptime {
  service: string;
  day: string;
  up: number;
  total: number;
}

/**
 * The minute uptime check (run by the worker, never inside a request): probe
 * each service with a short timeout, record state and latency, open an
 * incident when a service goes down and close it when it recovers.
 */
@Injectable()
export class UptimeService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly stats: WorkerStats,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  async probeAll(): Promise<Partial<Record<MonitoredService, ProbeResult>>> {
    const [postgresql, redis, queues, smtp, publicUrl] = await Promise.all([
      probePostgres(this.dataSource),
      probeRedis(this.redis),
      probeQueues(() => this.stats.counts()),
      probeSmtp(this.config.SMTP_URL),
      this.config.PUBLIC_URL ? probeUrl(this.config.PUBLIC_URL) : Promise.resolve(undefined),
    ]);
    return { postgresql, redis, queues, smtp, ...(publicUrl ? { public_url: publicUrl } : {}) };
  }

  /** One round: probe, record, open/close incidents, prune old checks. Set-based. */
  async run(): Promise<{ down: string[]; opened: string[]; closed: string[] }> {
    const results = await this.probeAll();
    const now = this.clock.now();
    const entries = Object.entries(results) as [MonitoredService, ProbeResult][];
    const services = entries.map(([s]) => s);
    return this.dataSource.transaction(async (m) => {
      await m.query(
        `INSERT INTO service_checks (service, checked_at, up, latency_ms, detail)
         SELECT s, $2, u, l, d FROM unnest($1::text[], $3::bool[], $4::int[], $5::text[]) AS x(s, u, l, d)`,
        [
          services,
          now,
          entries.map(([, r]) => r.up),
          entries.map(([, r]) => r.latencyMs),
          entries.map(([, r]) => r.detail ?? null),
        ],
      );
      const down = entries.filter(([, r]) => !r.up);
      const opened: { service: string }[] = await m.query(
        `INSERT INTO service_incidents (service, started_at, cause)
         SELECT s, $2, d FROM unnest($1::text[], $3::text[]) AS x(s, d)
         ON CONFLICT (service) WHERE ended_at IS NULL DO NOTHING RETURNING service`,
        [down.map(([s]) => s), now, down.map(([, r]) => r.detail ?? null)],
      );
      const [closed]: [{ service: string }[], number] = await m.query(
        `UPDATE service_incidents SET ended_at = $2
          WHERE ended_at IS NULL AND service = ANY($1) RETURNING service`,
        [entries.filter(([, r]) => r.up).map(([s]) => s), now],
      );
      await m.query(
        `DELETE FROM service_checks WHERE checked_at < $1::timestamptz - make_interval(days => $2)`,
        [now, UPTIME_RETENTION_DAYS],
      );
      return {
        down: down.map(([s]) => s),
        opened: opened.map((r) => r.service),
        closed: closed.map((r) => r.service),
      };
    });
  }

  /** Up checks and all checks per service per UTC day, over the last `days`. */
  daily(days = UPTIME_RETENTION_DAYS): Promise<DayUptime[]> {
    return this.dataSource.query(
      `SELECT service, to_char(date_trunc('day', checked_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day,
              count(*) FILTER (WHERE up)::int AS up, count(*)::int AS total
         FROM service_checks
        WHERE checked_at >= date_trunc('day', $1::timestamptz AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - make_interval(days => $2 - 1)
        GROUP BY 1, 2 ORDER BY 1, 2`,
      [this.clock.now(), days],
    );
  }

  /** Uptime % per service over the last `hours` (null: no checks). */
  async uptime(hours: number): Promise<Record<string, { percent: number; checks: number }>> {
    const rows: { service: string; up: number; total: number }[] = await this.dataSource.query(
      `SELECT service, count(*) FILTER (WHERE up)::int AS up, count(*)::int AS total
         FROM service_checks WHERE checked_at >= $1::timestamptz - make_interval(hours => $2)
        GROUP BY service`,
      [this.clock.now(), hours],
    );
    return Object.fromEntries(
      rows.map((r) => [r.service, { percent: (100 * r.up) / r.total, checks: r.total }]),
    );
  }

  /** Latest state per service, and incidents of the last `days`. */
  async latest(): Promise<
    {
      service: string;
      up: boolean;
      latency_ms: number | null;
      checked_at: Date;
      detail: string | null;
    }[]
  > {
    return this.dataSource.query(
      `SELECT DISTINCT ON (service) service, up, latency_ms, checked_at, detail
         FROM service_checks WHERE checked_at >= $1::timestamptz - interval '1 day'
        ORDER BY service, checked_at DESC`,
      [this.clock.now()],
    );
  }

  incidents(
    days = UPTIME_RETENTION_DAYS,
  ): Promise<
    { id: string; service: string; started_at: Date; ended_at: Date | null; cause: string | null }[]
  > {
    return this.dataSource.query(
      `SELECT id, service, started_at, ended_at, cause FROM service_incidents
        WHERE ended_at IS NULL OR started_at >= $1::timestamptz - make_interval(days => $2)
        ORDER BY started_at DESC LIMIT 100`,
      [this.clock.now(), days],
    );
  }
}
