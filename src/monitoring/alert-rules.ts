import type { AppConfig } from '../config/app-config';

export type Severity = 'warning' | 'critical';

const round2 = (n: number) => Math.round(n * 100) / 100;

/** What the rules look at, gathered once per evaluation. */
export interface AlertFacts {
  outboxBacklog: number | null;
  queueFailed: number | null;
  slaBreaches: number | null;
  /** Uptime % per service over 24 h. */
  uptime24h: Record<string, { percent: number; checks: number }>;
  /** p95 of stored → metrics updated over the last hour (null: nothing measured). */
  insightP95Seconds: number | null;
  /** Insights measured over the last hour, and the share (0–1) under 60 min. */
  insightUnder60?: { count: number; share: number | null } | null;
  /** API response times over the last hour, from every process. */
  apiLatency?: { count: number; p95Ms: number | null; p99Ms: number | null } | null;
  /** Jobs waiting in the queues (all queues). */
  queueWaiting?: number | null;
  /** PostgreSQL buffer cache: hits ÷ (hits + reads) of this database, and the blocks counted. */
  dbCache?: { ratio: number; blocks: number } | null;
  /** The latest uptime check of each service. */
  services?: { service: string; up: boolean; latencyMs: number | null; detail: string | null }[];
}

/** Fewer samples than these leave the ratio rules quiet (one slow request is no p95). */
export const MIN_API_SAMPLES = 20;
export const MIN_CACHE_BLOCKS = 1000;

export interface AlertEvaluation {
  rule: string;
  title: string;
  firing: boolean;
  severity: Severity;
  message: string;
  value: number | null;
}

type Thresholds = Pick<
  AppConfig,
  | 'ALERT_OUTBOX_BACKLOG'
  | 'ALERT_QUEUE_FAILED'
  | 'ALERT_SLA_BREACHES'
  | 'ALERT_UPTIME_PERCENT'
  | 'ALERT_INSIGHT_P95_SECONDS'
  | 'ALERT_INSIGHT_UNDER_60_PERCENT'
  | 'ALERT_INSIGHT_UNDER_60_CRITICAL_PERCENT'
  | 'ALERT_API_P95_MS'
  | 'ALERT_API_P99_MS'
  | 'ALERT_QUEUE_BACKLOG'
  | 'ALERT_DB_CACHE_HIT_PERCENT'
  | 'ALERT_SERVICE_DEGRADED_MS'
>;

/**
 * Evaluates every rule against the facts. A fact that could not be read
 * (null) leaves its rule not firing: the uptime rules report the outage.
 */
