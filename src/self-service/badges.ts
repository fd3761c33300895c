/**
 * Badges, on one documented scale (DOMAIN.md §3.4's list with its scale
 * defects fixed): session counts are all-time completed sessions; streaks are
 * the longest run of consecutive UTC days with a completed session; rating
 * badges read the 30-day average rating (1–5) with at least 10 ratings;
 * engagement badges read the 30-day engagement score on its 0–100 scale;
 * the first-session badge reads the 30-day first-session success rate
 * (fraction 0–1) with at least 5 rated first sessions. Computed on every
 * read, never stored.
 */
export interface BadgeInput {
  sessionsAllTime: number;
  longestStreakDays: number;
  avgRating30: number | null;
  ratingsCount30: number;
  engagementScore30: number | null;
  firstSessionSuccessRate30: number | null;
  firstSessionsRated30: number;
}

export interface BadgeRule {
  id: string;
  name: string;
  criterion: string;
  earned: (b: BadgeInput) => boolean;
}

export const MIN_RATINGS_FOR_BADGE = 10;
export const MIN_FIRST_SESSIONS_FOR_BADGE = 5;

const sessions = (n: number): BadgeRule => ({
  id: `sessions_${n}`,
  name: `${n} sessions`,
  criterion: `Complete ${n} sessions in all`,
  earned: (b) => b.sessionsAllTime >= n,
});
const streak = (n: number): BadgeRule => ({
  id: `streak_${n}`,
  name: `${n}-day streak`,
  criterion: `Teach on ${n} days in a row`,
  earned: (b) => b.longestStreakDays >= n,
});

export const BADGE_RULES: readonly BadgeRule[] = [
  sessions(10),
  sessions(50),
  sessions(100),
  sessions(500),
  streak(7),
  streak(30),
  {
    id: 'rating_4_5',
    name: 'Highly rated',
    criterion: `Average rating of 4.5 or more over 30 days (at least ${MIN_RATINGS_FOR_BADGE} ratings)`,
    earned: (b) =>
      b.ratingsCount30 >= MIN_RATINGS_FOR_BADGE && b.avgRating30 !== null && b.avgRating30 >= 4.5,
  },
  {
    id: 'rating_perfect',
    name: 'Perfect five',
    criterion: `Average rating of 5.0 over 30 days (at least ${MIN_RATINGS_FOR_BADGE} ratings)`,
    earned: (b) =>
      b.ratingsCount30 >= MIN_RATINGS_FOR_BADGE && b.avgRating30 !== null && b.avgRating30 >= 5,
  },
  {
    id: 'engagement_80',
    name: 'Engaging',
    criterion: 'Engagement score of 80 or more (of 100) over 30 days',
    earned: (b) => b.engagementScore30 !== null && b.engagementScore30 >= 80,
  },
  {
    id: 'engagement_90',
    name: 'Captivating',
    criterion: 'Engagement score of 90 or more (of 100) over 30 days',
    earned: (b) => b.engagementScore30 !== null && b.engagementScore30 >= 90,
  },
  {
    id: 'first_session_star',
    name: 'First-session star',
    criterion: `85% or more of rated first sessions rated 4 or 5 over 30 days (at least ${MIN_FIRST_SESSIONS_FOR_BADGE})`,
    earned: (b) =>
      b.firstSessionsRated30 >= MIN_FIRST_SESSIONS_FOR_BADGE &&
      b.firstSessionSuccessRate30 !== null &&
      b.firstSessionSuccessRate30 >= 0.85,
  },
];

export interface Badge {
  id: string;
  name: string;
  criterion: string;
  earned: boolean;
}

export function badgesOf(input: BadgeInput): Badge[] {
  return BADGE_RULES.map((r) => ({
    id: r.id,
    name: r.name,
    criterion: r.criterion,
    earned: r.earned(input),
  }));
}
