/**
 * The vocabularies of the tutoring records (DOMAIN.md §1.2, §7.5), with the
 * earlier system's conflicts resolved: one improvement-area list, one set of
 * subjects, stored as the lower-case values the API speaks.
 */
export const TUTOR_STATUSES = ['active', 'inactive', 'churned'] as const;
export type TutorStatus = (typeof TUTOR_STATUSES)[number];

export const BEHAVIORAL_ARCHETYPES = [
  'high_performer',
  'at_risk',
  'new_tutor',
  'steady',
  'churner',
] as const;
export type BehavioralArchetype = (typeof BEHAVIORAL_ARCHETYPES)[number];

export const SESSION_TYPES = ['1-on-1', 'group', 'workshop'] as const;
export type SessionType = (typeof SESSION_TYPES)[number];

/** scheduled: not yet taken place (no outcomes); completed: took place; no_show: the tutor or student did not come. */
export const SESSION_STATUSES = ['scheduled', 'completed', 'no_show'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

export const SESSION_DURATIONS_MINUTES = [30, 45, 60, 90, 120] as const;

export const SUBJECT_FAMILIES = {
  STEM: [
    'Mathematics',
    'Algebra',
    'Calculus',
    'Geometry',
    'Physics',
    'Chemistry',
    'Biology',
    'Computer Science',
  ],
  Language: ['English', 'Writing', 'Literature', 'Spanish', 'French'],
  TestPrep: ['SAT Prep', 'ACT Prep', 'AP Test Prep', 'GRE Prep'],
} as const;
export const SUBJECTS: readonly string[] = Object.values(SUBJECT_FAMILIES).flat();

export const IMPROVEMENT_AREAS = [
  'punctuality',
  'preparation',
  'clarity',
  'patience',
  'engagement',
  'subject_knowledge',
  'communication',
  'technical_issues',
  'other',
] as const;
export type ImprovementArea = (typeof IMPROVEMENT_AREAS)[number];

/** PRD first-session question: "Would you want to work with this tutor again?" */
export const WORK_AGAIN_ANSWERS = ['yes', 'maybe', 'probably_not', 'no'] as const;
export type WorkAgainAnswer = (typeof WORK_AGAIN_ANSWERS)[number];

export const TUTOR_EVENT_TYPES = [
  'login',
  'message_response',
  'availability_change',
  'training_completed',
  'reschedule_request',
  'resignation',
] as const;
export type TutorEventType = (typeof TUTOR_EVENT_TYPES)[number];

export const PARENT_CONSENT_STATUSES = ['not_required', 'pending', 'granted', 'revoked'] as const;
export type ParentConsentStatus = (typeof PARENT_CONSENT_STATUSES)[number];

/** COPPA threshold: consent is needed below this age. */
export const COPPA_AGE = 13;
/** Outbox event: an under-13 student without verified consent was stored or changed. */
export const STUDENT_CONSENT_NEEDED = 'student.consent-needed';
/** How far ahead a session may be scheduled (DOMAIN.md §7.5). */
export const MAX_SCHEDULE_AHEAD_DAYS = 30;
export const MAX_BATCH_ITEMS = 5000;
