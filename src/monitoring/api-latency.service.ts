import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** Bucket upper bounds (ms); the last catches everything above. */
export const API_LATENCY_BUCKETS_MS = [
  5, 10, 25, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000, 2147483647,
];
/** How often a busy process adds its counts to PostgreSQL. */
const FLUSH_EVERY_MS = 10_000;
/** Counts are kept this long. */
const KEEP_HOURS = 48;

export interface LatencyQuantiles {
  count: number;
  p95Ms: number | null;
  p99Ms: number | null;
}

/**
 * Quantile of a histogram, interpolated linearly inside the bucket it falls in
 * (as Prometheus's histogram_quantile does); in the open-ended last bucket, the
 * largest finite bound.
 */
export function quantileFromBuckets(
  buckets: { leMs: number; count: number }[],
  q: number,
): number | null {
  const sorted = [...buckets].sort((a, b) => a.leMs - b.leMs);
  const total = sorted.reduce((n, b) => n + b.count, 0);
  if (!total) return null;
  const rank = q * total;
  let below = 0;
  let lower = 0;
  for (const b of sorted) {
    if (below + b.count >= rank && b.count > 0) {
      if (b.leMs === API_LATENCY_BUCKETS_MS[API_LATENCY_BUCKETS_MS.length - 1]) return lower;
      return lower + ((b.leMs - lower) * (rank - below)) / b.count;
    }
    below += b.count;
    lower = b.leMs;
  }
  return lower;
}

/**
 * API response times for the p95/p99 alert, across processes: each web
 * process counts its requests per minute and bucket in memory and adds them to
 * `api_latency_buckets` (one upsert) at most every 10 s, on the request that
 * finds the last flush old enough, and at shutdown. No timer: an idle process
 * has nothing to add.
 */
@Injectable()
export class ApiLatencyRecorder implements BeforeApplicationShutdown {
  private readonly logger = new Logger('ApiLatency');
  /** minute (epoch ms) → counts per bucket index. */
  private pending = new Map<number, number[]>();
  private lastFlush = Date.now();
  private flushing?: Promise<void>;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  observe(ms: number, at = Date.now()): void {
    const minute = at - (at % 60_000);
    let counts = this.pending.get(minute);
    if (!counts) this.pending.set(minute, (counts = API_LATENCY_BUCKETS_MS.map(() => 0)));
    counts[API_LATENCY_BUCKETS_MS.findIndex((le) => ms <= le)]++;
    if (at - this.lastFlush >= FLUSH_EVERY_MS && !this.flushing)
      void this.flush().catch((error: Error) =>
        this.logger.warn(`API latency counts not stored yet: ${error.message}`),
      );
  }

  /** Adds the pending counts to PostgreSQL (kept in memory again if that fails). */
  flush(): Promise<void> {
    this.flushing ??= (async () => {
      const batch = this.pending;
      this.pending = new Map();
      this.lastFlush = Date.now();
      const minutes: Date[] = [];
      const les: number[] = [];
      const counts: number[] = [];
      for (const [minute, perBucket] of batch)
        perBucket.forEach((n, i) => {
          if (!n) return;
          minutes.push(new Date(minute));
          les.push(API_LATENCY_BUCKETS_MS[i]);
          counts.push(n);
        });
      if (!counts.length) return;
      try {
        await this.dataSource.query(
          `INSERT INTO api_latency_buckets (minute, le_ms, count)
           SELECT * FROM unnest($1::timestamptz[], $2::int[], $3::bigint[])
           ON CONFLICT (minute, le_ms) DO UPDATE SET count = api_latency_buckets.count + EXCLUDED.count`,
          [minutes, les, counts],
        );
      } catch (error) {
        for (const [minute, perBucket] of batch) {
          const now = this.pending.get(minute) ?? API_LATENCY_BUCKETS_MS.map(() => 0);
          this.pending.set(
            minute,
            now.map((n, i) => n + perBucket[i]),
          );
        }
        throw error;
      }
    })().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  /** p95 and p99 over the last `minutes`, from every process's counts. */
  async quantiles(minutes = 60): Promise<LatencyQuantiles> {
    const rows: { le_ms: number; n: string }[] = await this.dataSource.query(
      `SELECT le_ms, sum(count)::bigint AS n FROM api_latency_buckets
        WHERE minute >= now() - make_interval(mins => $1) GROUP BY le_ms`,
      [minutes],
    );
    const buckets = rows.map((r) => ({ leMs: r.le_ms, count: Number(r.n) }));
    const p95 = quantileFromBuckets(buckets, 0.95);
    const p99 = quantileFromBuckets(buckets, 0.99);
    return {
      count: buckets.reduce((n, b) => n + b.count, 0),
      p95Ms: p95 === null ? null : Math.round(p95),
      p99Ms: p99 === null ? null : Math.round(p99),
    };
  }

  /** Drops counts older than two days (called by the alert evaluation). */
  async prune(): Promise<void> {
    await this.dataSource.query(
      `DELETE FROM api_latency_buckets WHERE minute < now() - make_interval(hours => $1)`,
      [KEEP_HOURS],
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.flush().catch(() => undefined);
  }
}
