import type { RiskFactor } from './entities/tutor-risk.entity';

/**
 * The PRD's weighted churn score (DOMAIN.md §4.1), 0–100, always available and what a tutor
 * gets before any model is trained. Each component is a 0–1 risk read from the tutor's
 * features; the pattern rules (poor first session, heavy rescheduling, no-shows) set their
 * component to full risk.
 */
export const WEIGHTED_MODEL_VERSION = 'weighted-v1';

export const WEIGHTED_COMPONENTS = {
  engagement_decline: { weight: 0.25, label: 'Engagement and login decline' },
  performance_trend: { weight: 0.2, label: 'Falling or low student ratings' },
  reschedule_pattern: { weight: 0.15, label: 'Rescheduling' },
  first_session_quality: { weight: 0.15, label: 'First-session quality' },
  no_show_risk: { weight: 0.1, label: 'No-shows' },
  tenure_risk: { weight: 0.1, label: 'Short tenure' },
  availability_reduction: { weight: 0.05, label: 'Fewer sessions than their baseline' },
} as const;
export type WeightedComponent = keyof typeof WEIGHTED_COMPONENTS;

const clamp = (v: number) => Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0));
const val = (f: Record<string, number | null>, name: string): number | null => {
  const v = f[name];
  return v === null || v === undefined || !Number.isFinite(v) ? null : v;
};

/** Each component's 0–1 risk for one tutor's features. */
export function weightedComponents(
  f: Record<string, number | null>,
): Record<WeightedComponent, number> {
  const engagementDrop = clamp((val(f, 'engagement_decline_7d_vs_30d') ?? 0) / 0.2);
  const loginDrop = clamp(((val(f, 'login_decline_14d_vs_90d') ?? 0) - 0.1) / 0.3);
  const volumeDrop = clamp(((val(f, 'volume_decline_14d_vs_90d') ?? 0) - 0.1) / 0.4);
  const idle = clamp(((val(f, 'days_since_last_session') ?? 0) - 3) / 11);
  const ratingDrop = clamp((val(f, 'rating_decline_7d_vs_30d') ?? 0) / 0.75);
  const rating = val(f, 'avg_rating_30d');
  const lowRating = rating === null ? 0 : clamp((4.2 - rating) / 1.2);
  const reschedules = val(f, 'reschedules_7d') ?? 0;
  const rescheduleRate = clamp((val(f, 'reschedule_rate_14d') ?? 0) / 0.3);
  const firstRate = val(f, 'first_session_success_rate_30d');
  const poorFirst = (val(f, 'poor_first_sessions_30d') ?? 0) > 0;
  const noShows = val(f, 'no_shows_14d') ?? 0;
  const noShowRate = clamp((val(f, 'no_show_rate_14d') ?? 0) / 0.2);
  const tenure = val(f, 'tenure_days') ?? 365;
  const activity = val(f, 'activity_vs_baseline_14d');
  return {
    engagement_decline: Math.max(engagementDrop, loginDrop, volumeDrop, idle),
    performance_trend: Math.max(ratingDrop, lowRating),
    reschedule_pattern: reschedules > 3 ? 1 : rescheduleRate,
    first_session_quality: poorFirst ? 1 : firstRate === null ? 0 : clamp((0.9 - firstRate) / 0.5),
    no_show_risk: Math.max(noShowRate, noShows > 0 ? 0.5 : 0),
    tenure_risk: tenure < 30 ? 1 : tenure < 90 ? 0.6 : tenure < 180 ? 0.3 : 0.1,
    availability_reduction: activity === null ? 0 : clamp(1 - activity),
  };
}

/** The 0–100 score (whole number) and each component's points, largest first. */
export function weightedScore(f: Record<string, number | null>): {
  score: number;
  factors: RiskFactor[];
} {
  const components = weightedComponents(f);
  let total = 0;
  const factors: RiskFactor[] = [];
  for (const [name, { weight, label }] of Object.entries(WEIGHTED_COMPONENTS)) {
    const points = 100 * weight * components[name as WeightedComponent];
    total += points;
    factors.push({
      feature: name,
      label,
      value: Math.round(components[name as WeightedComponent] * 100) / 100,
      contribution: Math.round(points * 10) / 10,
    });
  }
  factors.sort((a, b) => b.contribution - a.contribution);
  return { score: Math.round(Math.min(100, Math.max(0, total))), factors };
}
