import {
  ALL_JOBS,
  DEFAULT_JOB_OPTIONS,
  handlerName,
  JOBS,
  QUEUE_NAMES,
  redisOptionsFromUrl,
  retryDelayMs,
} from './queues';

describe('queues and job options', () => {
  it('names the six queues of the design', () => {
    expect(QUEUE_NAMES).toEqual([
      'events',
      'evaluation',
      'prediction',
      'training',
      'notifications',
      'maintenance',
    ]);
  });

  it('catalogues every job once, on a known queue', () => {
    const keys = ALL_JOBS.map(handlerName);
    expect(new Set(keys).size).toBe(keys.length);
    for (const job of ALL_JOBS) expect(QUEUE_NAMES).toContain(job.queue);
    expect(handlerName(JOBS.evaluation.tutorActivity)).toBe('evaluation.tutor-activity');
    for (const job of ALL_JOBS) expect(job.name).toMatch(/^[a-z][a-z-]*$/);
  });

  it('retries 5 times, keeps completed jobs a day (bounded) and failed ones 14 days', () => {
    expect(DEFAULT_JOB_OPTIONS.attempts).toBe(5);
    expect(DEFAULT_JOB_OPTIONS.removeOnComplete).toEqual({ age: 86_400, count: 20_000 });
    expect(DEFAULT_JOB_OPTIONS.removeOnFail).toEqual({ age: 14 * 86_400 });
  });

  it('backs off exponentially from 5 s, capped at 10 minutes, with ±20% jitter', () => {
    const middle = () => 0.5;
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(n, middle))).toEqual([
      5_000, 10_000, 20_000, 40_000, 80_000,
    ]);
    expect(retryDelayMs(20, middle)).toBe(600_000);
    expect(retryDelayMs(1, () => 0)).toBe(4_000);
    expect(retryDelayMs(1, () => 1)).toBe(6_000);
    expect(retryDelayMs(30, () => 1)).toBe(600_000);
    for (let i = 0; i < 100; i++) {
      const d = retryDelayMs(3);
      expect(d).toBeGreaterThanOrEqual(16_000);
      expect(d).toBeLessThanOrEqual(24_000);
    }
  });

  it('turns REDIS_URL into Bull connection options', () => {
    expect(redisOptionsFromUrl('redis://127.0.0.1:6380')).toMatchObject({
      host: '127.0.0.1',
      port: 6380,
    });
    const full = redisOptionsFromUrl('rediss://user:p%40ss@cache.example.com/3');
    expect(full).toMatchObject({
      host: 'cache.example.com',
      port: 6379,
      username: 'user',
      password: 'p@ss',
      db: 3,
      tls: {},
    });
    const retry = full.retryStrategy as (n: number) => number;
    expect([1, 4, 100].map(retry)).toEqual([250, 1000, 2000]);
  });
});
