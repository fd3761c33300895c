import {
  assess,
  FlagMetrics,
  flagsOf,
  performanceScore,
  placeTiers,
  TierCandidate,
  tierCeiling,
} from './performance-tiers';
import { PerformanceTier } from './performance.constants';

const allGreen: FlagMetrics = {
  avgRating: 4.8,
  firstSessionSuccessRate: 0.9,
  rescheduleRate: 0.05,
  noShowRate: 0.01,
  engagementScore: 92,
  learningObjectivesMetRate: 0.95,
};

describe('flags (DOMAIN.md §3.3 on the fraction scale)', () => {
  it('counts green, red and neutral checks', () => {
    expect(flagsOf(allGreen)).toMatchObject({ green: 6, red: 0, evaluated: 6 });
    const mixed = flagsOf({
      avgRating: 3.4, // red
      firstSessionSuccessRate: 0.75, // neutral
      rescheduleRate: 0.16, // red
      noShowRate: 0.03, // neutral
      engagementScore: 59.9, // red
      learningObjectivesMetRate: 0.9, // green
    });
    expect(mixed).toMatchObject({ green: 1, red: 3, evaluated: 6 });
    expect(mixed.byMetric).toEqual({
      avgRating: 'red',
      firstSessionSuccessRate: 'neutral',
      rescheduleRate: 'red',
      noShowRate: 'neutral',
      engagementScore: 'red',
      learningObjectivesMetRate: 'green',
    });
  });

  it('uses the thresholds at their edges', () => {
    const edge = flagsOf({
      avgRating: 4.5, // green (>= 4.5)
      firstSessionSuccessRate: 0.7, // neutral (red < 0.70)
      rescheduleRate: 0.1, // green (<= 0.10)
      noShowRate: 0.05, // neutral (red > 0.05)
      engagementScore: 60, // neutral (red < 60)
      learningObjectivesMetRate: 0.8, // neutral (red < 0.80)
    });
    expect(edge).toMatchObject({ green: 2, red: 0 });
  });

  it('skips a metric without data', () => {
    expect(flagsOf({ ...allGreen, firstSessionSuccessRate: null })).toMatchObject({
      green: 5,
      evaluated: 5,
    });
  });
});

describe('performanceScore', () => {
  it('is the mean of the six metrics mapped to 0–1, as 0–100', () => {
    // (0.95 + 0.9 + 0.95 + 0.99 + 0.92 + 0.95) / 6 = 0.943333
    expect(performanceScore(allGreen)).toBe(94.33);
    const worst = performanceScore({
      avgRating: 1,
      firstSessionSuccessRate: 0,
      rescheduleRate: 1,
      noShowRate: 1,
      engagementScore: 0,
      learningObjectivesMetRate: 0,
    });
    expect(worst).toBe(0);
  });

  it('averages only the metrics with data, and is null without any', () => {
    expect(
      performanceScore({
        avgRating: 5,
        firstSessionSuccessRate: null,
        rescheduleRate: null,
        noShowRate: 0.5,
        engagementScore: null,
        learningObjectivesMetRate: null,
      }),
    ).toBe(75);
    expect(
      performanceScore({
        avgRating: null,
        firstSessionSuccessRate: null,
        rescheduleRate: null,
        noShowRate: null,
        engagementScore: null,
        learningObjectivesMetRate: null,
      }),
    ).toBeNull();
  });
});

