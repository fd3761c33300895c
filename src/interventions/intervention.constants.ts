/**
 * Interventions (DOMAIN.md §6): the nine types with their owners, the
 * priorities, the workflow states and the outcomes.
 */

export const INTERVENTION_TYPES = [
  'automated_coaching',
  'training_module',
  'first_session_checkin',
  'rescheduling_alert',
  'manager_coaching',
  'peer_mentoring',
  'performance_improvement_plan',
  'retention_interview',
  'recognition',
] as const;
export type InterventionType = (typeof INTERVENTION_TYPES)[number];

/** Who does the work: the system (an email to the tutor) or a member of staff. */
export type InterventionKind = 'automated' | 'human';

export interface InterventionTypeInfo {
  kind: InterventionKind;
  label: string;
  /** PRD owner (DOMAIN.md §6.1). */
  owner: string;
  /** Rule-engine staff role: `tutor_manager` work goes to the tutor's manager when they are staff. */
  staffRole: 'tutor_manager' | 'tutor_coach' | 'peer_mentor_coordinator' | null;
}

export const INTERVENTION_TYPE_INFO: Record<InterventionType, InterventionTypeInfo> = {
  automated_coaching: {
    kind: 'automated',
    label: 'Coaching tips (email)',
    owner: 'System',
    staffRole: null,
  },
  training_module: {
    kind: 'automated',
    label: 'Training module',
    owner: 'System',
    staffRole: null,
  },
  first_session_checkin: {
    kind: 'human',
    label: 'First-session check-in',
    owner: 'Tutor coach',
    staffRole: 'tutor_coach',
  },
  rescheduling_alert: {
    kind: 'automated',
    label: 'Rescheduling alert',
    owner: 'System, then manager',
    staffRole: null,
  },
  manager_coaching: {
    kind: 'human',
    label: 'Manager coaching (1:1)',
    owner: 'Operations manager',
    staffRole: 'tutor_manager',
  },
  peer_mentoring: {
    kind: 'human',
    label: 'Peer mentoring',
    owner: 'People Ops',
    staffRole: 'peer_mentor_coordinator',
  },
  performance_improvement_plan: {
    kind: 'human',
    label: 'Performance improvement plan',
    owner: 'People Ops + direct manager',
    staffRole: 'tutor_manager',
  },
  retention_interview: {
    kind: 'human',
    label: 'Retention interview',
    owner: 'People Ops',
    staffRole: 'tutor_manager',
  },
  recognition: {
    kind: 'automated',
    label: 'Recognition',
    owner: 'System',
    staffRole: null,
  },
};

export const isAutomated = (type: InterventionType) =>
  INTERVENTION_TYPE_INFO[type].kind === 'automated';

export const PRIORITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];
/** Sort rank: critical first. */
export const PRIORITY_RANK: Record<Priority, number> = { critical: 0, high: 1, medium: 2, low: 3 };

export const STATUSES = [
  'open',
  'assigned',
  'in_progress',
  'waiting',
  'completed',
  'cancelled',
] as const;
export type InterventionStatus = (typeof STATUSES)[number];
export const OPEN_STATUSES: readonly InterventionStatus[] = [
  'open',
  'assigned',
  'in_progress',
  'waiting',
];
export const FINAL_STATUSES: readonly InterventionStatus[] = ['completed', 'cancelled'];
export const isFinal = (status: InterventionStatus) => FINAL_STATUSES.includes(status);

export const OUTCOMES = ['improved', 'no_change', 'declined', 'churned'] as const;
export type InterventionOutcome = (typeof OUTCOMES)[number];

/** pending: not yet queued; queued: waiting for the SMTP server; then sent, failed or suppressed (unsubscribed). */
export const DELIVERY_STATUSES = ['pending', 'queued', 'sent', 'failed', 'suppressed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** Roles whose users may be assigned interventions. */
export const ASSIGNABLE_ROLES = ['people_ops', 'operations_manager'] as const;

/** One risk-band scheme everywhere (ARCHITECTURE.md): 0–25 low, 26–50 medium, 51–75 high, 76–100 critical. */
export { RISK_BANDS, riskBandOf } from '../prediction/risk-bands';
export type { RiskBand } from '../prediction/risk-bands';

/** The event the prediction module emits after scoring a tutor: `{ tutorId, churnScore, scoredAt }`. */
export const RISK_SCORED_EVENT = 'tutor.risk-scored';
