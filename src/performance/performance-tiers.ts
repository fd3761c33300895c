import {
  MIN_COMPLETED_SESSIONS_FOR_TIER,
  PERFORMANCE_TIERS,
  PerformanceTier,
  TIER_SHARES,
} from './performance.constants';

/** The primary-window metrics the flags read. Rates are 0–1, engagementScore 0–100. */
export interface FlagMetrics {
  avgRating: number | null;
  firstSessionSuccessRate: number | null;
  rescheduleRate: number | null;
  noShowRate: number | null;
  engagementScore: number | null;
  learningObjectivesMetRate: number | null;
}

export type FlagColour = 'green' | 'red' | 'neutral';

interface FlagRule {
  metric: keyof FlagMetrics;
  green: (v: number) => boolean;
  red: (v: number) => boolean;
}

/**
 * DOMAIN.md §3.3's six checks on the fraction scale. The no-show check was a
 * count (green 0, red > 3); as a rate it is green up to 2% and red above the
 * PRD's 5%: a busy tutor with one no-show in 150 sessions is not a concern.
 */
export const FLAG_RULES: readonly FlagRule[] = [
  { metric: 'avgRating', green: (v) => v >= 4.5, red: (v) => v < 3.5 },
  { metric: 'firstSessionSuccessRate', green: (v) => v >= 0.85, red: (v) => v < 0.7 },
  { metric: 'rescheduleRate', green: (v) => v <= 0.1, red: (v) => v > 0.15 },
  { metric: 'noShowRate', green: (v) => v <= 0.02, red: (v) => v > 0.05 },
  { metric: 'engagementScore', green: (v) => v >= 80, red: (v) => v < 60 },
  { metric: 'learningObjectivesMetRate', green: (v) => v >= 0.9, red: (v) => v < 0.8 },
];

export interface Flags {
  green: number;
  red: number;
  /** Checks with data (a null metric is neither green nor red). */
  evaluated: number;
  byMetric: Partial<Record<keyof FlagMetrics, FlagColour>>;
}

export function flagsOf(metrics: FlagMetrics): Flags {
  const flags: Flags = { green: 0, red: 0, evaluated: 0, byMetric: {} };
  for (const rule of FLAG_RULES) {
    const value = metrics[rule.metric];
    if (value === null || value === undefined || Number.isNaN(value)) continue;
    flags.evaluated++;
    const colour: FlagColour = rule.red(value) ? 'red' : rule.green(value) ? 'green' : 'neutral';
    if (colour === 'green') flags.green++;
    if (colour === 'red') flags.red++;
    flags.byMetric[rule.metric] = colour;
  }
  return flags;
}

/**
 * performance_score (0–100), the population ranking: the mean of the six
 * metrics, each mapped to 0–1 with 1 best (rating (r − 1) / 4, success and
 * objectives rates as they are, 1 − reschedule and no-show rates,
 * engagement / 100), over the metrics that have data. Null without any.
 */
export function performanceScore(m: FlagMetrics): number | null {
  const parts = [
    m.avgRating === null ? null : (m.avgRating - 1) / 4,
    m.firstSessionSuccessRate,
    m.rescheduleRate === null ? null : 1 - m.rescheduleRate,
    m.noShowRate === null ? null : 1 - m.noShowRate,
    m.engagementScore === null ? null : m.engagementScore / 100,
    m.learningObjectivesMetRate,
  ].filter((p): p is number => p !== null && p !== undefined && !Number.isNaN(p));
  if (!parts.length) return null;
  const mean = parts.reduce((s, p) => s + p, 0) / parts.length;
  return Math.round(Math.min(1, Math.max(0, mean)) * 10_000) / 100;
}

/**
 * The best tier a tutor's flags allow (DOMAIN.md §3.3's rules as a ceiling,
 * with the PRD's "all metrics green" for Exemplary): Exemplary needs all six
 * checks green; Strong no red and at least three green; Developing no red;
 * Needs Attention one or two red; three or more red is At Risk.
 */
export function tierCeiling(flags: Flags): PerformanceTier {
  if (flags.red >= 3) return 'At Risk';
  if (flags.red >= 1) return 'Needs Attention';
  if (flags.evaluated === FLAG_RULES.length && flags.green === FLAG_RULES.length)
    return 'Exemplary';
  if (flags.green >= 3) return 'Strong';
  return 'Developing';
}

export interface TierCandidate {
  tutorId: string;
  score: number;
  ceiling: PerformanceTier;
}

/**
 * Places a population in tiers: flags decide eligibility, population shares
 * decide placement.
 *
 * Tutors are ranked by performance_score (ties by tutor id). Tiers are filled
 * best first, each up to its cumulative PRD share of the population (10%,
 * 50%, 85%, 97%, 100%, rounded): a tier takes the best-ranked tutors not yet
 * placed whose ceiling is that tier or better. A share left unused by a tier
 * passes down to the next. So Exemplary is at most the top 10%, all of them
 * all green; a tutor with a red flag is never above Needs Attention; and
 * whoever is left when the shares are used up (the bottom 3% or more) is At
 * Risk.
 */
export function placeTiers(candidates: readonly TierCandidate[]): Map<string, PerformanceTier> {
  const rankOf = (tier: PerformanceTier) => PERFORMANCE_TIERS.indexOf(tier);
  const ranked = [...candidates].sort(
    (a, b) => b.score - a.score || (a.tutorId < b.tutorId ? -1 : a.tutorId > b.tutorId ? 1 : 0),
  );
  const placed = new Map<string, PerformanceTier>();
  const n = ranked.length;
  let cumulativeShare = 0;
  for (const tier of PERFORMANCE_TIERS) {
    cumulativeShare += TIER_SHARES[tier];
    const last = tier === PERFORMANCE_TIERS[PERFORMANCE_TIERS.length - 1];
    const capacity = last ? n : Math.round(cumulativeShare * n + 1e-9) - placed.size;
    let taken = 0;
    for (const c of ranked) {
      if (taken >= capacity) break;
      if (placed.has(c.tutorId) || rankOf(c.ceiling) > rankOf(tier)) continue;
      placed.set(c.tutorId, tier);
      taken++;
    }
  }
  return placed;
}

/** The primary-window facts a placement needs. */
export interface TierInput extends FlagMetrics {
  tutorId: string;
  sessionsCompleted: number;
}

export interface TierAssessment {
  flags: Flags;
  score: number | null;
  /** Whether the tutor has enough data to be placed at all. */
  rated: boolean;
}

export function assess(input: TierInput): TierAssessment {
  const flags = flagsOf(input);
  const score = performanceScore(input);
  return {
    flags,
    score,
    rated: score !== null && input.sessionsCompleted >= MIN_COMPLETED_SESSIONS_FOR_TIER,
  };
}
