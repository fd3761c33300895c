/**
 * Performance evaluation (DOMAIN.md §3) with the earlier system's defects
 * fixed: every rate is a fraction 0–1, scores are 0–100, the no-show metric is
 * a rate, and the engagement composite's inputs each lie in 0–1.
 */

export const METRIC_WINDOWS = ['7day', '30day', '90day'] as const;
export type MetricWindow = (typeof METRIC_WINDOWS)[number];
export const WINDOW_DAYS: Record<MetricWindow, number> = { '7day': 7, '30day': 30, '90day': 90 };
/** The window that drives flags and tiers (the PRD's primary window). */
export const PRIMARY_WINDOW: MetricWindow = '30day';

/** A completed session started at most this late counts as on time. */
export const ON_TIME_MAX_LATE_MINUTES = 10;
/** A first session succeeds when its rating is at least this (one definition everywhere). */
export const FIRST_SESSION_SUCCESS_MIN_RATING = 4;

/**
 * engagement_score (0–100) = 100 × weighted mean of its inputs, each 0–1:
 * mean session engagement, logins relative to sessions (logins per teaching
 * day, capped at 1: a tutor is expected to sign in on each day they teach),
 * and the on-time share. An input without data is left out and the weights of
 * the others renormalised.
 */
export const ENGAGEMENT_WEIGHTS = { session: 0.4, logins: 0.4, onTime: 0.2 } as const;

export const PERFORMANCE_TIERS = [
  'Exemplary',
  'Strong',
  'Developing',
  'Needs Attention',
  'At Risk',
] as const;
export type PerformanceTier = (typeof PERFORMANCE_TIERS)[number];

/**
 * PRD population shares, best tier first (Exemplary 10%, Strong 40%,
 * Developing 35%, Needs Attention 12%, At Risk 3%).
 */
export const TIER_SHARES: Record<PerformanceTier, number> = {
  Exemplary: 0.1,
  Strong: 0.4,
  Developing: 0.35,
  'Needs Attention': 0.12,
  'At Risk': 0.03,
};

/** A tutor needs this many completed sessions in the primary window to be placed in a tier. */
export const MIN_COMPLETED_SESSIONS_FOR_TIER = 3;
