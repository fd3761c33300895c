import type { PerformanceTier } from '../performance/performance.constants';
import {
  InterventionType,
  isAutomated,
  OPEN_STATUSES,
  InterventionStatus,
  Priority,
  PRIORITY_RANK,
  RiskBand,
  riskBandOf,
} from './intervention.constants';

/**
 * The rule engine (DOMAIN.md §6.2) with the source's defects fixed: the churn
 * rules (1, 3, 7) use the one risk-band scheme on `churnScore` instead of raw
 * probabilities; every threshold on a rate is a fraction; all twelve rules
 * read the configuration, which enables each one; cooldown is per type.
 * Pure: state in, actions out.
 */

export const RULE_IDS = [
  'critical_churn_risk',
  'severe_performance_decline',
  'high_churn_risk',
  'poor_first_session_performance',
  'excessive_rescheduling',
  'low_engagement_pattern',
  'medium_churn_risk',
  'declining_ratings',
  'declining_session_volume',
  'new_tutor_support',
  'recognition_high_performer',
  'recognition_improvement',
] as const;
export type RuleId = (typeof RULE_IDS)[number];

/** Rules that read the churn score; they run on tutor.risk-scored and in the nightly batch. */
export const CHURN_RULES: readonly RuleId[] = [
  'critical_churn_risk',
  'high_churn_risk',
  'medium_churn_risk',
];

/** A tutor as the rules see it. Rates and engagement are fractions 0–1; ratings 1–5. */
export interface TutorState {
  tutorId: string;
  /** 0–100; null until the prediction module has scored the tutor. */
  churnScore: number | null;
  tier: PerformanceTier | null;
  tenureDays: number;
  /** Completed sessions in the last 30 days. */
  sessionsCompleted: number;
  avgRating: number | null;
  firstSessionSuccessRate: number | null;
  rescheduleRate: number | null;
  /** Engagement composite as a fraction (engagement_score ÷ 100). */
  engagement: number | null;
  /** 30-day minus 7-day average rating, in rating points (positive = declining). */
  ratingDecline: number | null;
  /** 30-day minus 7-day engagement, as a fraction (positive = declining). */
  engagementDecline: number | null;
  /** 1 − (7-day sessions per day ÷ 30-day sessions per day) (positive = fewer sessions). */
  sessionVolumeDecline: number | null;
}

export interface RuleThresholds {
  /** Rule 2: rating decline (points) and engagement decline (fraction) that count as severe. */
  severeRatingDecline: number;
  severeEngagementDecline: number;
  /** Rule 4: first-session success rate below this (fraction). */
  poorFirstSessionSuccessRate: number;
  /** Rule 5: reschedule rate above this (fraction). */
  excessiveRescheduleRate: number;
  /** Rule 6: engagement below this (fraction). */
  lowEngagement: number;
  /** Rule 8: rating decline between moderate and severe, with the average below lowRating. */
  moderateRatingDecline: number;
  lowRating: number;
  /** Rule 9: session volume decline above this (fraction). */
  sessionVolumeDecline: number;
  /** Rule 10: tenure in [newTutorMinDays, newTutorDays) and rating below newTutorRating. */
  newTutorMinDays: number;
  newTutorDays: number;
  newTutorRating: number;
  /** Rule 11. */
  highPerformerRating: number;
  highPerformerEngagement: number;
  /** Rule 12: a decline below these (negative = improving). */
  ratingImprovement: number;
  engagementImprovement: number;
}

export interface RuleConfigDocument {
  enableAutomated: boolean;
  enableHuman: boolean;
  /** Each rule on or off. */
  rules: Record<RuleId, boolean>;
  thresholds: RuleThresholds;
  /** Tutors with fewer completed sessions in 30 days are not evaluated. */
  minSessions: number;
  /** The same type is not created again within this many days of the last one. */
  sameTypeCooldownDays: number;
  /** At most this many open interventions per tutor. */
  maxOpenPerTutor: number;
}

export const DEFAULT_RULE_CONFIG: RuleConfigDocument = {
  enableAutomated: true,
  enableHuman: true,
  rules: Object.fromEntries(RULE_IDS.map((id) => [id, true])) as Record<RuleId, boolean>,
  thresholds: {
    severeRatingDecline: 0.5,
    severeEngagementDecline: 0.2,
    poorFirstSessionSuccessRate: 0.6,
    excessiveRescheduleRate: 0.2,
    lowEngagement: 0.6,
    moderateRatingDecline: 0.3,
    lowRating: 4.0,
    sessionVolumeDecline: 0.3,
    newTutorMinDays: 7,
    newTutorDays: 30,
    newTutorRating: 4.2,
    highPerformerRating: 4.5,
    highPerformerEngagement: 0.8,
    ratingImprovement: -0.3,
    engagementImprovement: -0.15,
  },
  minSessions: 3,
  sameTypeCooldownDays: 7,
  maxOpenPerTutor: 5,
};

