import type Redis from 'ioredis';
import nodemailer from 'nodemailer';
import { statfs } from 'node:fs/promises';
import type { DataSource } from 'typeorm';
import type { QueueCounts } from '../workers/worker-stats.service';

/** The outcome of one check of one dependency. */
export interface ProbeResult {
  up: boolean;
  latencyMs: number;
  detail?: string;
  data?: Record<string, unknown>;
}

/** Rejects after `ms` with "<what> timed out after <ms> ms". */
export async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Times `check`; any error (or timeout) is a down result carrying its message. */
export async function probe(
  what: string,
  timeoutMs: number,
  check: () => Promise<Record<string, unknown> | void>,
): Promise<ProbeResult> {
  const started = performance.now();
  try {
    const data = await withTimeout(check(), timeoutMs, what);
    return {
      up: true,
      latencyMs: Math.round(performance.now() - started),
      ...(data ? { data } : {}),
    };
  } catch (error) {
    return {
      up: false,
      latencyMs: Math.round(performance.now() - started),
      detail: withoutCredentials((error as Error).message),
    };
  }
}

/** Strips user:password@ from any URL inside a message. */
export const withoutCredentials = (text: string): string =>
  text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, '$1');

export const probePostgres = (dataSource: DataSource, timeoutMs = 2_000) =>
  probe('PostgreSQL', timeoutMs, async () => {
    await dataSource.query('SELECT 1');
  });

export const probeRedis = (redis: Redis, timeoutMs = 1_000) =>
  probe('Redis', timeoutMs, async () => {
    if (redis.status !== 'ready') throw new Error(`Redis connection is ${redis.status}`);
    await redis.ping();
  });

/** The queues answer (counts readable) — Bull's own connections, not the shared client. */
export const probeQueues = (counts: () => Promise<QueueCounts[]>, timeoutMs = 2_000) =>
  probe('queues', timeoutMs, async () => {
    const all = await counts();
    return {
      waiting: all.reduce((n, c) => n + c.waiting + c.delayed, 0),
      failed: all.reduce((n, c) => n + c.failed, 0),
      byQueue: all,
    };
  });

/** SMTP greeting and EHLO (nodemailer verify); unset SMTP_URL means the .eml drop, always up. */
export const probeSmtp = (url: string | undefined, timeoutMs = 3_000) =>
  probe('SMTP', timeoutMs + 500, async () => {
    if (!url) return { mode: 'file drop (SMTP_URL unset)' };
    const transport = nodemailer.createTransport(url, {
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    } as object);
    try {
      await transport.verify();
    } finally {
      transport.close();
    }
  });

/** GET <PUBLIC_URL>/health/live: the app as the outside world reaches it. */
export const probeUrl = (base: string, timeoutMs = 5_000) =>
  probe('PUBLIC_URL', timeoutMs + 500, async () => {
    const url = new URL('/health/live', base);
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${url.origin}/health/live answered ${res.status}`);
  });

/** Free space where DATA_DIR lives; down below 5 % free. */
export const probeDisk = (path: string) =>
  probe('disk', 1_000, async () => {
    const s = await statfs(path);
    const total = s.blocks * s.bsize;
    const free = s.bavail * s.bsize;
    const freeShare = total ? free / total : 0;
    if (freeShare < 0.05)
      throw new Error(`only ${(freeShare * 100).toFixed(1)} % of the disk is free`);
    return { path, freeBytes: free, totalBytes: total, freePercent: +(freeShare * 100).toFixed(1) };
  });
