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
import { Public } from '../auth/access.decorators';
import { DetailedHttpError } from '../common/error-body';
import { REDIS } from '../common/redis.module';

const REDIS_PING_TIMEOUT_MS = 300;

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  /** The process is up. Never touches a dependency. */
  @Get('live')
  @Public()
  @ApiOkResponse({ description: 'The process is running' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * Ready to serve: 503 when PostgreSQL does not answer. A Redis outage is
   * reported as degraded (200): pages still work and events wait in the outbox.
   */
  @Get('ready')
  @Public()
  @HealthCheck()
  @ApiServiceUnavailableResponse({ description: 'PostgreSQL does not answer' })
  async ready(): Promise<HealthCheckResult> {
    try {
      return await this.health.check([
        () => this.database.pingCheck('database', { timeout: 1000 }),
        () => this.redisState(),
      ]);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const result = error.getResponse() as HealthCheckResult;
      const down = Object.keys(result.error ?? {});
      throw new DetailedHttpError(503, `Not ready: ${down.join(', ')} does not answer`, {
        ...result,
      });
    }
  }

  private async redisState(): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check('redis');
    const started = Date.now();
    try {
      if (this.redis.status !== 'ready') throw new Error(`connection is ${this.redis.status}`);
      await Promise.race([
        this.redis.ping(),
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error('ping timed out')), REDIS_PING_TIMEOUT_MS),
        ),
      ]);
      return indicator.up({ latencyMs: Date.now() - started });
    } catch (error) {
      return indicator.up({
        degraded: true,
        message: `Redis unavailable (${(error as Error).message}); queued work waits in PostgreSQL`,
      });
    }
  }
}
