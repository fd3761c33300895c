import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { OPEN_STATUSES } from '../interventions/intervention.constants';

/** Histogram bucket bounds of insight latency, in seconds (1 s … 2 h). */
export const INSIGHT_BUCKETS = [1, 2, 5, 10, 30, 60, 300, 900, 1800, 3600, 7200];

/**
 * The insight-latency hops, each measured from timestamps other modules
 * already write, from tutor_metrics_triggers.stored_at (the session, feedback
 * or event and its outbox row committed):
 * - `stored_to_metrics`: → metrics_updated_at (the recompute that included the
 *   record committed).
 * - `stored_to_risk_scored`: → risk_scored_at, when the first churn score
 *   stored after that metrics update committed (so the first score that saw
 *   the record) was written. A tutor who objected to profiling is never
 *   scored, so their records are not on this hop.
 * - `stored_to_intervention`: a rule-made intervention's created_at, from the
 *   stored_at of the newest trigger of that tutor whose metrics update
 *   committed before it (the record whose insight produced it).
 */
export const INSIGHT_HOPS = [
  'stored_to_metrics',
  'stored_to_risk_scored',
  'stored_to_intervention',
] as const;
export type InsightHop = (typeof INSIGHT_HOPS)[number];

export interface InsightHistogram {
  hop: InsightHop;
  /** Cumulative counts per bucket bound, same order as INSIGHT_BUCKETS. */
  buckets: number[];
  count: number;
  sumSeconds: number;
}

/** One row per measured record of the hop since `since` (an SQL expression): its latency `s` in seconds. */
const hopSql = (hop: InsightHop, since: string): string =>
  ({
    stored_to_metrics: `SELECT extract(epoch FROM (metrics_updated_at - stored_at)) AS s
         FROM tutor_metrics_triggers
        WHERE metrics_updated_at IS NOT NULL AND stored_at >= ${since}`,
    stored_to_risk_scored: `SELECT extract(epoch FROM (risk_scored_at - stored_at)) AS s
         FROM tutor_metrics_triggers
        WHERE risk_scored_at IS NOT NULL AND stored_at >= ${since}`,
    stored_to_intervention: `SELECT extract(epoch FROM (i.created_at - t.stored_at)) AS s
         FROM interventions i
         CROSS JOIN LATERAL (
           SELECT stored_at FROM tutor_metrics_triggers mt
            WHERE mt.tutor_id = i.tutor_id AND mt.metrics_updated_at <= i.created_at
            ORDER BY mt.metrics_updated_at DESC LIMIT 1) t
        WHERE i.rule_id IS NOT NULL AND i.created_at >= ${since}`,
  })[hop];

/** Read-only, set-based queries over other modules' tables for metrics, alerts and the status page. */
@Injectable()
export class MonitoringQueries {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async outbox(): Promise<{ backlog: number; oldestSeconds: number; failed: number }> {
    const [row]: { backlog: number; oldest: number | null; failed: number }[] =
      await this.dataSource.query(
        `SELECT count(*) FILTER (WHERE published_at IS NULL AND failed_at IS NULL)::int AS backlog,
                extract(epoch FROM now() - min(created_at) FILTER (WHERE published_at IS NULL AND failed_at IS NULL))::float AS oldest,
                count(*) FILTER (WHERE failed_at IS NOT NULL AND published_at IS NULL)::int AS failed
           FROM outbox_events WHERE published_at IS NULL`,
      );
    return { backlog: row.backlog, oldestSeconds: row.oldest ?? 0, failed: row.failed };
  }

  /** Open interventions by status, and how many of them breach their SLA now. */
  async interventions(): Promise<{ byStatus: Record<string, number>; breached: number }> {
    const rows: { status: string; open: number; breached: number }[] = await this.dataSource.query(
      `SELECT status, count(*)::int AS open,
              count(*) FILTER (WHERE NOT sla_paused AND sla_sort_at <= now())::int AS breached
         FROM interventions WHERE status = ANY($1) GROUP BY status`,
      [OPEN_STATUSES],
    );
    const byStatus: Record<string, number> = Object.fromEntries(OPEN_STATUSES.map((s) => [s, 0]));
    let breached = 0;
    for (const r of rows) {
      byStatus[r.status] = r.open;
      breached += r.breached;
    }
    return { byStatus, breached };
  }

  /** Cumulative insight-latency histograms over every measured record since `since` (all by default). */
  async insightHistograms(since?: Date): Promise<InsightHistogram[]> {
    const params = [INSIGHT_BUCKETS, since ?? new Date(0)];
    return Promise.all(
      INSIGHT_HOPS.map(async (hop) => {
        const [row]: { buckets: number[]; count: number; sum: number }[] =
          await this.dataSource.query(
            `WITH l AS (${hopSql(hop, '$2')})
             SELECT coalesce(array_agg(n ORDER BY b), '{}') AS buckets,
                    (SELECT count(*)::int FROM l) AS count,
                    (SELECT coalesce(sum(greatest(s, 0)), 0)::float FROM l) AS sum
               FROM (SELECT b, (SELECT count(*)::int FROM l WHERE s <= b) AS n
                       FROM unnest($1::float[]) AS b) x`,
            params,
          );
        return { hop, buckets: row.buckets.map(Number), count: row.count, sumSeconds: row.sum };
      }),
    );
  }

  /** Alert rules firing now, with their severity. */
  firingAlerts(): Promise<{ rule: string; severity: string }[]> {
    return this.dataSource.query(
      `SELECT rule, severity FROM alert_states WHERE status = 'firing' ORDER BY rule`,
    );
  }

  /** Buffer cache hits ÷ (hits + reads) of this database since its statistics were reset. */
  async dbCache(): Promise<{ ratio: number; blocks: number }> {
    const [row]: { hit: string; read: string }[] = await this.dataSource.query(
      `SELECT blks_hit::bigint AS hit, blks_read::bigint AS read FROM pg_stat_database
        WHERE datname = current_database()`,
    );
    const hit = Number(row?.hit ?? 0);
    const blocks = hit + Number(row?.read ?? 0);
    return { ratio: blocks ? hit / blocks : 1, blocks };
  }

  /** p95 insight latency (stored → metrics updated) over the last `minutes`, and the share under 60 min. */
  async insightP95(
    minutes = 60,
  ): Promise<{ count: number; p95Seconds: number | null; under60: number | null }> {
    const [row]: { count: number; p95: number | null; under60: number | null }[] =
      await this.dataSource.query(
        `WITH l AS (${hopSql('stored_to_metrics', `now() - make_interval(mins => $1)`)})
         SELECT count(*)::int AS count,
                percentile_cont(0.95) WITHIN GROUP (ORDER BY s)::float AS p95,
                (avg((s < 3600)::int))::float AS under60
           FROM l`,
        [minutes],
      );
    return { count: row.count, p95Seconds: row.p95, under60: row.under60 };
  }
}
