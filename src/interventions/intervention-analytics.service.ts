import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock';
import { localParts, zonedTimeToInstant } from './business-calendar';
import { InterventionConfigService } from './intervention-config.service';
import { Actor, InterventionsService } from './interventions.service';

/** Counters, stats by status and type, and effectiveness per type. */
@Injectable()
export class InterventionAnalytics {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly interventions: InterventionsService,
    private readonly config: InterventionConfigService,
    private readonly clock: Clock,
  ) {}

  /** End of today and start of this week (Monday) in the organisation's time zone. */
  async calendarBounds(): Promise<{ dayEnd: Date; weekStart: Date }> {
    const { document } = await this.config.sla();
    const tz = document.calendar.timeZone;
    const now = this.clock.now().getTime();
    const p = localParts(now, tz);
    const today = Date.UTC(p.year, p.month - 1, p.day);
    const date = (ms: number) => {
      const d = new Date(ms);
      return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
    };
    return {
      dayEnd: new Date(zonedTimeToInstant(date(today + 86_400_000), 0, tz)),
      weekStart: new Date(zonedTimeToInstant(date(today - (p.weekday - 1) * 86_400_000), 0, tz)),
    };
  }

  async counters(actor: Actor) {
    const { dayEnd, weekStart } = await this.calendarBounds();
    return this.interventions.counters(actor, dayEnd, weekStart);
  }

  async stats(actor: Actor) {
    const scope = actor.canAssign
      ? ''
      : 'WHERE (assignee_user_id = $1 OR assignee_user_id IS NULL)';
    const params = actor.canAssign ? [] : [actor.userId];
    const [counters, byStatus, byType] = await Promise.all([
      this.counters(actor),
      this.dataSource.query(
        `SELECT status, count(*)::int AS n FROM interventions ${scope} GROUP BY status ORDER BY status`,
        params,
      ) as Promise<{ status: string; n: number }[]>,
      this.dataSource.query(
        `SELECT type, count(*)::int AS n FROM interventions ${scope} GROUP BY type ORDER BY type`,
        params,
      ) as Promise<{ type: string; n: number }[]>,
    ]);
    return {
      ...counters,
      byStatus: Object.fromEntries(byStatus.map((r) => [r.status, r.n])),
      byType: Object.fromEntries(byType.map((r) => [r.type, r.n])),
    };
  }

  /**
   * Per type: completion rate, outcome mix, median time to resolve, SLA
   * compliance, and the mean change in the tutor's 30-day metrics 30 days
   * after creation against the day of creation (interventions at least 30 days old).
   */
  async effectiveness() {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT i.type,
              count(*)::int AS total,
              count(*) FILTER (WHERE i.status = 'completed')::int AS completed,
              count(*) FILTER (WHERE i.status = 'cancelled')::int AS cancelled,
              count(*) FILTER (WHERE i.outcome = 'improved')::int AS improved,
              count(*) FILTER (WHERE i.outcome = 'no_change')::int AS no_change,
              count(*) FILTER (WHERE i.outcome = 'declined')::int AS declined,
              count(*) FILTER (WHERE i.outcome = 'churned')::int AS churned,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM i.resolved_at - i.created_at))
                FILTER (WHERE i.status = 'completed') AS median_resolve_seconds,
              count(*) FILTER (WHERE i.resolved_at IS NOT NULL)::int AS resolved,
              count(*) FILTER (WHERE i.resolved_at IS NOT NULL AND i.resolution_met_at <= i.resolution_due_at)::int AS resolved_in_time,
              avg(a.avg_rating - b.avg_rating) AS rating_change,
              avg(a.engagement_score - b.engagement_score) AS engagement_change,
              avg(a.reschedule_rate - b.reschedule_rate) AS reschedule_rate_change,
              avg(a.no_show_rate - b.no_show_rate) AS no_show_rate_change,
              count(a.tutor_id) FILTER (WHERE b.tutor_id IS NOT NULL)::int AS measured
         FROM interventions i
         LEFT JOIN LATERAL (
           SELECT * FROM tutor_metric_snapshots s
            WHERE s.tutor_id = i.tutor_id AND s.window_days = 30 AND s.snapshot_date <= i.created_at::date
            ORDER BY s.snapshot_date DESC LIMIT 1) b ON true
         LEFT JOIN LATERAL (
           SELECT * FROM tutor_metric_snapshots s
            WHERE s.tutor_id = i.tutor_id AND s.window_days = 30
              AND s.snapshot_date = (i.created_at::date + 30)
            LIMIT 1) a ON true
        GROUP BY i.type ORDER BY i.type`,
    );
    const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
    return {
      items: rows.map((r) => {
        const total = Number(r.total);
        const completed = Number(r.completed);
        const resolved = Number(r.resolved);
        return {
          type: r.type,
          total,
          completionRate: total ? completed / total : null,
          outcomes: {
            improved: r.improved,
            noChange: r.no_change,
            declined: r.declined,
            churned: r.churned,
          },
          medianHoursToResolve:
            r.median_resolve_seconds === null ? null : Number(r.median_resolve_seconds) / 3600,
          slaCompliance: resolved ? Number(r.resolved_in_time) / resolved : null,
          metricChange30d: {
            measured: r.measured,
            avgRating: num(r.rating_change),
            engagementScore: num(r.engagement_change),
            rescheduleRate: num(r.reschedule_rate_change),
            noShowRate: num(r.no_show_rate_change),
          },
        };
      }),
    };
  }
}
