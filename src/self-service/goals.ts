import { DetailedHttpError } from '../common/error-body';

/**
 * Tutor goals (DOMAIN.md §3.4 types), stored in tutor_goals, with progress
 * computed from the tutor's metrics each time they are read. Targets use the
 * house scales: an average rating 1–5, a count of sessions, rates as
 * fractions 0–1, the engagement score 0–100. A custom goal has no metric: the
 * tutor marks it done.
 */
export const GOAL_TYPES = [
  'rating_improvement',
  'session_volume',
  'on_time_percentage',
  'first_session_success',
  'student_retention',
  'engagement_score',
  'custom',
] as const;
export type GoalType = (typeof GOAL_TYPES)[number];

export const GOAL_STATUSES = ['not_started', 'in_progress', 'achieved', 'expired'] as const;
export type GoalStatus = (typeof GOAL_STATUSES)[number];

export interface GoalTypeInfo {
  label: string;
  /** What the target means, with its scale (used in messages and on the form). */
  target: string;
  min: number;
  max: number;
  /** Shown as a percentage on pages (stored and sent as a fraction). */
  percent: boolean;
}

export const GOAL_TYPE_INFO: Record<GoalType, GoalTypeInfo> = {
  rating_improvement: {
    label: 'Raise my average rating',
    target: 'an average rating from 1 to 5 over the last 30 days',
    min: 1,
    max: 5,
    percent: false,
  },
  session_volume: {
    label: 'Complete more sessions',
    target: 'a number of completed sessions (1 to 1000) between the start and due dates',
    min: 1,
    max: 1000,
    percent: false,
  },
  on_time_percentage: {
    label: 'Start sessions on time',
    target: 'a fraction from 0 to 1 of sessions started within 10 minutes, over 30 days',
    min: 0,
    max: 1,
    percent: true,
  },
  first_session_success: {
    label: 'Great first sessions',
    target: 'a fraction from 0 to 1 of rated first sessions rated 4 or 5, over 30 days',
    min: 0,
    max: 1,
    percent: true,
  },
  student_retention: {
    label: 'Keep my new students',
    target:
      'a fraction from 0 to 1 of students whose first session was in the last 90 days who came back for another',
    min: 0,
    max: 1,
    percent: true,
  },
  engagement_score: {
    label: 'Raise my engagement score',
    target: 'an engagement score from 0 to 100 over the last 30 days',
    min: 0,
    max: 100,
    percent: false,
  },
  custom: {
    label: 'My own goal',
    target: 'optional; a custom goal is marked done by you',
    min: 0,
    max: 1_000_000,
    percent: false,
  },
};

/** At most this many goals that are not yet achieved or expired. */
export const MAX_OPEN_GOALS = 10;
/** A goal is due within this many days of today. */
export const MAX_GOAL_DAYS = 366;

export interface GoalDraft {
  type: GoalType;
  target: number | null;
  title: string | null;
  dueOn: string;
}

const DAY_MS = 86_400_000;
export const isoDay = (d: Date) => d.toISOString().slice(0, 10);

/** Validates a goal against its type; throws a 400 naming the field. */
export function checkGoal(draft: GoalDraft, today: Date, checkDue = true): void {
  const info = GOAL_TYPE_INFO[draft.type];
  if (draft.type === 'custom') {
    if (!draft.title || !draft.title.trim())
      throw new DetailedHttpError(400, 'title is required for a custom goal', [
        { field: 'title', message: 'title is required for a custom goal' },
      ]);
  } else if (draft.target === null || draft.target === undefined) {
    throw new DetailedHttpError(400, `target is required: ${info.target}`, [
      { field: 'target', message: `target is required: ${info.target}` },
    ]);
  }
  if (draft.target !== null && (draft.target < info.min || draft.target > info.max)) {
    const message = `target for ${draft.type} must be ${info.target}`;
    throw new DetailedHttpError(400, message, [{ field: 'target', message }]);
  }
  if (draft.type === 'session_volume' && draft.target !== null && !Number.isInteger(draft.target))
    throw new DetailedHttpError(400, 'target for session_volume must be a whole number', [
      { field: 'target', message: 'target for session_volume must be a whole number' },
    ]);
  if (!checkDue) return;
  const due = Date.parse(`${draft.dueOn}T00:00:00Z`);
  const start = Date.parse(`${isoDay(today)}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(draft.dueOn) || Number.isNaN(due))
    throw new DetailedHttpError(400, 'dueOn must be a date (YYYY-MM-DD)', [
      { field: 'dueOn', message: 'dueOn must be a date (YYYY-MM-DD)' },
    ]);
  if (due <= start)
    throw new DetailedHttpError(400, 'dueOn must be after today', [
      { field: 'dueOn', message: 'dueOn must be after today' },
    ]);
  if (due > start + MAX_GOAL_DAYS * DAY_MS)
    throw new DetailedHttpError(400, `dueOn must be within ${MAX_GOAL_DAYS} days`, [
      { field: 'dueOn', message: `dueOn must be within ${MAX_GOAL_DAYS} days` },
    ]);
}

export interface GoalState {
  type: GoalType;
  target: number | null;
  baseline: number | null;
  dueOn: string;
  completedAt: Date | null;
  /** The metric now (session_volume: sessions since the start); null without data. */
  current: number | null;
}

export interface GoalProgress {
  status: GoalStatus;
  /** 0–1. */
  progress: number;
}

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

/**
 * Progress toward the target: from the baseline (the metric when the goal was
 * set) to the target, or from zero without a baseline or when the baseline
 * already met it. Achieved once the metric reaches the target; expired after
 * the due day without that; not started while there is no data.
 */
export function goalProgress(g: GoalState, today: Date): GoalProgress {
  const overdue = g.dueOn < isoDay(today);
  if (g.type === 'custom') {
    if (g.completedAt) return { status: 'achieved', progress: 1 };
    return { status: overdue ? 'expired' : 'in_progress', progress: 0 };
  }
  const target = g.target ?? 0;
  if (g.current === null) return { status: overdue ? 'expired' : 'not_started', progress: 0 };
  if (g.current >= target) return { status: 'achieved', progress: 1 };
  const from = g.baseline !== null && g.baseline < target ? g.baseline : 0;
  const progress = target > from ? clamp01((g.current - from) / (target - from)) : 0;
  if (overdue) return { status: 'expired', progress };
  if (g.type === 'session_volume' && g.current === 0) return { status: 'not_started', progress };
  return { status: 'in_progress', progress };
}