type Kind = 'fraction' | 'signed_fraction' | 'rating' | 'rating_delta' | 'days';
const THRESHOLD_KINDS: Record<keyof RuleThresholds, Kind> = {
  severeRatingDecline: 'rating_delta',
  severeEngagementDecline: 'signed_fraction',
  poorFirstSessionSuccessRate: 'fraction',
  excessiveRescheduleRate: 'fraction',
  lowEngagement: 'fraction',
  moderateRatingDecline: 'rating_delta',
  lowRating: 'rating',
  sessionVolumeDecline: 'signed_fraction',
  newTutorMinDays: 'days',
  newTutorDays: 'days',
  newTutorRating: 'rating',
  highPerformerRating: 'rating',
  highPerformerEngagement: 'fraction',
  ratingImprovement: 'rating_delta',
  engagementImprovement: 'signed_fraction',
};
const RANGES: Record<Kind, [number, number, string]> = {
  fraction: [0, 1, 'a fraction between 0 and 1'],
  signed_fraction: [-1, 1, 'a fraction between -1 and 1'],
  rating: [1, 5, 'a rating between 1 and 5'],
  rating_delta: [-4, 4, 'a rating difference between -4 and 4'],
  days: [0, 3650, 'a whole number of days'],
};

/** Problems with a rule configuration; empty when it may be saved. */
export function ruleConfigProblems(doc: RuleConfigDocument): string[] {
  const problems: string[] = [];
  for (const key of ['enableAutomated', 'enableHuman'] as const)
    if (typeof doc[key] !== 'boolean') problems.push(`${key} must be true or false`);
  for (const id of RULE_IDS)
    if (typeof doc.rules?.[id] !== 'boolean') problems.push(`rules.${id} must be true or false`);
  for (const id of Object.keys(doc.rules ?? {}))
    if (!RULE_IDS.includes(id as RuleId)) problems.push(`rules.${id} is not a rule`);
  for (const [key, kind] of Object.entries(THRESHOLD_KINDS) as [keyof RuleThresholds, Kind][]) {
    const v = doc.thresholds?.[key];
    const [min, max, what] = RANGES[kind];
    if (
      typeof v !== 'number' ||
      !Number.isFinite(v) ||
      v < min ||
      v > max ||
      (kind === 'days' && !Number.isInteger(v))
    )
      problems.push(`thresholds.${key} must be ${what}`);
  }
  for (const key of Object.keys(doc.thresholds ?? {}))
    if (!(key in THRESHOLD_KINDS)) problems.push(`thresholds.${key} is not a threshold`);
  const t = doc.thresholds;
  if (t && t.moderateRatingDecline > t.severeRatingDecline)
    problems.push('thresholds.moderateRatingDecline may not exceed severeRatingDecline');
  if (t && t.newTutorMinDays >= t.newTutorDays)
    problems.push('thresholds.newTutorMinDays must be below newTutorDays');
  const int = (
    key: 'minSessions' | 'sameTypeCooldownDays' | 'maxOpenPerTutor',
    min: number,
    max: number,
  ) => {
    if (!Number.isInteger(doc[key]) || doc[key] < min || doc[key] > max)
      problems.push(`${key} must be a whole number from ${min} to ${max}`);
  };
  int('minSessions', 0, 1000);
  int('sameTypeCooldownDays', 0, 365);
  int('maxOpenPerTutor', 1, 20);
  return problems;
}

export interface RuleDefinition {
  id: RuleId;
  type: InterventionType;
  priority: Priority;
  /** Returns the reason and the evidence when the rule fires, else null. */
  check(
    s: TutorState,
    t: RuleThresholds,
  ): { reason: string; evidence: Record<string, unknown> } | null;
}

const pct = (v: number) => `${Math.round(v * 100)}%`;
const num = (v: number) => v.toFixed(2);
const band = (s: TutorState): RiskBand | null =>
  s.churnScore === null ? null : riskBandOf(s.churnScore);
