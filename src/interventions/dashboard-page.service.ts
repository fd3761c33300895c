import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import type { AppRequest } from '../auth/principal';
import { Clock } from '../common/clock';
import { PERFORMANCE_TIERS } from '../performance/performance.constants';
import { Pages } from '../web/pages.service';
import { InterventionAnalytics } from './intervention-analytics.service';
import { INTERVENTION_TYPE_INFO, InterventionType, RISK_BANDS } from './intervention.constants';
import { actorOf, InterventionsService } from './interventions.service';
import { queueRow } from './queue-row';
export { HOME_DASHBOARD } from './home-dashboard.token';

/** The staff dashboard: queue overview, SLA compliance this week, breaches, charts. */
@Injectable()
export class DashboardPage {
  constructor(
    private readonly interventions: InterventionsService,
    private readonly analytics: InterventionAnalytics,
    private readonly pages: Pages,
    private readonly clock: Clock,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async render(req: AppRequest, res: Response): Promise<void> {
    const actor = actorOf(req.principal);
    const { weekStart } = await this.analytics.calendarBounds();
    const [counters, byType, compliance, tiers, bands] = await Promise.all([
      this.analytics.counters(actor),
      this.dataSource.query(
        `SELECT type, count(*)::int AS n FROM interventions WHERE status IN ('open', 'assigned', 'in_progress', 'waiting')
          GROUP BY type ORDER BY n DESC`,
      ) as Promise<{ type: InterventionType; n: number }[]>,
      this.dataSource.query(
        `SELECT count(*)::int AS resolved,
                count(*) FILTER (WHERE resolution_met_at <= resolution_due_at)::int AS in_time
           FROM interventions WHERE resolved_at >= $1`,
        [weekStart],
      ) as Promise<{ resolved: number; in_time: number }[]>,
      this.dataSource.query(
        `SELECT coalesce(tier, 'Not rated') AS tier, count(*)::int AS n FROM tutor_performance_tiers GROUP BY 1`,
      ) as Promise<{ tier: string; n: number }[]>,
      // Read-only: the prediction module's current risk per tutor; tutors with no row are "not scored".
      this.dataSource.query(
        `SELECT coalesce(r.band, 'none') AS band, count(*)::int AS n
           FROM tutors t LEFT JOIN tutor_risk r ON r.tutor_id = t.id
          WHERE t.status <> 'churned' OR r.tutor_id IS NOT NULL GROUP BY 1`,
      ) as Promise<{ band: string; n: number }[]>,
    ]);
    const bars = (items: { label: string; n: number }[]) => {
      const max = Math.max(1, ...items.map((i) => i.n));
      return items.map((i, index) => ({
        ...i,
        y: index * 28,
        width: Math.round((i.n / max) * 300),
        textX: Math.round((i.n / max) * 300) + 6,
      }));
    };
    const typeBars = bars(
      byType.map((r) => ({ label: INTERVENTION_TYPE_INFO[r.type].label, n: r.n })),
    );
    const tierOrder = [...PERFORMANCE_TIERS, 'Not rated'];
    const tierBars = bars(
      tierOrder.map((t) => ({ label: t, n: tiers.find((r) => r.tier === t)?.n ?? 0 })),
    );
    const riskBars = bars(
      [...[...RISK_BANDS].reverse(), 'none'].map((b) => ({
        label: b === 'none' ? 'Not scored' : `${b[0].toUpperCase()}${b.slice(1)}`,
        n: bands.find((r) => r.band === b)?.n ?? 0,
      })),
    ).map((bar, index) => ({
      ...bar,
      band: [...[...RISK_BANDS].reverse(), 'none'][index],
    }));
    const c = compliance[0];
    const breaches = await this.interventions.list(
      {
        slaState: 'breached',
        sort: 'due',
        limit: 10,
        status: ['open', 'assigned', 'in_progress', 'waiting'],
      },
      actor,
    );
    const now = this.clock.now().getTime();
    this.pages.send(
      req,
      res,
      'dashboard',
      {
        signedInAs: {
          email: req.principal?.kind === 'user' ? req.principal.email : '',
          roles: req.principal?.kind === 'user' ? req.principal.roles.join(', ') : '',
        },
        counters,
        compliance: {
          resolved: c.resolved,
          inTime: c.in_time,
          percent: c.resolved ? Math.round((c.in_time / c.resolved) * 100) : null,
        },
        typeChart: { bars: typeBars, height: Math.max(28, typeBars.length * 28) },
        tierChart: { bars: tierBars, height: tierBars.length * 28 },
        riskChart: {
          bars: riskBars,
          height: riskBars.length * 28,
          scored: riskBars.filter((b) => b.band !== 'none').reduce((sum, b) => sum + b.n, 0),
        },
        breaches: breaches.items.map((i) => queueRow(i, now)),
      },
      { title: 'Dashboard' },
    );
  }
}
