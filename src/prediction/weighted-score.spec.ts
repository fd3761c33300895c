import { riskBandOf } from './risk-bands';
import { WEIGHTED_COMPONENTS, weightedComponents, weightedScore } from './weighted-score';

const steady: Record<string, number | null> = {
  engagement_decline_7d_vs_30d: 0,
  login_decline_14d_vs_90d: 0,
  volume_decline_14d_vs_90d: 0,
  days_since_last_session: 1,
  rating_decline_7d_vs_30d: 0,
  avg_rating_30d: 4.8,
  reschedules_7d: 0,
  reschedule_rate_14d: 0.02,
  first_session_success_rate_30d: 0.95,
  poor_first_sessions_30d: 0,
  no_shows_14d: 0,
  no_show_rate_14d: 0,
  tenure_days: 400,
  activity_vs_baseline_14d: 1.2,
};

describe('the PRD weighted churn score', () => {
  it('uses the weights 0.25/0.20/0.15/0.15/0.10/0.10/0.05', () => {
    expect(Object.values(WEIGHTED_COMPONENTS).map((c) => c.weight)).toEqual([
      0.25, 0.2, 0.15, 0.15, 0.1, 0.1, 0.05,
    ]);
  });

  it('scores a steady tutor low and a declining one high, each 0–100', () => {
    const low = weightedScore(steady);
    expect(low.score).toBeLessThanOrEqual(5);
    const declining = weightedScore({
      ...steady,
      engagement_decline_7d_vs_30d: 0.3,
      days_since_last_session: 10,
      avg_rating_30d: 3.0,
      reschedules_7d: 4,
      poor_first_sessions_30d: 1,
      no_shows_14d: 2,
      no_show_rate_14d: 0.25,
      tenure_days: 20,
      activity_vs_baseline_14d: 0.2,
    });
    expect(declining.score).toBeGreaterThanOrEqual(90);
    expect(declining.score).toBeLessThanOrEqual(100);
    expect(riskBandOf(declining.score)).toBe('critical');
  });

  it('applies the pattern rules: more than 3 reschedules in 7 days, a poor first session, any no-show in 14 days', () => {
    expect(weightedComponents({ ...steady, reschedules_7d: 3 }).reschedule_pattern).toBeLessThan(1);
    expect(weightedComponents({ ...steady, reschedules_7d: 4 }).reschedule_pattern).toBe(1);
    expect(
      weightedComponents({ ...steady, poor_first_sessions_30d: 1 }).first_session_quality,
    ).toBe(1);
    expect(weightedComponents({ ...steady, no_shows_14d: 1 }).no_show_risk).toBeGreaterThanOrEqual(
      0.5,
    );
  });

  it('lists this tutor’s own factors in score points, largest first', () => {
    const { score, factors } = weightedScore({ ...steady, reschedules_7d: 5, tenure_days: 10 });
    expect(factors[0].feature).toBe('reschedule_pattern');
    expect(factors[0].contribution).toBe(15);
    expect(factors[1]).toMatchObject({ feature: 'tenure_risk', contribution: 10 });
    const total = factors.reduce((s, f) => s + f.contribution, 0);
    expect(Math.abs(total - score)).toBeLessThanOrEqual(1);
  });

  it('treats missing data as no evidence of risk', () => {
    const { score } = weightedScore({});
    expect(score).toBe(1);
  });
});

describe('risk bands', () => {
  it('uses one scheme: 0–25 low, 26–50 medium, 51–75 high, 76–100 critical', () => {
    expect([0, 25, 26, 50, 51, 75, 76, 100].map(riskBandOf)).toEqual([
      'low',
      'low',
      'medium',
      'medium',
      'high',
      'high',
      'critical',
      'critical',
    ]);
  });
});
