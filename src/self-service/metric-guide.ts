/**
 * The metrics a tutor sees on their own page, with the thresholds of the
 * performance module's flags (src/performance/performance-tiers.ts
 * FLAG_RULES) explained in plain words. Values use the house scales: rates
 * are fractions 0–1 (shown as percentages), ratings 1–5, the engagement score
 * 0–100. metric-guide.spec.ts checks these thresholds against the flags.
 */

export const GUIDED_METRICS = [
  'avgRating',
  'firstSessionSuccessRate',
  'rescheduleRate',
  'noShowRate',
  'engagementScore',
  'learningObjectivesMetRate',
  'sessionsCompleted',
] as const;
export type GuidedMetric = (typeof GUIDED_METRICS)[number];

export type MetricUnit = 'rating' | 'fraction' | 'score' | 'count';

export interface MetricGuide {
  key: GuidedMetric;
  label: string;
  unit: MetricUnit;
  /** True when a lower value is better (reschedules, no-shows). */
  lowerIsBetter: boolean;
  /** Where the "going well" band begins (inclusive); null: no threshold. */
  good: number | null;
  /** Where "needs attention" begins (exclusive): below it, or above it when lower is better. */
  concern: number | null;
  /** The thresholds in plain words. */
  explanation: string;
}

export const METRIC_GUIDE: readonly MetricGuide[] = [
  {
    key: 'avgRating',
    label: 'Average rating',
    unit: 'rating',
    lowerIsBetter: false,
    good: 4.5,
    concern: 3.5,
    explanation:
      'The mean of the overall ratings (1 to 5) students gave your sessions. Tutors rated 4.5 or more are doing very well; below 3.5 students are telling us something needs to change.',
  },
  {
    key: 'firstSessionSuccessRate',
    label: 'First-session success',
    unit: 'fraction',
    lowerIsBetter: false,
    good: 0.85,
    concern: 0.7,
    explanation:
      'Of your rated first sessions with a new student, the share rated 4 or 5. At 85% or more new students are getting a great start; under 70% is worth working on, because a poor first session is the main reason students leave.',
  },
  {
    key: 'rescheduleRate',
    label: 'Sessions you rescheduled',
    unit: 'fraction',
    lowerIsBetter: true,
    good: 0.1,
    concern: 0.15,
    explanation:
      'The share of your scheduled sessions that you moved. Tutors who keep rescheduling at or under 10% give students a steady routine; above 15% students start to notice.',
  },
  {
    key: 'noShowRate',
    label: 'Missed sessions',
    unit: 'fraction',
    lowerIsBetter: true,
    good: 0.02,
    concern: 0.05,
    explanation:
      'The share of sessions that did not take place because no one showed up. Up to 2% is normal; above 5% is a concern for students and families.',
  },
  {
    key: 'engagementScore',
    label: 'Engagement score',
    unit: 'score',
    lowerIsBetter: false,
    good: 80,
    concern: 60,
    explanation:
      'A score from 0 to 100 made of how engaged students were in your sessions, signing in on the days you teach, and starting on time (within 10 minutes). 80 or more is strong; under 60 needs attention.',
  },
  {
    key: 'learningObjectivesMetRate',
    label: 'Learning objectives met',
    unit: 'fraction',
    lowerIsBetter: false,
    good: 0.9,
    concern: 0.8,
    explanation:
      'The share of sessions in which the session’s learning objectives were met. 90% or more is strong; under 80% suggests planning sessions around one clear goal.',
  },
  {
    key: 'sessionsCompleted',
    label: 'Sessions completed',
    unit: 'count',
    lowerIsBetter: false,
    good: null,
    concern: null,
    explanation:
      'Sessions that took place. There is no target: it gives the other numbers their weight (a few sessions move a rate a lot).',
  },
];

export type Standing = 'good' | 'ok' | 'concern' | 'none';

/** Where a value stands against the guide's thresholds (the flags' green, neutral and red). */
export function standingOf(guide: MetricGuide, value: number | null | undefined): Standing {
  if (value === null || value === undefined || Number.isNaN(value)) return 'none';
  if (guide.good === null || guide.concern === null) return 'ok';
  if (guide.lowerIsBetter) {
    if (value > guide.concern) return 'concern';
    return value <= guide.good ? 'good' : 'ok';
  }
  if (value < guide.concern) return 'concern';
  return value >= guide.good ? 'good' : 'ok';
}

export const STANDING_LABEL: Record<Standing, string> = {
  good: 'Going well',
  ok: 'On track',
  concern: 'Needs attention',
  none: 'No data yet',
};

/** A value for people: percentages for fractions, one decimal for ratings. */
export function formatMetric(unit: MetricUnit, value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  switch (unit) {
    case 'fraction':
      return `${Math.round(value * 100)}%`;
    case 'rating':
      return value.toFixed(2);
    case 'score':
      return String(Math.round(value));
    case 'count':
      return String(Math.round(value));
  }
}
