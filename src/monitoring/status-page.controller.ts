import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Page, RequirePermission } from '../auth/access.decorators';
import type { AppRequest } from '../auth/principal';
import { Clock } from '../common/clock';
import { Pages } from '../web/pages.service';
import { AlertingService } from './alerting.service';
import { DayUptime, UPTIME_RETENTION_DAYS, UptimeService } from './uptime.service';

/** The CSS class of a day's block: no data, all up, ≥ 99.5 %, ≥ 95 %, worse. */
export function dayClass(day: DayUptime | undefined): string {
  if (!day || day.total === 0) return 'uptime-none';
  const pct = (100 * day.up) / day.total;
  if (pct >= 100) return 'uptime-full';
  if (pct >= 99.5) return 'uptime-high';
  if (pct >= 95) return 'uptime-mid';
  return 'uptime-low';
}

/** UTC days, oldest first, ending today. */
function lastDays(today: Date, n: number): string[] {
  return Array.from({ length: n }, (_, i) =>
    new Date(today.getTime() - (n - 1 - i) * 86_400_000).toISOString().slice(0, 10),
  );
}

/** /admin/status: 30 days of uptime per service as server-drawn strips, incidents and alerts. */
@ApiExcludeController()
@Controller('admin/status')
export class StatusPageController {
  constructor(
    private readonly uptime: UptimeService,
    private readonly alerting: AlertingService,
    private readonly pages: Pages,
    private readonly clock: Clock,
  ) {}

  @Get()
  @Page()
  @RequirePermission('system.operate')
  async page(@Req() req: AppRequest, @Res() res: Response): Promise<void> {
    const [daily, month, latest, incidents, alerts] = await Promise.all([
      this.uptime.daily(),
      this.uptime.uptime(UPTIME_RETENTION_DAYS * 24),
      this.uptime.latest(),
      this.uptime.incidents(),
      this.alerting.states(),
    ]);
    const days = lastDays(this.clock.now(), UPTIME_RETENTION_DAYS);
    const services = [...new Set([...daily.map((d) => d.service), ...latest.map((l) => l.service)])]
      .sort()
      .map((service) => {
        const now = latest.find((l) => l.service === service);
        const byDay = new Map(daily.filter((d) => d.service === service).map((d) => [d.day, d]));
        return {
          service,
          up: now?.up ?? false,
          state: now ? (now.up ? 'up' : 'down') : 'no recent check',
          latencyMs: now?.latency_ms ?? null,
          uptime30: month[service] ? `${month[service].percent.toFixed(2)}%` : '—',
          days: days.map((day) => {
            const d = byDay.get(day);
            return {
              day,
              cls: dayClass(d),
              label: d
                ? `${day}: ${((100 * d.up) / d.total).toFixed(2)}% of ${d.total} checks`
                : `${day}: no checks`,
            };
          }),
        };
      });
    this.pages.send(
      req,
      res,
      'admin/status',
      {
        services,
        incidents: incidents.map((i) => ({
          service: i.service,
          startedAt: i.started_at,
          endedAt: i.ended_at,
          open: i.ended_at === null,
          cause: i.cause ?? '',
        })),
        alerts: alerts.map((a) => ({ ...a, firing: a.status === 'firing' })),
      },
      { title: 'Status' },
    );
  }
}
