import { badgesOf } from './badges';
import { cohortBounds, MIN_COHORT_SIZE, peerPercentiles, percentileOf } from './peer-percentiles';
import { redactName } from './self-service-queries.service';
import { recommend, TRAINING_MODULES } from './training-catalogue';
import { trendChart } from './trend-chart';

describe('peer percentiles', () => {
  it('uses the mid-rank and the cohort of the onboarding month + 90 days', () => {
    expect(percentileOf(5, [1, 2, 3, 4, 5])).toBe(90);
    expect(percentileOf(3, [3, 3, 3, 3])).toBe(50);
    expect(cohortBounds('2024-03-17')).toEqual({ from: '2024-03-01', to: '2024-05-30' });
  });

  it('gives nothing below the minimum cohort size', () => {
    const row = (v: number, self = false) => ({
      self,
      avgRating: v,
      sessionsCompleted: v,
      engagementScore: v,
    });
    const bounds = { from: '2024-03-01', to: '2024-05-30' };
    const small = [row(5, true), ...Array.from({ length: MIN_COHORT_SIZE - 2 }, (_, i) => row(i))];
    expect(peerPercentiles(small, bounds)).toMatchObject({
      shown: false,
      rating: null,
      overall: null,
    });
    const big = [row(100, true), ...Array.from({ length: MIN_COHORT_SIZE }, (_, i) => row(i))];
    expect(peerPercentiles(big, bounds)).toMatchObject({ shown: true, rating: 95, overall: 95 });
  });
});

describe('training recommendations', () => {
  it('follows the metrics on the fraction scale, with the advanced module when all is well', () => {
    const ids = (m: Partial<Parameters<typeof recommend>[0]>) =>
      recommend({
        avgRating: null,
        firstSessionSuccessRate: null,
        rescheduleRate: null,
        noShowRate: null,
        engagementScore: null,
        learningObjectivesMetRate: null,
        ...m,
      }).map((r) => r.moduleId);
    expect(ids({ avgRating: 3.9, rescheduleRate: 0.2, engagementScore: 65 })).toEqual([
      'student-satisfaction',
      'time-management',
      'engagement-strategies',
    ]);
    expect(ids({ avgRating: 4.6, rescheduleRate: 0.05, engagementScore: 85 })).toEqual([
      'advanced-techniques',
    ]);
    expect(TRAINING_MODULES).toHaveLength(12);
  });
});

describe('badges', () => {
  it('reads ratings on 1–5 and engagement on 0–100, with minimum counts', () => {
    const earned = (over: Partial<Parameters<typeof badgesOf>[0]>) =>
      badgesOf({
        sessionsAllTime: 0,
        longestStreakDays: 0,
        avgRating30: null,
        ratingsCount30: 0,
        engagementScore30: null,
        firstSessionSuccessRate30: null,
        firstSessionsRated30: 0,
        ...over,
      })
        .filter((b) => b.earned)
        .map((b) => b.id);
    expect(earned({ sessionsAllTime: 120, longestStreakDays: 8 })).toEqual([
      'sessions_10',
      'sessions_50',
      'sessions_100',
      'streak_7',
    ]);
    expect(earned({ avgRating30: 5, ratingsCount30: 9 })).toEqual([]);
    expect(earned({ avgRating30: 5, ratingsCount30: 10, engagementScore30: 8.5 })).toEqual([
      'rating_4_5',
      'rating_perfect',
    ]);
  });
});

describe('trend chart', () => {
  it('draws points inside the box with threshold lines and a text summary', () => {
    const chart = trendChart(
      [
        { day: '2026-01-01', value: 1 },
        { day: '2026-01-02', value: null },
        { day: '2026-01-03', value: 5 },
      ],
      { min: 1, max: 5 },
      { good: 4.5, concern: 3.5 },
      (v) => v.toFixed(1),
    );
    expect(chart.points).toBe('4,60 296,4');
    expect(chart.lines.map((l) => l.kind)).toEqual(['good', 'concern']);
    expect(chart.summary).toBe('From 1.0 on 2026-01-01 to 5.0 on 2026-01-03');
  });
});

describe('anonymised comments', () => {
  it('replaces each part of the student’s name, whole words only', () => {
    expect(redactName('Thanks from Sam Lee, Samuel is my brother', 'Sam Lee')).toBe(
      'Thanks from [student] [student], Samuel is my brother',
    );
  });
});
