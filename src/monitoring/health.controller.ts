import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorResult,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import Redis from 'ioredis';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Public, RequirePermission } from '../auth/access.decorators';
import { DetailedHttpError } from '../common/error-body';
import { REDIS } from '../common/redis.module';
import { AppConfig } from '../config/app-config';
import { NoRateLimit } from '../security/rate-limit';
import { WorkerStats } from '../workers/worker-stats.service';
import { probeDisk, probeQueues, probeSmtp, ProbeResult, withTimeout } from './probes';
import { PingResult, Readiness } from './readiness.service';
import { ReusedCheck } from './reused-check';

const REDIS_PING_TIMEOUT_MS = 300;

/**
 * Probes for load balancers and operators. `live` and `ready` carry no rate
 * limit: a load balancer probes from one address many times a minute, a 429
 * would take a healthy instance out of rotation, and the limit's counter is a
 * Redis round trip per probe. `deep` stays limited (admins only, and slow).
 */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly readiness: Readiness,
    private readonly stats: WorkerStats,
    private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    // A dropped connection forgets the last good PING at once.
    for (const event of ['close', 'end', 'error'])
      this.redis.on(event, () => this.redisPing.forget());
  }

  /** PING answered from memory while it keeps succeeding (see ReusedCheck). */
  private readonly redisPing = new ReusedCheck(() => this.pingRedis());

  /** The process is up. Never touches a dependency. */
  @Get('live')
  @Public()
  @NoRateLimit()
  @ApiOkResponse({ description: 'The process is running' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * Ready to serve: 503 when PostgreSQL does not answer, when migrations are
   * pending, or when ROLE=all|worker and a job has no processor attached. A
   * Redis outage is reported as degraded (200): pages still work and events
   * wait in the outbox. Cheap: a SELECT 1 on a connection of its own and a
   * PING, each answered from memory while it keeps succeeding (ReusedCheck:
   * refreshed in the background, forgotten when its connection drops), so a
   * probe under load waits for neither.
   */
  @Get('ready')
  @Public()
  @NoRateLimit()
  @HealthCheck()
  @ApiServiceUnavailableResponse({
    description: 'PostgreSQL does not answer, migrations are pending, or no processor is attached',
  })
  ready(): Promise<HealthCheckResult> {
    return this.checked([
      () => this.databaseState(),
      () => this.redisState(),
      () => this.migrationState(),
      () => this.workersState(),
    ]);
  }

  /**
   * Readiness plus the slow checks (admins only, never for a load balancer):
   * SMTP reachability (verify, 3 s timeout), queue backlogs, free disk.
   */
  @Get('deep')
  @RequirePermission('system.operate')
  @HealthCheck()
  @ApiServiceUnavailableResponse({ description: 'A dependency is down' })
  deep(): Promise<HealthCheckResult> {
    return this.checked([
      () => this.database.pingCheck('database', { timeout: 1000 }),
      () => this.redisState(),
      () => this.migrationState(),
      () => this.workersState(),
      async () => this.fromProbe('smtp', await probeSmtp(this.config.SMTP_URL)),
      async () => this.fromProbe('queues', await probeQueues(() => this.stats.counts())),
      async () => this.fromProbe('disk', await probeDisk(this.config.DATA_DIR)),
    ]);
  }

  private async checked(
    checks: Parameters<HealthCheckService['check']>[0],
  ): Promise<HealthCheckResult> {
    try {
      return await this.health.check(checks);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const result = error.getResponse() as HealthCheckResult;
      const down = Object.keys(result.error ?? {});
      const what =
        down.length === 1 && down[0] === 'database'
          ? 'database does not answer'
          : down.map((name) => `${name}: ${String(result.error?.[name]?.message ?? 'down')}`);
      throw new DetailedHttpError(
        503,
        `Not ready: ${Array.isArray(what) ? what.join('; ') : what}`,
        { ...result },
      );
    }
  }

  /** SELECT 1 on the readiness connection (not the pool: a busy pool is no outage). */
  private async databaseState(): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check('database');
    const result = await this.readiness.databasePing();
    return result.up
      ? indicator.up({ latencyMs: result.latencyMs })
      : indicator.down({ message: result.message });
  }

  private migrationState(): HealthIndicatorResult {
    const indicator = this.indicators.check('migrations');
    const pending = this.readiness.pendingMigrations();
    return pending.length
      ? indicator.down({ message: `${pending.length} pending`, pending })
      : indicator.up();
  }

  private workersState(): HealthIndicatorResult {
    const indicator = this.indicators.check('workers');
    const state = this.readiness.workerState();
    if (state.status === 'down') return indicator.down({ message: state.message });
    const { status: _status, ...rest } = state;
    return indicator.up(rest as Record<string, unknown>);
  }

  private fromProbe(key: string, result: ProbeResult): HealthIndicatorResult {
    const indicator = this.indicators.check(key);
    const data = { latencyMs: result.latencyMs, ...(result.data ?? {}) };
    return result.up ? indicator.up(data) : indicator.down({ ...data, message: result.detail });
  }

  private async redisState(): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check('redis');
    const result = await this.redisPing.get();
    return result.up
      ? indicator.up({ latencyMs: result.latencyMs })
      : indicator.up({
          degraded: true,
          message: `Redis unavailable (${result.message}); queued work waits in PostgreSQL`,
        });
  }

  private async pingRedis(): Promise<PingResult> {
    const started = Date.now();
    try {
      if (this.redis.status !== 'ready') throw new Error(`connection is ${this.redis.status}`);
      await withTimeout(this.redis.ping(), REDIS_PING_TIMEOUT_MS, 'ping');
      return { up: true, latencyMs: Date.now() - started };
    } catch (error) {
      return { up: false, message: (error as Error).message };
    }
  }
}
