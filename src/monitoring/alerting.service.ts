import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock';
import { AppConfig } from '../config/app-config';
import { MailService } from '../notifications/mail.service';
import { WorkerStats } from '../workers/worker-stats.service';
import { AlertEvaluation, AlertFacts, evaluateRules } from './alert-rules';
import { MonitoringQueries } from './monitoring-queries.service';
import { withTimeout } from './probes';
import { UptimeService } from './uptime.service';

export interface AlertTransition extends AlertEvaluation {
  since: Date;
}

/** What the webhook receives (one POST per transition). */
export interface AlertWebhookBody {
  status: 'firing' | 'resolved';
  rule: string;
  title: string;
  severity: string;
  message: string;
  value: number | null;
  since: string;
  source: 'tutormax';
}

/**
 * Evaluates the alert rules and notifies on transitions only. State lives in
 * alert_states: the row is locked while its transition is decided, so two
 * processes (or a restarted one) never notify the same transition twice.
 */
@Injectable()
export class AlertingService {
  private readonly logger = new Logger('Alerts');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly queries: MonitoringQueries,
    private readonly uptime: UptimeService,
    private readonly stats: WorkerStats,
    private readonly mail: MailService,
    private readonly clock: Clock,
  ) {}

  async facts(): Promise<AlertFacts> {
    const read = <T>(work: Promise<T>) => withTimeout(work, 5_000, 'alert fact').catch(() => null);
    const [outbox, counts, interventions, uptime24h, insight] = await Promise.all([
      read(this.queries.outbox()),
      read(this.stats.counts()),
      read(this.queries.interventions()),
      this.uptime.uptime(24),
      read(this.queries.insightP95(60)),
    ]);
    return {
      outboxBacklog: outbox?.backlog ?? null,
      queueFailed: counts ? counts.reduce((n, c) => n + c.failed, 0) : null,
      slaBreaches: interventions?.breached ?? null,
      uptime24h,
      insightP95Seconds: insight?.p95Seconds ?? null,
    };
  }

  /** One evaluation: returns the transitions it recorded and notified. */
  async evaluate(): Promise<AlertTransition[]> {
    const evaluations = evaluateRules(await this.facts(), this.config);
    const transitions: AlertTransition[] = [];
    for (const e of evaluations) {
      const t = await this.record(e);
      if (t) transitions.push(t);
    }
    for (const t of transitions) await this.notify(t);
    return transitions;
  }

  /** Stores the evaluation; returns it when the rule changed state (ok ↔ firing). */
  private record(e: AlertEvaluation): Promise<AlertTransition | null> {
    const now = this.clock.now();
    return this.dataSource.transaction(async (m) => {
      await m.query(
        `INSERT INTO alert_states (rule, status, severity, message, value, evaluated_at)
         VALUES ($1, 'ok', $2, $3, $4, $5) ON CONFLICT (rule) DO NOTHING`,
        [e.rule, e.severity, e.message, e.value, now],
      );
      const [old]: { status: string }[] = await m.query(
        'SELECT status FROM alert_states WHERE rule = $1 FOR UPDATE',
        [e.rule],
      );
      const status = e.firing ? 'firing' : 'ok';
      const changed = old.status !== status;
      await m.query(
        `UPDATE alert_states SET status = $2::varchar, severity = $3, message = $4, value = $5,
                evaluated_at = $6::timestamptz,
                fired_at = CASE WHEN $7::boolean AND $2::varchar = 'firing' THEN $6::timestamptz ELSE fired_at END,
                resolved_at = CASE WHEN $7::boolean AND $2::varchar = 'ok' THEN $6::timestamptz ELSE resolved_at END
          WHERE rule = $1`,
        [e.rule, status, e.severity, e.message, e.value, now, changed],
      );
      return changed ? { ...e, since: now } : null;
    });
  }

  private async notify(t: AlertTransition): Promise<void> {
    this.logger.warn(`${t.firing ? 'FIRING' : 'resolved'} ${t.rule}: ${t.message}`);
    const jobs: Promise<unknown>[] = [];
    if (this.config.ALERT_EMAIL)
      jobs.push(
        this.mail.send({
          to: this.config.ALERT_EMAIL,
          template: 'monitoring-alert',
          context: { ...t, since: t.since.toISOString() },
        }),
      );
    if (this.config.ALERT_WEBHOOK_URL)
      jobs.push(this.postWebhook(this.config.ALERT_WEBHOOK_URL, t));
    const results = await Promise.allSettled(jobs);
    for (const r of results)
      if (r.status === 'rejected')
        this.logger.error(`alert ${t.rule} not delivered: ${(r.reason as Error).message}`);
  }

  private async postWebhook(url: string, t: AlertTransition): Promise<void> {
    const body: AlertWebhookBody = {
      status: t.firing ? 'firing' : 'resolved',
      rule: t.rule,
      title: t.title,
      severity: t.severity,
      message: t.message,
      value: t.value,
      since: t.since.toISOString(),
      source: 'tutormax',
    };
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(5_000),
    });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`webhook answered ${res.status}`);
  }

  /** Alert states, firing first. */
  states(): Promise<
    {
      rule: string;
      status: string;
      severity: string;
      message: string;
      fired_at: Date | null;
      resolved_at: Date | null;
    }[]
  > {
    return this.dataSource.query(
      `SELECT rule, status, severity, message, fired_at, resolved_at FROM alert_states
        ORDER BY (status = 'firing') DESC, coalesce(fired_at, evaluated_at) DESC`,
    );
  }
}
