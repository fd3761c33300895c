import Redis from 'ioredis';
import { Client } from 'pg';

/** A dependency that did not answer at boot; its message is one line for the operator. */
export class BootError extends Error {}

const withTimeout = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([
    promise,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms),
    ),
  ]);

/** Fails within a few seconds, naming REDIS_URL, when Redis does not answer. */
export async function checkRedis(url: string, timeoutMs = 4000): Promise<void> {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
  });
  redis.on('error', () => undefined);
  try {
    await withTimeout(
      redis.connect().then(() => redis.ping()),
      timeoutMs,
      'connecting',
    );
  } catch (error) {
    throw new BootError(
      `Redis does not answer at REDIS_URL=${redact(url)} (${(error as Error).message}). ` +
        'Start one (e.g. `redis-server --daemonize yes` or `docker run -p 6379:6379 redis:7`) or set REDIS_URL.',
    );
  } finally {
    redis.disconnect();
  }
}

/** Fails within a few seconds, naming DATABASE_URL, when PostgreSQL does not answer. */
export async function checkPostgres(url: string, timeoutMs = 4000): Promise<void> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined);
  try {
    await withTimeout(
      client.connect().then(() => client.query('SELECT 1')),
      timeoutMs + 500,
      'connecting',
    );
  } catch (error) {
    throw new BootError(
      `PostgreSQL does not answer at DATABASE_URL=${redact(url)} (${(error as Error).message}). ` +
        'Start it or fix DATABASE_URL; leave DATABASE_URL unset to use the embedded PostgreSQL.',
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Hides the password of a connection URL. */
export function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@]+@/, '$1***@');
}
