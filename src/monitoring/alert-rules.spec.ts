import { loadConfig } from '../config/app-config';
import { AlertFacts, evaluateRules } from './alert-rules';
import { quantileFromBuckets } from './api-latency.service';

const config = loadConfig({});
const base: AlertFacts = {
  outboxBacklog: 0,
  queueFailed: 0,
  slaBreaches: 0,
  uptime24h: {},
  insightP95Seconds: null,
};
const rule = (facts: Partial<AlertFacts>, name: string) =>
  evaluateRules({ ...base, ...facts }, config).find((e) => e.rule === name)!;

describe('evaluateRules', () => {
  it('insight latency SLA: warning under 95 % within 60 min, critical under 90 %, quiet without data', () => {
    expect(
      rule({ insightUnder60: { count: 100, share: 0.96 } }, 'insight-latency-sla').firing,
    ).toBe(false);
    expect(
      rule({ insightUnder60: { count: 100, share: 0.93 } }, 'insight-latency-sla'),
    ).toMatchObject({
      firing: true,
      severity: 'warning',
      value: 93,
    });
    expect(
      rule({ insightUnder60: { count: 100, share: 0.5 } }, 'insight-latency-sla').severity,
    ).toBe('critical');
    expect(rule({ insightUnder60: { count: 0, share: null } }, 'insight-latency-sla').firing).toBe(
      false,
    );
  });

  it('API latency needs 20 requests before judging p95 and p99', () => {
    const slow = { p95Ms: 900, p99Ms: 1200 };
    expect(rule({ apiLatency: { count: 19, ...slow } }, 'api-latency-p95').firing).toBe(false);
    expect(rule({ apiLatency: { count: 20, ...slow } }, 'api-latency-p95').firing).toBe(true);
    expect(rule({ apiLatency: { count: 20, ...slow } }, 'api-latency-p99').firing).toBe(true);
    expect(
      rule({ apiLatency: { count: 20, p95Ms: 499, p99Ms: 999 } }, 'api-latency-p99').firing,
    ).toBe(false);
  });

  it('cache hit ratio below 90 % over enough blocks; queue backlog at 1000 waiting', () => {
    expect(rule({ dbCache: { ratio: 0.5, blocks: 999 } }, 'db-cache-hit-ratio').firing).toBe(false);
    expect(rule({ dbCache: { ratio: 0.89, blocks: 5000 } }, 'db-cache-hit-ratio').firing).toBe(
      true,
    );
    expect(rule({ dbCache: { ratio: 0.95, blocks: 5000 } }, 'db-cache-hit-ratio').firing).toBe(
      false,
    );
    expect(rule({ queueWaiting: 999 }, 'queue-backlog').firing).toBe(false);
    expect(rule({ queueWaiting: 1000 }, 'queue-backlog').firing).toBe(true);
  });

  it('a service is down (critical) when its last check failed, degraded (warning) when slow', () => {
    const facts = {
      services: [
        { service: 'smtp', up: false, latencyMs: 3000, detail: 'timed out' },
        { service: 'redis', up: true, latencyMs: 1500, detail: null },
      ],
    };
    expect(rule(facts, 'service-down:smtp')).toMatchObject({ firing: true, severity: 'critical' });
    expect(rule(facts, 'service-degraded:smtp').firing).toBe(false);
    expect(rule(facts, 'service-down:redis').firing).toBe(false);
    expect(rule(facts, 'service-degraded:redis')).toMatchObject({
      firing: true,
      severity: 'warning',
    });
  });
});

describe('quantileFromBuckets', () => {
  it('interpolates inside the bucket, and caps the open-ended one at the largest bound', () => {
    expect(quantileFromBuckets([], 0.95)).toBeNull();
    expect(
      quantileFromBuckets(
        [
          { leMs: 10, count: 90 },
          { leMs: 50, count: 10 },
        ],
        0.95,
      ),
    ).toBeCloseTo(30);
    expect(
      quantileFromBuckets(
        [
          { leMs: 2147483647, count: 5 },
          { leMs: 10000, count: 1 },
        ],
        0.99,
      ),
    ).toBe(10000);
  });
});