export function evaluateRules(facts: AlertFacts, t: Thresholds): AlertEvaluation[] {
  const threshold = (
    rule: string,
    title: string,
    value: number | null,
    limit: number,
    severity: Severity,
    what: string,
  ): AlertEvaluation => ({
    rule,
    title,
    firing: value !== null && value >= limit,
    severity,
    value,
    message:
      value === null
        ? `${what}: unknown (could not be read)`
        : `${what}: ${value} (alert at ${limit} or more)`,
  });
  const out: AlertEvaluation[] = [
    threshold(
      'outbox-backlog',
      'Outbox backlog high',
      facts.outboxBacklog,
      t.ALERT_OUTBOX_BACKLOG,
      'warning',
      'Outbox events waiting to be published',
    ),
    threshold(
      'queue-failures',
      'Failed jobs piling up',
      facts.queueFailed,
      t.ALERT_QUEUE_FAILED,
      'warning',
      'Failed jobs in the queues',
    ),
    threshold(
      'sla-breaches',
      'Intervention SLA breaches',
      facts.slaBreaches,
      t.ALERT_SLA_BREACHES,
      'critical',
      'Open interventions past an SLA deadline',
    ),
  ];
  const p95 = facts.insightP95Seconds;
  out.push({
    rule: 'insight-latency-p95',
    title: 'Insight latency p95 too high',
    firing: p95 !== null && p95 > t.ALERT_INSIGHT_P95_SECONDS,
    severity: 'warning',
    value: p95,
    message:
      p95 === null
        ? 'No insight measured in the last hour'
        : `p95 stored → metrics updated over the last hour: ${Math.round(p95)} s (target ${t.ALERT_INSIGHT_P95_SECONDS} s)`,
  });
  out.push(
    threshold(
      'queue-backlog',
      'Queue backlog high',
      facts.queueWaiting ?? null,
      t.ALERT_QUEUE_BACKLOG,
      'warning',
      'Jobs waiting in the queues',
    ),
  );
  const insight = facts.insightUnder60;
  const share = insight?.count && insight.share !== null ? insight.share * 100 : null;
  out.push({
    rule: 'insight-latency-sla',
    title: 'Insight latency SLA violated',
    firing: share !== null && share < t.ALERT_INSIGHT_UNDER_60_PERCENT,
    severity:
      share !== null && share < t.ALERT_INSIGHT_UNDER_60_CRITICAL_PERCENT ? 'critical' : 'warning',
    value: share === null ? null : round2(share),
    message:
      share === null
        ? 'No insight measured in the last hour'
        : `${round2(share)}% of ${insight!.count} insights reached the metrics within 60 min over the last hour (target ${t.ALERT_INSIGHT_UNDER_60_PERCENT}%)`,
  });
  const api = facts.apiLatency;
  const enough = api && api.count >= MIN_API_SAMPLES;
  for (const [q, value, limit] of [
    ['p95', api?.p95Ms ?? null, t.ALERT_API_P95_MS],
    ['p99', api?.p99Ms ?? null, t.ALERT_API_P99_MS],
  ] as const) {
    out.push({
      rule: `api-latency-${q}`,
      title: `API response time ${q} too high`,
      firing: Boolean(enough) && value !== null && value >= limit,
      severity: 'warning',
      value: enough ? value : null,
      message: enough
        ? `API ${q} over the last hour: ${value} ms across ${api!.count} requests (alert at ${limit} ms)`
        : `Too few requests in the last hour to judge the ${q} (${api?.count ?? 0} of ${MIN_API_SAMPLES})`,
    });
  }
  const cache = facts.dbCache;
  const hit = cache && cache.blocks >= MIN_CACHE_BLOCKS ? cache.ratio * 100 : null;
  out.push({
    rule: 'db-cache-hit-ratio',
    title: 'Database cache hit ratio low',
    firing: hit !== null && hit < t.ALERT_DB_CACHE_HIT_PERCENT,
    severity: 'warning',
    value: hit === null ? null : round2(hit),
    message:
      hit === null
        ? 'Too few block reads to judge the cache hit ratio'
        : `PostgreSQL buffer cache hit ratio ${round2(hit)}% over ${cache!.blocks} blocks (alert below ${t.ALERT_DB_CACHE_HIT_PERCENT}%)`,
  });
  for (const s of [...(facts.services ?? [])].sort((a, b) => a.service.localeCompare(b.service))) {
    out.push({
      rule: `service-down:${s.service}`,
      title: `${s.service} is down`,
      firing: !s.up,
      severity: 'critical',
      value: s.latencyMs,
      message: s.up
        ? `${s.service} answered its last check in ${s.latencyMs} ms`
        : `${s.service} failed its last check: ${s.detail ?? 'no answer'}`,
    });
    const slow = s.up && s.latencyMs !== null && s.latencyMs > t.ALERT_SERVICE_DEGRADED_MS;
    out.push({
      rule: `service-degraded:${s.service}`,
      title: `${s.service} is degraded`,
      firing: slow,
      severity: 'warning',
      value: s.latencyMs,
      message: `${s.service} answered its last check in ${s.latencyMs ?? '—'} ms (degraded above ${t.ALERT_SERVICE_DEGRADED_MS} ms)`,
    });
  }
  for (const [service, u] of Object.entries(facts.uptime24h).sort()) {
    const pct = Math.round(u.percent * 100) / 100;
    out.push({
      rule: `uptime:${service}`,
      title: `${service} uptime below ${t.ALERT_UPTIME_PERCENT}%`,
      firing: u.percent < t.ALERT_UPTIME_PERCENT,
      severity: 'critical',
      value: pct,
      message: `${service} was up in ${pct}% of ${u.checks} checks over 24 h (target ${t.ALERT_UPTIME_PERCENT}%)`,
    });
  }
  return out;
}
