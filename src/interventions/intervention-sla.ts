import {
  addWorkingMs,
  BusinessCalendar,
  calendarProblems,
  workingDayMinutes,
  workingMsBetween,
} from './business-calendar';
import {
  INTERVENTION_TYPES,
  InterventionStatus,
  InterventionType,
  Priority,
  PRIORITIES,
} from './intervention.constants';

/**
 * SLA clocks of an intervention, from its status history: pure functions.
 * Each target counts working time on the organisation's calendar from the
 * intervention's creation; time spent in `waiting` does not count.
 */

export const SLA_TARGETS = ['first_action', 'resolution'] as const;
export type SlaTarget = (typeof SLA_TARGETS)[number];
export const SLA_STATES = ['on_track', 'at_risk', 'breached', 'met'] as const;
export type SlaState = (typeof SLA_STATES)[number];
/** A warning goes out when this share of the target has elapsed. */
export const AT_RISK_SHARE = 0.75;

/** Working hours allowed for each target. */
export interface SlaTargets {
  /** Until the intervention is assigned and started (in_progress). */
  firstActionHours: number;
  /** Until it is completed or cancelled. */
  resolutionHours: number;
}

/** The SLA document: the calendar, defaults per priority and overrides per type × priority. */
export interface SlaPolicyDocument {
  calendar: BusinessCalendar;
  defaults: Record<Priority, SlaTargets>;
  overrides: ({ type: InterventionType; priority?: Priority } & SlaTargets)[];
}

/**
 * Defaults from DOMAIN.md §6.4 in working time (an 8-hour working day):
 * critical 2 days, high 5, medium 7, low 14; manager coaching within 48 h,
 * taken as 2 working days whatever its priority.
 */
export const DEFAULT_SLA_POLICY: SlaPolicyDocument = {
  calendar: {
    timeZone: 'America/New_York',
    workingDays: [1, 2, 3, 4, 5],
    dayStart: '09:00',
    dayEnd: '17:00',
    holidays: [],
  },
  defaults: {
    critical: { firstActionHours: 4, resolutionHours: 16 },
    high: { firstActionHours: 8, resolutionHours: 40 },
    medium: { firstActionHours: 16, resolutionHours: 56 },
    low: { firstActionHours: 24, resolutionHours: 112 },
  },
  overrides: [{ type: 'manager_coaching', firstActionHours: 4, resolutionHours: 16 }],
};

/** The targets that apply to a type and priority: the most specific override, else the default. */
export function targetsFor(
  policy: SlaPolicyDocument,
  type: InterventionType,
  priority: Priority,
): SlaTargets {
  const exact = policy.overrides.find((o) => o.type === type && o.priority === priority);
  const byType = policy.overrides.find((o) => o.type === type && o.priority === undefined);
  const chosen = exact ?? byType ?? policy.defaults[priority];
  return { firstActionHours: chosen.firstActionHours, resolutionHours: chosen.resolutionHours };
}

export function slaPolicyProblems(doc: SlaPolicyDocument): string[] {
  const problems = calendarProblems(doc.calendar).map((p) => `calendar: ${p}`);
  const check = (where: string, t: SlaTargets) => {
    for (const key of ['firstActionHours', 'resolutionHours'] as const) {
      const v = t[key];
      if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > 24 * 365)
        problems.push(`${where}.${key} must be a positive number of working hours`);
    }
    if (t.firstActionHours > t.resolutionHours)
      problems.push(`${where}: firstActionHours may not exceed resolutionHours`);
  };
  for (const p of PRIORITIES) {
    if (!doc.defaults[p]) problems.push(`defaults.${p} is missing`);
    else check(`defaults.${p}`, doc.defaults[p]);
  }
  doc.overrides.forEach((o, i) => {
    if (!INTERVENTION_TYPES.includes(o.type)) problems.push(`overrides[${i}].type is not a type`);
    if (o.priority !== undefined && !PRIORITIES.includes(o.priority))
      problems.push(`overrides[${i}].priority is not a priority`);
    check(`overrides[${i}]`, o);
  });
  return problems;
}

/** One entry of the status history: the intervention entered `to` at `at` (creation: `open`). */
export interface StatusChange {
  at: number;
  to: InterventionStatus;
}

export interface TargetClock {
  target: SlaTarget;
  /** Allowed working time. */
  targetMs: number;
  /** When the target is (or was) due; projected from now while paused. */
  dueAt: number;
  /** When 75% of it has elapsed (same projection). */
  atRiskAt: number;
  /** Working time counted so far (up to now, or to when it was met). */
  elapsedMs: number;
  /** Working time spent waiting on the tutor, not counted. */
  pausedMs: number;
  /** When the target was met (first action: started; resolution: completed or cancelled). */
  metAt: number | null;
  /** The clock is stopped now because the intervention waits on the tutor. */
  paused: boolean;
  state: SlaState;
}

