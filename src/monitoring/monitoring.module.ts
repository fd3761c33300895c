import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { NotificationsModule } from '../notifications/notifications.module';
import { WebModule } from '../web/web.module';
import { WorkersModule } from '../workers/workers.module';
import { AlertingService } from './alerting.service';
import { AlertsPageController } from './alerts-page.controller';
import { ApiLatencyRecorder } from './api-latency.service';
import { ErrorReporting } from './error-reporting';
import { HealthController } from './health.controller';
import { MetricsController } from './metrics.controller';
import { MonitoringMetrics } from './metrics.service';
import { MonitoringProcessor } from './monitoring.processor';
import { MonitoringQueries } from './monitoring-queries.service';
import { Readiness } from './readiness.service';
import { StatusPageController } from './status-page.controller';
import { UptimeService } from './uptime.service';

/** Health (terminus), Prometheus metrics, uptime checks and incidents, alerting. */
@Module({
  imports: [
    TerminusModule.forRoot({ logger: false }),
    WorkersModule,
    NotificationsModule,
    WebModule,
  ],
  controllers: [HealthController, MetricsController, StatusPageController, AlertsPageController],
  providers: [
    Readiness,
    MonitoringQueries,
    MonitoringMetrics,
    UptimeService,
    AlertingService,
    MonitoringProcessor,
    ErrorReporting,
    ApiLatencyRecorder,
  ],
  exports: [MonitoringMetrics, Readiness],
})
export class MonitoringModule {}
