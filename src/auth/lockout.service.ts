import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { createHash } from 'node:crypto';
import { REDIS } from '../common/redis.module';
import { AppConfig } from '../config/app-config';

export const MAX_FAILURES = 5;
export const LOCK_SECONDS = 15 * 60;

/**
 * Failed sign-ins per (account, IP): five lock that account for that IP for 15
 * minutes, so nobody elsewhere can lock a manager out. Counters live in Redis;
 * while Redis is away a per-process counter keeps sign-in closed to guessing.
 */
@Injectable()
export class LockoutService {
  private readonly fallback = new Map<string, { count: number; until: number }>();

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly config: AppConfig,
  ) {}

  private key(email: string, ip: string): string {
    return `${this.config.QUEUE_PREFIX}:signin-fail:${createHash('sha256').update(`${email.toLowerCase()}|${ip}`).digest('hex').slice(0, 32)}`;
  }

  /** Seconds until the lock lifts, or 0 when not locked. */
  async lockedFor(email: string, ip: string): Promise<number> {
    const key = this.key(email, ip);
    try {
      const [count, ttl] = await Promise.all([this.redis.get(key), this.redis.ttl(key)]);
      return Number(count ?? 0) >= MAX_FAILURES ? Math.max(ttl, 1) : 0;
    } catch {
      const entry = this.fallback.get(key);
      if (!entry || entry.until < Date.now()) return 0;
      return entry.count >= MAX_FAILURES ? Math.ceil((entry.until - Date.now()) / 1000) : 0;
    }
  }

  /** Records a failure; returns true when this failure locked the account for this IP. */
  async recordFailure(email: string, ip: string): Promise<boolean> {
    const key = this.key(email, ip);
    try {
      const [[, count]] = (await this.redis.multi().incr(key).expire(key, LOCK_SECONDS).exec()) as [
        [null, number],
      ];
      return count === MAX_FAILURES;
    } catch {
      const now = Date.now();
      const entry = this.fallback.get(key);
      const next =
        entry && entry.until > now
          ? { count: entry.count + 1, until: now + LOCK_SECONDS * 1000 }
          : { count: 1, until: now + LOCK_SECONDS * 1000 };
      this.fallback.set(key, next);
      return next.count === MAX_FAILURES;
    }
  }

  async reset(email: string, ip: string): Promise<void> {
    const key = this.key(email, ip);
    this.fallback.delete(key);
    await this.redis.del(key).catch(() => undefined);
  }
}