const FIRST_ACTION_DONE: readonly InterventionStatus[] = [
  'in_progress',
  'waiting',
  'completed',
  'cancelled',
];
const RESOLVED: readonly InterventionStatus[] = ['completed', 'cancelled'];

/**
 * The clock of one target. Walks the history's running and waiting segments
 * up to `now` (or to when the target was met): the due time is where the
 * running segments accumulate the target's working time; if they have not by
 * then, the rest is projected from now (paused) or from the current running
 * segment's start.
 */
export function targetClock(
  target: SlaTarget,
  history: readonly StatusChange[],
  targets: SlaTargets,
  cal: BusinessCalendar,
  now: number,
): TargetClock {
  if (!history.length) throw new Error('an intervention has at least its creation in the history');
  const sorted = [...history].sort((a, b) => a.at - b.at);
  const done = target === 'first_action' ? FIRST_ACTION_DONE : RESOLVED;
  const metAt = sorted.find((h, i) => i > 0 && done.includes(h.to))?.at ?? null;
  const end = metAt ?? now;
  const targetMs =
    (target === 'first_action' ? targets.firstActionHours : targets.resolutionHours) * 3_600_000;
  const riskMs = targetMs * AT_RISK_SHARE;

  let elapsed = 0;
  let paused = 0;
  let dueAt: number | null = null;
  let atRiskAt: number | null = null;
  let runningFrom: number | null = null;
  for (let i = 0; i < sorted.length; i++) {
    const from = sorted[i].at;
    if (from >= end) break;
    const to = Math.min(i + 1 < sorted.length ? sorted[i + 1].at : end, end);
    const waiting = sorted[i].to === 'waiting';
    if (waiting) {
      paused += workingMsBetween(from, to, cal);
      runningFrom = null;
      continue;
    }
    const worked = workingMsBetween(from, to, cal);
    if (atRiskAt === null && elapsed + worked >= riskMs)
      atRiskAt = addWorkingMs(from, riskMs - elapsed, cal);
    if (dueAt === null && elapsed + worked >= targetMs)
      dueAt = addWorkingMs(from, targetMs - elapsed, cal);
    elapsed += worked;
    runningFrom = to === end && metAt === null ? from : null;
  }
  const isPaused = metAt === null && sorted[sorted.length - 1].to === 'waiting';
  // Not yet reached: project from the running segment's start (its work is in `elapsed`), or from now/metAt.
  if (atRiskAt === null || dueAt === null) {
    const base = runningFrom ?? end;
    const counted =
      runningFrom === null ? elapsed : elapsed - workingMsBetween(runningFrom, end, cal);
    if (atRiskAt === null) atRiskAt = addWorkingMs(base, Math.max(0, riskMs - counted), cal);
    if (dueAt === null) dueAt = addWorkingMs(base, Math.max(0, targetMs - counted), cal);
  }
  let state: SlaState;
  if (metAt !== null) state = metAt <= dueAt ? 'met' : 'breached';
  else if (elapsed >= targetMs) state = 'breached';
  else if (elapsed >= riskMs) state = 'at_risk';
  else state = 'on_track';
  return {
    target,
    targetMs,
    dueAt,
    atRiskAt,
    elapsedMs: Math.min(elapsed, Number.MAX_SAFE_INTEGER),
    pausedMs: paused,
    metAt,
    paused: isPaused,
    state,
  };
}

export function slaClocks(
  history: readonly StatusChange[],
  targets: SlaTargets,
  cal: BusinessCalendar,
  now: number,
): Record<SlaTarget, TargetClock> {
  return {
    first_action: targetClock('first_action', history, targets, cal, now),
    resolution: targetClock('resolution', history, targets, cal, now),
  };
}

/** A stored target's state at `now`, from its stored times (lists and counters use this). */
export function stateAt(
  stored: { dueAt: Date | null; atRiskAt: Date | null; metAt: Date | null },
  now: number,
): SlaState | null {
  if (!stored.dueAt || !stored.atRiskAt) return null;
  if (stored.metAt) return stored.metAt.getTime() <= stored.dueAt.getTime() ? 'met' : 'breached';
  if (now >= stored.dueAt.getTime()) return 'breached';
  if (now >= stored.atRiskAt.getTime()) return 'at_risk';
  return 'on_track';
}

/** Notice stages, each sent once per (intervention, target, stage). */
export const NOTICE_STAGES = ['at_risk', 'breached', 'escalated', 'escalated_again'] as const;
export type NoticeStage = (typeof NOTICE_STAGES)[number];

/**
 * When each notice of a running target falls due: the warning at 75%, the
 * breach notice and the first escalation at the due time, the second
 * escalation one working day after it.
 */
export function noticeTimes(
  clock: TargetClock,
  cal: BusinessCalendar,
): Record<NoticeStage, number> {
  return {
    at_risk: clock.atRiskAt,
    breached: clock.dueAt,
    escalated: clock.dueAt,
    escalated_again: addWorkingMs(clock.dueAt, workingDayMinutes(cal) * 60_000, cal),
  };
}
