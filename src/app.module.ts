import { BullModule } from '@nestjs/bull';
import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { DestinationStream } from 'pino';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { AppLoggingModule } from './common/app-logger';
import { SsoModule } from './auth/sso/sso.module';
import { AllExceptionsFilter } from './common/http-exception.filter';
import { CommonModule } from './common/common.module';
import { CompliancePolicyModule } from './compliance/compliance-policy.module';
import { ComplianceModule } from './compliance/compliance.module';
import { RedisModule } from './common/redis.module';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { InterventionsModule } from './interventions/interventions.module';
import { MonitoringModule } from './monitoring/monitoring.module';
import { NotificationsModule } from './notifications/notifications.module';
import { PerformanceModule } from './performance/performance.module';
import { PredictionModule } from './prediction/prediction.module';
import { SecurityModule } from './security/security.module';
import { SelfServiceModule } from './self-service/self-service.module';
import { SimulationModule } from './tutoring/synthetic/simulation.module';
import { TutoringModule } from './tutoring/tutoring.module';
import { WebModule } from './web/web.module';
import { bullRootOptions } from './workers/queues';
import { WorkerMonitoringModule } from './workers/worker-monitoring.module';
import { WorkersModule } from './workers/workers.module';

@Module({})
export class AppModule {
  /** `logging: false` leaves out the pino logger and its request logging (tests, benchmarks). */
  static forRoot(
    config: AppConfig,
    logging: { destination?: DestinationStream } | false = {},
  ): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        ...(logging === false ? [] : [AppLoggingModule.forRoot(config, logging.destination)]),
        CommonModule,
        RedisModule,
        DatabaseModule,
        BullModule.forRootAsync({
          inject: [AppConfig],
          useFactory: bullRootOptions,
        }),
        SecurityModule,
        WebModule,
        AuthModule,
        SsoModule,
        AuditModule,
        WorkersModule,
        WorkerMonitoringModule,
        NotificationsModule,
        TutoringModule,
        SimulationModule,
        PerformanceModule,
        PredictionModule,
        InterventionsModule,
        MonitoringModule,
        SelfServiceModule,
        CompliancePolicyModule,
        ComplianceModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: AllExceptionsFilter }],
    };
  }
}
