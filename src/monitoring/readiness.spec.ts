import { JOBS } from '../workers/queues';
import { bearerMatches } from './metrics.controller';
import { workerState } from './readiness.service';

const jobs = [JOBS.maintenance.uptimeChecks, JOBS.evaluation.nightly];
const queue = (status: string, handlers: string[]) => () => ({
  client: { status } as never,
  handlers: Object.fromEntries(handlers.map((h) => [h, () => undefined])),
});

describe('workerState', () => {
  it('is up without processing for ROLE=web', () => {
    expect(workerState('web', false, false, jobs, queue('ready', []))).toEqual({
      status: 'up',
      processing: false,
      role: 'web',
    });
  });

  it('is down when ROLE says workers but none is bound, or a job has no handler', () => {
    expect(workerState('worker', true, false, jobs, queue('ready', [])).status).toBe('down');
    expect(workerState('all', true, true, jobs, queue('ready', ['uptime-checks']))).toEqual({
      status: 'down',
      message: 'no processor attached for evaluation/nightly-evaluation',
    });
  });

  it('is up with every handler attached, and degraded while Redis is away', () => {
    const all = ['uptime-checks', 'nightly-evaluation'];
    expect(workerState('all', true, true, jobs, queue('ready', all))).toEqual({
      status: 'up',
      processing: true,
      handlers: 2,
    });
    expect(workerState('all', true, true, jobs, queue('reconnecting', []))).toMatchObject({
      status: 'up',
      degraded: true,
    });
  });
});

describe('bearerMatches', () => {
  it('accepts only the exact token as a bearer credential', () => {
    const token = 'a'.repeat(40);
    expect(bearerMatches(`Bearer ${token}`, token)).toBe(true);
    expect(bearerMatches(`bearer ${token}`, token)).toBe(true);
    expect(bearerMatches(`Bearer ${token}b`, token)).toBe(false);
    expect(bearerMatches(token, token)).toBe(false);
    expect(bearerMatches(undefined, token)).toBe(false);
    expect(bearerMatches('Bearer ', token)).toBe(false);
  });
});
