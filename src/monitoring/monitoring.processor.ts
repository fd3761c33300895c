import { Injectable } from '@nestjs/common';
import { JobProcessor } from '../workers/job-processor.decorator';
import { JOBS } from '../workers/queues';
import { AlertingService } from './alerting.service';
import { UptimeService } from './uptime.service';

/** Scheduled ticks; no payload. */
export class MonitoringTickJob {}

/** The monitoring module's processors: thin, scheduled every minute / five minutes. */
@Injectable()
export class MonitoringProcessor {
  constructor(
    private readonly uptime: UptimeService,
    private readonly alerting: AlertingService,
  ) {}

  @JobProcessor(JOBS.maintenance.uptimeChecks, { payload: MonitoringTickJob })
  async uptimeChecks() {
    const result = await this.uptime.run();
    // A service going down (or coming back) is told at once, not at the next 5-minute evaluation.
    if (result.opened.length || result.closed.length) await this.alerting.evaluate();
    return result;
  }

  @JobProcessor(JOBS.maintenance.alertRules, { payload: MonitoringTickJob })
  async alertRules() {
    const transitions = await this.alerting.evaluate();
    return { transitions: transitions.map((t) => `${t.rule}:${t.firing ? 'firing' : 'ok'}`) };
  }
}
