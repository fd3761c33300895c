import { ExecutionContext, HttpException, HttpStatus, Injectable, Logger } from '@nestjs/common';
import {
  ThrottlerGuard,
  SkipThrottle,
  ThrottlerModuleOptions,
  ThrottlerOptions,
  ThrottlerStorage,
  ThrottlerStorageService,
} from '@nestjs/throttler';
import { ThrottlerLimitDetail } from '@nestjs/throttler/dist/throttler.guard.interface';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type { Request, Response } from 'express';
import Redis from 'ioredis';
import type { AppRequest } from '../auth/principal';
import { RESET_LIMIT_KEY, SIGN_IN_LIMIT_KEY } from './rate-limit.decorators';

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Throttlers that stay closed when Redis is away (per-process counters instead). */
const FAIL_CLOSED = new Set(['sign-in', 'reset']);

const marked = (context: ExecutionContext, key: string): boolean =>
  Boolean(
    Reflect.getMetadata(key, context.getHandler()) ?? Reflect.getMetadata(key, context.getClass()),
  );
const method = (context: ExecutionContext) => context.switchToHttp().getRequest<Request>().method;
const byIp = (req: Record<string, unknown>) =>
  Promise.resolve(String((req as unknown as Request).ip ?? 'unknown'));
const byCaller = (req: Record<string, unknown>) => {
  const principal = (req as unknown as AppRequest).principal;
  return Promise.resolve(
    principal
      ? `${principal.kind}:${principal.id}`
      : `ip:${String((req as unknown as Request).ip)}`,
  );
};

/**
 * Counters live in Redis, shared by every process. When Redis is away, reads
 * and writes fail open; sign-in and reset stay limited by per-process counters.
 */
export class ResilientThrottlerStorage implements ThrottlerStorage {
  private readonly logger = new Logger('RateLimit');
  private readonly memory = new ThrottlerStorageService();
  private warned = false;

  constructor(private readonly redis: ThrottlerStorageRedisService) {}

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ) {
    try {
      const record = await this.redis.increment(key, ttl, limit, blockDuration, throttlerName);
      this.warned = false;
      return record;
    } catch (error) {
      if (!this.warned) {
        this.logger.warn(
          `Redis unavailable for rate limits (${(error as Error).message}); reads and writes fail open`,
        );
        this.warned = true;
      }
      if (FAIL_CLOSED.has(throttlerName))
        return this.memory.increment(key, ttl, limit, blockDuration, throttlerName);
      return { totalHits: 0, timeToExpire: 0, isBlocked: false, timeToBlockExpire: 0 };
    }
  }
}

const THROTTLERS: ThrottlerOptions[] = [
  {
    name: 'sign-in',
    ttl: 60_000,
    limit: 5,
    getTracker: byIp,
    skipIf: (c) => !marked(c, SIGN_IN_LIMIT_KEY),
  },
  {
    name: 'reset',
    ttl: 3_600_000,
    limit: 3,
    getTracker: byIp,
    skipIf: (c) => !marked(c, RESET_LIMIT_KEY),
  },
  {
    name: 'reads',
    ttl: 60_000,
    limit: 600,
    getTracker: byCaller,
    skipIf: (c) => UNSAFE.has(method(c)),
  },
  {
    name: 'writes',
    ttl: 60_000,
    limit: 120,
    getTracker: byCaller,
    skipIf: (c) => !UNSAFE.has(method(c)),
  },
];

/**
 * No rate limit at all on a route (every named limit skipped; the library's own
 * `@SkipThrottle()` skips only one called "default"). For load-balancer probes.
 */
export const NoRateLimit = () =>
  SkipThrottle(Object.fromEntries(THROTTLERS.map((t) => [t.name ?? 'default', true])));

export function rateLimitOptions(redis: Redis, prefix: string): ThrottlerModuleOptions {
  return {
    generateKey: (context, tracker, name) =>
      `${prefix}:rl:${name}:${context.getClass().name}.${context.getHandler().name}:${tracker}`,
    throttlers: THROTTLERS,
    storage: new ResilientThrottlerStorage(new ThrottlerStorageRedisService(redis)),
  };
}

/** Answers 429 with a plain Retry-After header and a message naming the wait. */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override async throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const seconds = Math.max(1, Math.ceil(detail.timeToBlockExpire));
    context.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(seconds));
    throw new HttpException(
      `Too many requests; try again in ${seconds} s`,
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}
