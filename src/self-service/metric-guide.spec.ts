import { flagsOf, FlagMetrics } from '../performance/performance-tiers';
import { formatMetric, METRIC_GUIDE, standingOf } from './metric-guide';

const NEUTRAL: FlagMetrics = {
  avgRating: null,
  firstSessionSuccessRate: null,
  rescheduleRate: null,
  noShowRate: null,
  engagementScore: null,
  learningObjectivesMetRate: null,
};

describe('metric guide', () => {
  const flagged = METRIC_GUIDE.filter((g) => g.good !== null);

  it.each(flagged.map((g) => [g.key, g]))(
    '%s: the thresholds a tutor reads are the flags the tiers use',
    (_key, guide) => {
      const colour = (v: number) =>
        flagsOf({ ...NEUTRAL, [guide.key]: v }).byMetric[guide.key as keyof FlagMetrics];
      const step = guide.unit === 'score' ? 0.5 : guide.unit === 'rating' ? 0.01 : 0.001;
      const worse = guide.lowerIsBetter ? step : -step;
      expect(colour(guide.good!)).toBe('green');
      expect(standingOf(guide, guide.good!)).toBe('good');
      expect(colour(guide.good! + worse)).toBe('neutral');
      expect(standingOf(guide, guide.good! + worse)).toBe('ok');
      expect(colour(guide.concern!)).not.toBe('red');
      expect(standingOf(guide, guide.concern!)).not.toBe('concern');
      expect(colour(guide.concern! + worse)).toBe('red');
      expect(standingOf(guide, guide.concern! + worse)).toBe('concern');
    },
  );

  it('explains each threshold with the number it uses, on the scale it is shown', () => {
    const say = (key: string) => METRIC_GUIDE.find((g) => g.key === key)!.explanation;
    expect(say('rescheduleRate')).toMatch(/10%.*15%/);
    expect(say('firstSessionSuccessRate')).toMatch(/85%.*70%/);
    expect(say('engagementScore')).toMatch(/0 to 100.*80.*60/);
    expect(formatMetric('fraction', 0.125)).toBe('13%');
    expect(formatMetric('rating', 4.5)).toBe('4.50');
    expect(formatMetric('score', null)).toBe('—');
  });
});