describe('tierCeiling', () => {
  it('allows Exemplary only with all six checks green', () => {
    expect(tierCeiling(flagsOf(allGreen))).toBe('Exemplary');
    expect(tierCeiling(flagsOf({ ...allGreen, avgRating: 4.4 }))).toBe('Strong');
    expect(tierCeiling(flagsOf({ ...allGreen, firstSessionSuccessRate: null }))).toBe('Strong');
  });

  it('follows §3.3 below that: no red and 3+ green Strong, no red Developing, 1–2 red Needs Attention, 3+ red At Risk', () => {
    const neutral: FlagMetrics = {
      avgRating: 4,
      firstSessionSuccessRate: 0.8,
      rescheduleRate: 0.12,
      noShowRate: 0.03,
      engagementScore: 70,
      learningObjectivesMetRate: 0.85,
    };
    expect(tierCeiling(flagsOf(neutral))).toBe('Developing');
    expect(
      tierCeiling(flagsOf({ ...neutral, avgRating: 4.6, noShowRate: 0, engagementScore: 85 })),
    ).toBe('Strong');
    expect(tierCeiling(flagsOf({ ...neutral, avgRating: 3 }))).toBe('Needs Attention');
    expect(tierCeiling(flagsOf({ ...neutral, avgRating: 3, rescheduleRate: 0.2 }))).toBe(
      'Needs Attention',
    );
    expect(
      tierCeiling(flagsOf({ ...neutral, avgRating: 3, rescheduleRate: 0.2, noShowRate: 0.1 })),
    ).toBe('At Risk');
  });
});

describe('placeTiers (flags decide eligibility, shares decide placement)', () => {
  const population = (n: number, ceiling: (i: number) => PerformanceTier): TierCandidate[] =>
    Array.from({ length: n }, (_, i) => ({
      tutorId: `t${String(i).padStart(4, '0')}`,
      score: 100 - i * (50 / n),
      ceiling: ceiling(i),
    }));
  const counts = (placed: Map<string, PerformanceTier>) => {
    const out: Record<string, number> = {};
    for (const tier of placed.values()) out[tier] = (out[tier] ?? 0) + 1;
    return out;
  };

  it('fills the PRD shares when every tutor is eligible for everything', () => {
    const placed = placeTiers(population(200, () => 'Exemplary'));
    expect(counts(placed)).toEqual({
      Exemplary: 20,
      Strong: 80,
      Developing: 70,
      'Needs Attention': 24,
      'At Risk': 6,
    });
    expect(placed.get('t0000')).toBe('Exemplary');
    expect(placed.get('t0019')).toBe('Exemplary');
    expect(placed.get('t0020')).toBe('Strong');
    expect(placed.get('t0199')).toBe('At Risk');
  });

  it('never places a tutor above the ceiling of their flags; unused shares pass down', () => {
    // Only the 5 best are all green; tutors 10–19 have one red flag.
    const placed = placeTiers(
      population(100, (i) =>
        i < 5 ? 'Exemplary' : i >= 10 && i < 20 ? 'Needs Attention' : 'Strong',
      ),
    );
    expect(counts(placed)).toEqual({
      Exemplary: 5,
      Strong: 45,
      Developing: 35,
      'Needs Attention': 12,
      'At Risk': 3,
    });
    for (let i = 10; i < 20; i++)
      expect(placed.get(`t${String(i).padStart(4, '0')}`)).toBe('Needs Attention');
    expect(placed.get('t0005')).toBe('Strong');
  });

  it('puts tutors with three red flags in At Risk however they rank, and the rest fill in', () => {
    const placed = placeTiers(population(10, (i) => (i === 0 ? 'At Risk' : 'Exemplary')));
    expect(placed.get('t0000')).toBe('At Risk');
    expect(placed.get('t0001')).toBe('Exemplary');
    // Cumulative quotas of 10: 1, 5, 9 (8.5 rounded), 10; nobody else fits Needs Attention's 1.
    expect(counts(placed)).toEqual({
      Exemplary: 1,
      Strong: 4,
      Developing: 4,
      'At Risk': 1,
    });
  });

  it('breaks score ties by tutor id, so a run is reproducible', () => {
    const tied = ['b', 'a', 'c'].map((tutorId) => ({
      tutorId,
      score: 80,
      ceiling: 'Exemplary' as const,
    }));
    const placed = placeTiers(tied);
    expect([...placed.entries()]).toEqual([
      ['a', 'Strong'],
      ['b', 'Strong'],
      ['c', 'Developing'],
    ]);
  });
});

describe('assess', () => {
  it('rates a tutor only with enough completed sessions', () => {
    expect(assess({ tutorId: 'x', sessionsCompleted: 3, ...allGreen }).rated).toBe(true);
    expect(assess({ tutorId: 'x', sessionsCompleted: 2, ...allGreen }).rated).toBe(false);
  });
});