const churnRule =
  (wanted: RiskBand) =>
  (s: TutorState): { reason: string; evidence: Record<string, unknown> } | null =>
    band(s) === wanted
      ? {
          reason: `Churn score ${s.churnScore} is in the ${wanted} risk band`,
          evidence: { churnScore: s.churnScore, riskBand: wanted },
        }
      : null;

/** The twelve rules, in the source's order. */
export const RULES: readonly RuleDefinition[] = [
  {
    id: 'critical_churn_risk',
    type: 'retention_interview',
    priority: 'critical',
    check: churnRule('critical'),
  },
  {
    id: 'severe_performance_decline',
    type: 'performance_improvement_plan',
    priority: 'critical',
    check: (s, t) => {
      const signs = [
        s.tier === 'At Risk' ? 'tier At Risk' : null,
        s.ratingDecline !== null && s.ratingDecline > t.severeRatingDecline
          ? `rating down ${num(s.ratingDecline)} points`
          : null,
        s.engagementDecline !== null && s.engagementDecline > t.severeEngagementDecline
          ? `engagement down ${pct(s.engagementDecline)}`
          : null,
      ].filter((x): x is string => x !== null);
      return signs.length >= 2
        ? {
            reason: `Severe decline: ${signs.join(', ')}`,
            evidence: {
              tier: s.tier,
              ratingDecline: s.ratingDecline,
              engagementDecline: s.engagementDecline,
            },
          }
        : null;
    },
  },
  { id: 'high_churn_risk', type: 'manager_coaching', priority: 'high', check: churnRule('high') },
  {
    id: 'poor_first_session_performance',
    type: 'first_session_checkin',
    priority: 'high',
    check: (s, t) =>
      s.firstSessionSuccessRate !== null &&
      s.firstSessionSuccessRate < t.poorFirstSessionSuccessRate
        ? {
            reason: `First-session success ${pct(s.firstSessionSuccessRate)} is below ${pct(t.poorFirstSessionSuccessRate)}`,
            evidence: { firstSessionSuccessRate: s.firstSessionSuccessRate },
          }
        : null,
  },
  {
    id: 'excessive_rescheduling',
    type: 'rescheduling_alert',
    priority: 'high',
    check: (s, t) =>
      s.rescheduleRate !== null && s.rescheduleRate > t.excessiveRescheduleRate
        ? {
            reason: `Reschedule rate ${pct(s.rescheduleRate)} is above ${pct(t.excessiveRescheduleRate)}`,
            evidence: { rescheduleRate: s.rescheduleRate },
          }
        : null,
  },
  {
    id: 'low_engagement_pattern',
    type: 'training_module',
    priority: 'high',
    check: (s, t) =>
      s.engagement !== null && s.engagement < t.lowEngagement
        ? {
            reason: `Engagement ${pct(s.engagement)} is below ${pct(t.lowEngagement)}`,
            evidence: { engagement: s.engagement },
          }
        : null,
  },
  {
    id: 'medium_churn_risk',
    type: 'peer_mentoring',
    priority: 'medium',
    check: churnRule('medium'),
  },
  {
    id: 'declining_ratings',
    type: 'automated_coaching',
    priority: 'medium',
    check: (s, t) =>
      s.ratingDecline !== null &&
      s.avgRating !== null &&
      s.ratingDecline >= t.moderateRatingDecline &&
      s.ratingDecline <= t.severeRatingDecline &&
      s.avgRating < t.lowRating
        ? {
            reason: `Rating down ${num(s.ratingDecline)} points to ${num(s.avgRating)}`,
            evidence: { ratingDecline: s.ratingDecline, avgRating: s.avgRating },
          }
        : null,
  },
  {
    id: 'declining_session_volume',
    type: 'automated_coaching',
    priority: 'medium',
    check: (s, t) =>
      s.sessionVolumeDecline !== null && s.sessionVolumeDecline > t.sessionVolumeDecline
        ? {
            reason: `Session volume down ${pct(s.sessionVolumeDecline)} (7 days against 30)`,
            evidence: { sessionVolumeDecline: s.sessionVolumeDecline },
          }
        : null,
  },
  {
    id: 'new_tutor_support',
    type: 'training_module',
    priority: 'medium',
    check: (s, t) =>
      s.tenureDays >= t.newTutorMinDays &&
      s.tenureDays < t.newTutorDays &&
      s.avgRating !== null &&
      s.avgRating < t.newTutorRating
        ? {
            reason: `New tutor (${s.tenureDays} days) rated ${num(s.avgRating)}`,
            evidence: { tenureDays: s.tenureDays, avgRating: s.avgRating },
          }
        : null,
  },
  {
    id: 'recognition_high_performer',
    type: 'recognition',
    priority: 'low',
    check: (s, t) =>
      (s.tier === 'Exemplary' || s.tier === 'Strong') &&
      s.avgRating !== null &&
      s.engagement !== null &&
      s.avgRating >= t.highPerformerRating &&
      s.engagement >= t.highPerformerEngagement
        ? {
            reason: `${s.tier} tutor rated ${num(s.avgRating)} with ${pct(s.engagement)} engagement`,
            evidence: { tier: s.tier, avgRating: s.avgRating, engagement: s.engagement },
          }
        : null,
  },
  {
    id: 'recognition_improvement',
    type: 'recognition',
    priority: 'low',
    check: (s, t) =>
      (s.ratingDecline !== null && s.ratingDecline < t.ratingImprovement) ||
      (s.engagementDecline !== null && s.engagementDecline < t.engagementImprovement)
        ? {
            reason: 'Clear improvement in ratings or engagement',
            evidence: { ratingDecline: s.ratingDecline, engagementDecline: s.engagementDecline },
          }
        : null,
  },
];

