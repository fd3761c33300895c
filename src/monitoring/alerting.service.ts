import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock';
import { AppConfig } from '../config/app-config';
import { MailService } from '../notifications/mail.service';
import { WorkerStats } from '../workers/worker-stats.service';
import { AlertEvaluation, AlertFacts, evaluateRules } from './alert-rules';
import { ApiLatencyRecorder } from './api-latency.service';
import { MonitoringQueries } from './monitoring-queries.service';
import { withTimeout } from './probes';
import { UptimeService } from './uptime.service';

export interface AlertTransition extends AlertEvaluation {
  since: Date;
}

/** Alert history is kept this long. */
export const ALERT_HISTORY_DAYS = 90;

/** A Slack incoming-webhook message for a transition. */
export function slackMessage(t: AlertTransition, publicUrl?: string): { text: string } {
  const icon = t.firing
    ? t.severity === 'critical'
      ? ':red_circle:'
      : ':warning:'
    : ':white_check_mark:';
  const state = t.firing ? `FIRING (${t.severity})` : 'resolved';
  const link = publicUrl ? ` <${new URL('/admin/alerts', publicUrl).toString()}|alerts>` : '';
  return { text: `${icon} *TutorMax ${state}: ${t.title}*\n${t.message}${link}` };
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
    private readonly latency: ApiLatencyRecorder,
  ) {}

  async facts(): Promise<AlertFacts> {
    const read = <T>(work: Promise<T>) => withTimeout(work, 5_000, 'alert fact').catch(() => null);
    const [outbox, counts, interventions, uptime24h, insight, apiLatency, dbCache, latest] =
      await Promise.all([
        read(this.queries.outbox()),
        read(this.stats.counts()),
        read(this.queries.interventions()),
        this.uptime.uptime(24),
        read(this.queries.insightP95(60)),
        read(this.latency.flush().then(() => this.latency.quantiles(60))),
        read(this.queries.dbCache()),
        read(this.uptime.latest()),
      ]);
    return {
      outboxBacklog: outbox?.backlog ?? null,
      queueFailed: counts ? counts.reduce((n, c) => n + c.failed, 0) : null,
      queueWaiting: counts ? counts.reduce((n, c) => n + c.waiting, 0) : null,
      slaBreaches: interventions?.breached ?? null,
      uptime24h,
      insightP95Seconds: insight?.p95Seconds ?? null,
      insightUnder60: insight ? { count: insight.count, share: insight.under60 } : null,
      apiLatency,
      dbCache,
      services: (latest ?? []).map((l) => ({
        service: l.service,
        up: l.up,
        latencyMs: l.latency_ms,
        detail: l.detail,
      })),
    };
  }

  /** One evaluation: returns the transitions it notified (silenced ones are recorded only). */
  async evaluate(): Promise<AlertTransition[]> {
    const evaluations = evaluateRules(await this.facts(), this.config);
    const transitions: AlertTransition[] = [];
    for (const e of evaluations) {
      const t = await this.record(e);
      if (t) transitions.push(t);
    }
    for (const t of transitions) await this.notify(t);
    await this.prune().catch(() => undefined);
    return transitions;
  }

  /**
   * Stores the evaluation under a row lock. A change of state (ok ↔ firing) is
   * added to the history; a notification is due when the state differs from
   * the last one notified and no silence covers the rule (so a rule that
   * fired under a silence is notified once the silence ends, if still firing).
   */
  private record(e: AlertEvaluation): Promise<AlertTransition | null> {
    const now = this.clock.now();
    return this.dataSource.transaction(async (m) => {
      await m.query(
        `INSERT INTO alert_states (rule, status, severity, message, value, evaluated_at)
         VALUES ($1, 'ok', $2, $3, $4, $5) ON CONFLICT (rule) DO NOTHING`,
        [e.rule, e.severity, e.message, e.value, now],
      );
      const [old]: { status: string; notified_status: string }[] = await m.query(
        'SELECT status, notified_status FROM alert_states WHERE rule = $1 FOR UPDATE',
        [e.rule],
      );
      const status = e.firing ? 'firing' : 'ok';
      const changed = old.status !== status;
      const [silence]: unknown[] =
        old.notified_status !== status
          ? await m.query(
              `SELECT 1 FROM alert_silences
                WHERE ended_at IS NULL AND expires_at > $2
                  AND (rule = $1 OR (right(rule, 1) = '*' AND starts_with($1, left(rule, -1))))
                LIMIT 1`,
              [e.rule, now],
            )
          : [];
      const notify = old.notified_status !== status && !silence;
      await m.query(
        `UPDATE alert_states SET status = $2::varchar, severity = $3, message = $4, value = $5,
                evaluated_at = $6::timestamptz,
                fired_at = CASE WHEN $7::boolean AND $2::varchar = 'firing' THEN $6::timestamptz ELSE fired_at END,
                resolved_at = CASE WHEN $7::boolean AND $2::varchar = 'ok' THEN $6::timestamptz ELSE resolved_at END,
                notified_status = CASE WHEN $8::boolean THEN $2::varchar ELSE notified_status END
          WHERE rule = $1`,
        [e.rule, status, e.severity, e.message, e.value, now, changed, notify],
      );
      if (changed || notify)
        await m.query(
          `INSERT INTO alert_events (rule, title, status, severity, message, value, at, notified)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
          [
            e.rule,
            e.title,
            e.firing ? 'firing' : 'resolved',
            e.severity,
            e.message,
            e.value,
            now,
            notify,
          ],
        );
      if (changed && !notify)
        this.logger.warn(`${e.firing ? 'FIRING' : 'resolved'} ${e.rule} (silenced): ${e.message}`);
      return notify ? { ...e, since: now } : null;
    });
  }

  private async prune(): Promise<void> {
    await this.dataSource.query(
      `DELETE FROM alert_events WHERE at < $1::timestamptz - make_interval(days => $2)`,
      [this.clock.now(), ALERT_HISTORY_DAYS],
    );
    await this.latency.prune();
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
    if (this.config.SLACK_WEBHOOK_URL)
      jobs.push(
        this.postJson(this.config.SLACK_WEBHOOK_URL, slackMessage(t, this.config.PUBLIC_URL)),
      );
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
    await this.postJson(url, body);
  }

  private async postJson(url: string, body: unknown): Promise<void> {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(5_000),
    });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`webhook answered ${res.status}`);
  }

  /** Recent transitions, newest first (the alerts page). */
  history(limit = 100): Promise<
    {
      rule: string;
      title: string;
      status: string;
      severity: string;
      message: string;
      at: Date;
      notified: boolean;
    }[]
  > {
    return this.dataSource.query(
      `SELECT rule, title, status, severity, message, at, notified FROM alert_events
        ORDER BY at DESC, id DESC LIMIT $1`,
      [limit],
    );
  }

  /** Silences in force, then those that ended in the last week. */
  silences(): Promise<
    {
      id: string;
      rule: string;
      reason: string;
      created_at: Date;
      expires_at: Date;
      ended_at: Date | null;
      active: boolean;
      created_by: string | null;
    }[]
  > {
    return this.dataSource.query(
      `SELECT s.id, s.rule, s.reason, s.created_at, s.expires_at, s.ended_at,
              (s.ended_at IS NULL AND s.expires_at > $1) AS active, u.full_name AS created_by
         FROM alert_silences s LEFT JOIN users u ON u.id = s.created_by_user_id
        WHERE (s.ended_at IS NULL AND s.expires_at > $1)
           OR coalesce(s.ended_at, s.expires_at) > $1::timestamptz - interval '7 days'
        ORDER BY active DESC, s.expires_at DESC LIMIT 100`,
      [this.clock.now()],
    );
  }

  async silence(
    rule: string,
    hours: number,
    reason: string,
    userId: string | null,
  ): Promise<{ id: string; expiresAt: Date }> {
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + hours * 3_600_000);
    const [row]: { id: string }[] = await this.dataSource.query(
      `INSERT INTO alert_silences (rule, reason, created_by_user_id, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [rule, reason, userId, now, expiresAt],
    );
    return { id: row.id, expiresAt };
  }

  /** Ends a silence now; false when there is none in force with that id. */
  async endSilence(id: string): Promise<boolean> {
    const now = this.clock.now();
    const [, count]: [unknown, number] = await this.dataSource.query(
      `UPDATE alert_silences SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL AND expires_at > $2`,
      [id, now],
    );
    return count > 0;
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
