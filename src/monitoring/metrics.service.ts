import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Job } from 'bull';
import type { NextFunction, Request, Response } from 'express';
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  MetricObjectWithValues,
  MetricValueWithName,
  Registry,
} from 'prom-client';
import { BACKGROUND_PATH } from '../common/web-activity';
import { AppConfig } from '../config/app-config';
import { QueueRegistry } from '../workers/queue-registry';
import { WorkerStats } from '../workers/worker-stats.service';
import { ApiLatencyRecorder } from './api-latency.service';
import { INSIGHT_BUCKETS, InsightHistogram, MonitoringQueries } from './monitoring-queries.service';
import { withTimeout } from './probes';

/** Database-derived values are read at most this often, whatever the scrape rate. */
const DB_CACHE_MS = 15_000;
const STATES = ['waiting', 'active', 'delayed', 'failed', 'completed', 'paused'] as const;

/** The route pattern Express matched (`/api/v1/tutors/:id`), never the raw URL. */
export function routePattern(req: Request): string {
  const route = (req as Request & { route?: { path?: unknown } }).route;
  if (!route || typeof route.path !== 'string') return 'unmatched';
  return `${req.baseUrl ?? ''}${route.path}` || '/';
}

/**
 * Prometheus metrics of this process (a registry per app, so tests can boot
 * several): HTTP, jobs run here, queue and outbox state, interventions, insight
 * latency, Node runtime. Queue, outbox, intervention and latency values come
 * from Redis and PostgreSQL, so any web process reports the whole system; job
 * durations and failures are observed where jobs run (ROLE=all serves them).
 */
@Injectable()
export class MonitoringMetrics implements OnApplicationBootstrap {
  readonly registry = new Registry();
  private readonly logger = new Logger('Metrics');
  private readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  private readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  private readonly jobDuration: Histogram<'queue' | 'job'>;
  private readonly jobFailures: Counter<'queue' | 'job'>;
  private cache?: { at: number; value: Promise<DbSnapshot> };