/** A tutor's interventions the engine needs to know about: open ones and recent ones. */
export interface ExistingIntervention {
  id: string;
  type: InterventionType;
  status: InterventionStatus;
  createdAt: Date;
}

export interface RuleFiring {
  ruleId: RuleId;
  type: InterventionType;
  priority: Priority;
  reason: string;
  evidence: Record<string, unknown>;
}

export interface RuleEvaluation {
  /** Why the tutor was not evaluated at all. */
  skipped: string | null;
  create: RuleFiring[];
  /** Open interventions of a fired type: refresh their evidence instead of duplicating. */
  refresh: (RuleFiring & { interventionId: string })[];
  dropped: (RuleFiring & { why: 'cooldown' | 'open_limit' | 'disabled_kind' })[];
}

const DAY_MS = 86_400_000;

/**
 * Runs the rules for one tutor. `scope` `metrics` leaves out the churn rules
 * (a metrics update carries no new score).
 */
export function evaluateRules(
  state: TutorState,
  config: RuleConfigDocument,
  existing: readonly ExistingIntervention[],
  now: Date,
  scope: 'all' | 'metrics' = 'all',
): RuleEvaluation {
  const result: RuleEvaluation = { skipped: null, create: [], refresh: [], dropped: [] };
  if (state.churnScore !== null && !(state.churnScore >= 0 && state.churnScore <= 100)) {
    result.skipped = `churn score ${state.churnScore} is outside 0–100`;
    return result;
  }
  if (state.sessionsCompleted < config.minSessions) {
    result.skipped = `${state.sessionsCompleted} completed sessions in 30 days (fewer than ${config.minSessions})`;
    return result;
  }
  const fired: RuleFiring[] = [];
  for (const rule of RULES) {
    if (!config.rules[rule.id]) continue;
    if (scope === 'metrics' && CHURN_RULES.includes(rule.id)) continue;
    const hit = rule.check(state, config.thresholds);
    if (!hit) continue;
    const firing = { ruleId: rule.id, type: rule.type, priority: rule.priority, ...hit };
    const automated = isAutomated(rule.type);
    if ((automated && !config.enableAutomated) || (!automated && !config.enableHuman)) {
      result.dropped.push({ ...firing, why: 'disabled_kind' });
      continue;
    }
    fired.push(firing);
  }
  // Highest priority first; one firing per type (the first, i.e. the most urgent rule).
  fired.sort((a, b) => PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority]);
  const seen = new Set<InterventionType>();
  const open = existing.filter((e) => OPEN_STATUSES.includes(e.status));
  let openCount = open.length;
  for (const firing of fired) {
    if (seen.has(firing.type)) continue;
    seen.add(firing.type);
    const current = open.find((e) => e.type === firing.type);
    if (current) {
      result.refresh.push({ ...firing, interventionId: current.id });
      continue;
    }
    const cooldownStart = now.getTime() - config.sameTypeCooldownDays * DAY_MS;
    if (existing.some((e) => e.type === firing.type && e.createdAt.getTime() > cooldownStart)) {
      result.dropped.push({ ...firing, why: 'cooldown' });
      continue;
    }
    if (openCount >= config.maxOpenPerTutor) {
      result.dropped.push({ ...firing, why: 'open_limit' });
      continue;
    }
    openCount++;
    result.create.push(firing);
  }
  return result;
}
