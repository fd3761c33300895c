/**
 * Peer comparison (DOMAIN.md §3.4): the cohort is the tutors onboarded from
 * the first day of the tutor's onboarding month to 90 days later, compared on
 * their latest 30-day metrics. Percentiles are shown only when the cohort has
 * at least MIN_COHORT_SIZE tutors with data for that metric, so that no single
 * peer can be made out; no peer is ever named or counted individually.
 */
export const MIN_COHORT_SIZE = 10;

export interface PeerRow {
  self: boolean;
  avgRating: number | null;
  sessionsCompleted: number | null;
  engagementScore: number | null;
}

export interface Percentiles {
  cohortFrom: string;
  cohortTo: string;
  cohortSize: number;
  /** False when the cohort is too small: no percentile is given at all. */
  shown: boolean;
  rating: number | null;
  sessions: number | null;
  engagement: number | null;
  /** 0.4·rating + 0.3·sessions + 0.3·engagement, when all three are known. */
  overall: number | null;
}

/**
 * Mid-rank percentile of `value` among `values` (which include it): the share
 * below plus half the share equal, 0–100, rounded.
 */
export function percentileOf(value: number, values: readonly number[]): number {
  const below = values.filter((v) => v < value).length;
  const equal = values.filter((v) => v === value).length;
  return Math.round(((below + equal / 2) / values.length) * 100);
}

export function cohortBounds(onboardingDate: string): { from: string; to: string } {
  const [y, m] = onboardingDate.split('-').map(Number);
  const from = new Date(Date.UTC(y, m - 1, 1));
  const to = new Date(from.getTime() + 90 * 86_400_000);
  return { from: from.toISOString().slice(0, 10), to: to.toISOString().slice(0, 10) };
}

export function peerPercentiles(
  rows: readonly PeerRow[],
  bounds: { from: string; to: string },
): Percentiles {
  const self = rows.find((r) => r.self);
  const base: Percentiles = {
    cohortFrom: bounds.from,
    cohortTo: bounds.to,
    cohortSize: rows.length,
    shown: rows.length >= MIN_COHORT_SIZE,
    rating: null,
    sessions: null,
    engagement: null,
    overall: null,
  };
  if (!self || !base.shown) return { ...base, cohortSize: rows.length };
  const of = (key: 'avgRating' | 'sessionsCompleted' | 'engagementScore') => {
    const mine = self[key];
    const values = rows.map((r) => r[key]).filter((v): v is number => v !== null);
    if (mine === null || values.length < MIN_COHORT_SIZE) return null;
    return percentileOf(mine, values);
  };
  const rating = of('avgRating');
  const sessions = of('sessionsCompleted');
  const engagement = of('engagementScore');
  const overall =
    rating !== null && sessions !== null && engagement !== null
      ? Math.round(0.4 * rating + 0.3 * sessions + 0.3 * engagement)
      : null;
  return { ...base, rating, sessions, engagement, overall };
}