  constructor(
    private readonly config: AppConfig,
    private readonly queues: QueueRegistry,
    private readonly stats: WorkerStats,
    private readonly queries: MonitoringQueries,
    private readonly latency: ApiLatencyRecorder,
  ) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.httpRequests = new Counter({
      name: 'tutormax_http_requests_total',
      help: 'HTTP requests by method, matched route pattern and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'tutormax_http_request_duration_seconds',
      help: 'HTTP request duration by method, matched route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.jobDuration = new Histogram({
      name: 'tutormax_job_duration_seconds',
      help: 'Run time of jobs processed by this process, by queue and job name',
      labelNames: ['queue', 'job'],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900],
      registers,
    });
    this.jobFailures = new Counter({
      name: 'tutormax_job_failures_total',
      help: 'Failed job attempts in this process, by queue and job name',
      labelNames: ['queue', 'job'],
      registers,
    });
    const snapshot = () => this.snapshot();
    new Gauge({
      name: 'tutormax_queue_jobs',
      help: 'Jobs per queue and state (from Redis)',
      labelNames: ['queue', 'state'],
      registers,
      async collect() {
        const s = await snapshot();
        this.reset();
        for (const c of s.queues ?? [])
          for (const state of STATES) this.set({ queue: c.queue, state }, c[state]);
      },
    });
    new Gauge({
      name: 'tutormax_outbox_backlog',
      help: 'Outbox events not yet published to the queues',
      registers,
      async collect() {
        const s = await snapshot();
        if (s.outbox) this.set(s.outbox.backlog);
      },
    });
    new Gauge({
      name: 'tutormax_outbox_oldest_seconds',
      help: 'Age of the oldest unpublished outbox event',
      registers,
      async collect() {
        const s = await snapshot();
        if (s.outbox) this.set(s.outbox.oldestSeconds);
      },
    });
    new Gauge({
      name: 'tutormax_interventions_open',
      help: 'Open interventions by status',
      labelNames: ['status'],
      registers,
      async collect() {
        const s = await snapshot();
        this.reset();
        for (const [status, n] of Object.entries(s.interventions?.byStatus ?? {}))
          this.set({ status }, n);
      },
    });
    new Gauge({
      name: 'tutormax_interventions_sla_breached',
      help: 'Open, unpaused interventions past an SLA deadline',
      registers,
      async collect() {
        const s = await snapshot();
        if (s.interventions) this.set(s.interventions.breached);
      },
    });
    new Gauge({
      name: 'tutormax_alerts_firing',
      help: 'Alert rules firing now (1 per rule), by rule and severity',
      labelNames: ['rule', 'severity'],
      registers,
      async collect() {
        const s = await snapshot();
        this.reset();
        for (const a of s.alerts ?? []) this.set({ rule: a.rule, severity: a.severity }, 1);
      },
    });
    this.registry.registerMetric(
      new SnapshotHistogram(
        'tutormax_insight_latency_seconds',
        'Insight latency per hop (stored_to_metrics, stored_to_risk_scored, stored_to_intervention), from the timestamps in PostgreSQL, cumulative over every measured record',
        async () => (await snapshot()).insight ?? [],
      ) as never,
    );
  }

  onApplicationBootstrap(): void {
    if (!this.config.runsWorkers) return;
    for (const queue of this.queues.all()) {
      queue.on('completed', (job: Job) => {
        if (job.processedOn && job.finishedOn)
          this.jobDuration.observe(
            { queue: queue.name, job: job.name },
            (job.finishedOn - job.processedOn) / 1000,
          );
      });
      queue.on('failed', (job: Job) => {
        this.jobFailures.inc({ queue: queue.name, job: job.name });
        if (job.processedOn && job.finishedOn)
          this.jobDuration.observe(
            { queue: queue.name, job: job.name },
            (job.finishedOn - job.processedOn) / 1000,
          );
      });
    }
  }

  /** Express middleware: counts and times every request by its matched route pattern. */
  httpMiddleware() {
    return (req: Request, res: Response, next: NextFunction) => {
      const started = process.hrtime.bigint();
      res.once('finish', () => {
        const labels = {
          method: req.method,
          route: routePattern(req),
          status: String(res.statusCode),
        };
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        this.httpRequests.inc(labels);
        this.httpDuration.observe(labels, seconds);
        // The API p95/p99 alert: what users wait for, not probes, scrapes or static files.
        if (!BACKGROUND_PATH.test(req.originalUrl ?? req.url)) this.latency.observe(seconds * 1000);
      });
      next();
    };
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  private snapshot(): Promise<DbSnapshot> {
    const now = Date.now();
    if (!this.cache || now - this.cache.at > DB_CACHE_MS)
      this.cache = { at: now, value: this.read() };
    return this.cache.value;
  }

  /** Each source on its own: one that fails is left out of the scrape, not the others. */
  private async read(): Promise<DbSnapshot> {
    const settle = async <T>(what: string, work: Promise<T>): Promise<T | undefined> => {
      try {
        return await withTimeout(work, 3_000, what);
      } catch (error) {
        this.logger.warn(`metrics: ${what} unavailable (${(error as Error).message})`);
        return undefined;
      }
    };
    const [queues, outbox, interventions, insight, alerts] = await Promise.all([
      settle('queue counts', this.stats.counts()),
      settle('outbox', this.queries.outbox()),
      settle('interventions', this.queries.interventions()),
      settle('insight latency', this.queries.insightHistograms()),
      settle('alerts', this.queries.firingAlerts()),
    ]);
    return { queues, outbox, interventions, insight, alerts };
  }
}

interface DbSnapshot {
  queues?: Awaited<ReturnType<WorkerStats['counts']>>;
  outbox?: Awaited<ReturnType<MonitoringQueries['outbox']>>;
  interventions?: Awaited<ReturnType<MonitoringQueries['interventions']>>;
  insight?: InsightHistogram[];
  alerts?: { rule: string; severity: string }[];
}

/** A histogram whose buckets come whole from a query (cumulative counts), not from observe(). */
class SnapshotHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly labelNames = ['hop'];
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly source: () => Promise<InsightHistogram[]>,
  ) {}

  async get(): Promise<Omit<MetricObjectWithValues<MetricValueWithName<string>>, 'collect'>> {
    const values: MetricValueWithName<string>[] = [];
    for (const h of await this.source()) {
      INSIGHT_BUCKETS.forEach((le, i) =>
        values.push({
          metricName: `${this.name}_bucket`,
          labels: { hop: h.hop, le },
          value: h.buckets[i] ?? 0,
        }),
      );
      values.push({
        metricName: `${this.name}_bucket`,
        labels: { hop: h.hop, le: '+Inf' },
        value: h.count,
      });
      values.push({ metricName: `${this.name}_sum`, labels: { hop: h.hop }, value: h.sumSeconds });
      values.push({ metricName: `${this.name}_count`, labels: { hop: h.hop }, value: h.count });
    }
    return {
      name: this.name,
      help: this.help,
      type: this.type as never,
      aggregator: 'sum',
      values,
    };
  }

  reset(): void {}
}
