import type { AppConfig } from '../config/app-config';

export type Severity = 'warning' | 'critical';

/** What the rules look at, gathered once per evaluation. */
export interface AlertFacts {
  outboxBacklog: number | null;
  queueFailed: number | null;
  slaBreaches: number | null;
  /** Uptime % per service over 24 h. */
  uptime24h: Record<string, { percent: number; checks: number }>;
  /** p95 of stored → metrics updated over the last hour (null: nothing measured). */
  insightP95Seconds: number | null;
}

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
