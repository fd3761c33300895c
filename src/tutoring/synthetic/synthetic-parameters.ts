import type { BehavioralArchetype, ImprovementArea } from '../tutoring.constants';

/**
 * Every number the synthetic data generator uses (DOMAIN.md §7.7, with the
 * source's defects fixed).
 *
 * These parameters are FIXED by the foundation issue. Later model work
 * (churn, first-session risk, tiers) must not tune them to make a model look
 * better: change them only through an issue of their own, because every
 * model metric measured on synthetic data depends on them.
 */

export interface ArchetypeParameters {
  /** Share of the tutor population. */
  share: number;
  baselineSessionsPerWeek: readonly [number, number];
  /** Onboarding date, in days before the end date. */
  tenureDays: readonly [number, number];
  rescheduleProbability: number;
  noShowProbability: number;
  /** Late start in minutes: weight. */
  lateStartMinutes: readonly (readonly [number, number])[];
  objectivesMetProbability: number;
  engagement: readonly [number, number];
  technicalIssuesProbability: number;
  /** Probability of logging in on a day the tutor is active. */
  loginDayProbability: number;
  /** Mean message responses a day. */
  messageResponsesPerDay: number;
  /** Median minutes to answer a message (log-normal). */
  responseMedianMinutes: number;
}

const LATE_COMMON = [
  [0, 0.65],
  [2, 0.2],
  [5, 0.1],
  [10, 0.05],
] as const;

export const SYNTHETIC_PARAMETERS = {
  defaults: { tutors: 250, days: 90, seed: 42 },
  limits: { maxTutors: 5000, maxDays: 730 },
  /** Scheduled sessions after the end date ("now"); never more than MAX_SCHEDULE_AHEAD_DAYS. */
  futureDays: 7,
  /** 3,000 sessions a day for 250 tutors, scaled by the tutor count. */
  sessionsPerDayPer250Tutors: 3000,
  /** Each tutor's share of a day varies by ±30%. */
  dailyVolumeJitter: 0.3,

  archetypes: {
    high_performer: {
      share: 0.3,
      baselineSessionsPerWeek: [18, 30],
      tenureDays: [30, 730],
      rescheduleProbability: 0.02,
      noShowProbability: 0.01,
      lateStartMinutes: [
        [0, 0.85],
        [2, 0.1],
        [5, 0.05],
      ],
      objectivesMetProbability: 0.92,
      engagement: [0.8, 1.0],
      technicalIssuesProbability: 0.02,
      loginDayProbability: 0.92,
      messageResponsesPerDay: 3,
      responseMedianMinutes: 12,
    },
    at_risk: {
      share: 0.2,
      baselineSessionsPerWeek: [8, 15],
      tenureDays: [30, 730],
      rescheduleProbability: 0.25,
      noShowProbability: 0.12,
      lateStartMinutes: LATE_COMMON,
      objectivesMetProbability: 0.7,
      engagement: [0.4, 0.7],
      technicalIssuesProbability: 0.02,
      loginDayProbability: 0.6,
      messageResponsesPerDay: 1.5,
      responseMedianMinutes: 150,
    },
    new_tutor: {
      share: 0.25,
      baselineSessionsPerWeek: [5, 20],
      tenureDays: [1, 29],
      rescheduleProbability: 0.12,
      noShowProbability: 0.08,
      lateStartMinutes: LATE_COMMON,
      objectivesMetProbability: 0.92,
      engagement: [0.5, 0.9],
      technicalIssuesProbability: 0.05,
      loginDayProbability: 0.88,
      messageResponsesPerDay: 2,
      responseMedianMinutes: 40,
    },
    steady: {
      share: 0.2,
      baselineSessionsPerWeek: [12, 18],
      tenureDays: [30, 730],
      rescheduleProbability: 0.08,
      noShowProbability: 0.03,
      lateStartMinutes: LATE_COMMON,
      objectivesMetProbability: 0.92,
      engagement: [0.65, 0.85],
      technicalIssuesProbability: 0.02,
      loginDayProbability: 0.85,
      messageResponsesPerDay: 2.5,
      responseMedianMinutes: 25,
    },
    churner: {
      share: 0.05,
      baselineSessionsPerWeek: [5, 12],
      tenureDays: [30, 730],
      rescheduleProbability: 0.4,
      noShowProbability: 0.25,
      lateStartMinutes: [
        [0, 0.3],
        [5, 0.3],
        [10, 0.25],
        [15, 0.15],
      ],
      objectivesMetProbability: 0.7,
      engagement: [0.2, 0.5],
      technicalIssuesProbability: 0.02,
      loginDayProbability: 0.55,
      messageResponsesPerDay: 1.2,
      responseMedianMinutes: 240,
    },
  } satisfies Record<BehavioralArchetype, ArchetypeParameters>,

  sessions: {
    noShowMondayFactor: 1.5,
    noShowMorningFactor: 1.3,
    /** "Morning" for the no-show factor: scheduled before this UTC hour. */
    morningBeforeHour: 12,
    maxNoShowProbability: 0.9,
    firstSessionEngagementFactor: 0.95,
    /** UTC start hours (inclusive) and weight; minutes are whole quarter hours. */
    timeSlots: [
      { fromHour: 6, toHour: 11, weight: 0.2 },
      { fromHour: 12, toHour: 16, weight: 0.35 },
      { fromHour: 17, toHour: 21, weight: 0.45 },
    ],
    durationMinutes: [
      [30, 0.1],
      [45, 0.2],
      [60, 0.5],
      [90, 0.15],
      [120, 0.05],
    ],
    /** A session that falls on a weekend is moved back 1–2 days with this probability. */
    weekendMoveBackProbability: 0.3,
    /** A tutor-initiated reschedule is requested this many hours before the (new) start. */
    rescheduleLeadHours: [2, 96],
  },

  students: {
    reuseKnownStudentProbability: 0.7,
    /** Age at the end date: weight (about a third are under 13). */
    ageWeights: [
      [8, 0.6],
      [9, 0.6],
      [10, 0.7],
      [11, 0.8],
      [12, 0.9],
      [13, 1],
      [14, 1.1],
      [15, 1.2],
      [16, 1.2],
      [17, 1.1],
      [18, 0.8],
    ],
    subjectsInterested: [1, 2],
    /** Under-13s whose parent has already consented (the rest are pending). */
    parentConsentGrantedShare: 0.6,
    /** Consent was given this many days before the first session. */
    parentConsentLeadDays: [1, 14],
    /** Students of 13 and over with an email address of their own. */
    ownEmailShare: 0.5,
  },

  tutors: {
    ageRange: [22, 65],
    subjectsPerTutor: [1, 3],
    subjectFamilyWeights: [
      ['STEM', 0.5],
      ['Language', 0.3],
      ['TestPrep', 0.2],
    ],
  },

  churn: {
    /** The stop day lies this many days before the end date. */
    stopDaysBeforeEnd: [5, 30],
    engagementDeclineDays: 21,
    engagementFloor: 0.5,
    volumeDeclineDays: 14,
    volumeFloor: 0.3,
    resignationShare: 0.5,
    /** Availability changes (reductions) a day while the volume declines. */
    availabilityReductionPerDay: 0.15,
  },

  /** A milder decline for some at_risk tutors (the "early warning" group). */
  atRiskDecline: {
    share: 0.3,
    engagementDeclineDays: 30,
    engagementFloor: 0.85,
    volumeDeclineDays: 14,
    volumeFloor: 0.8,
  },

  feedback: {
    share: 0.85,
    delayHours: [2, 24],
    penalties: {
      objectivesNotMet: 0.15,
      lateOver10: 0.2,
      lateOver5: 0.1,
      technicalIssues: 0.15,
      newTutorFirstSession: 0.1,
    },
    /** Rating by quality band: quality below `below` → rating weights. */
    ratingBands: [
      {
        below: 0.4,
        ratings: [
          [1, 0.4],
          [2, 0.5],
          [3, 0.1],
        ],
      },
      {
        below: 0.6,
        ratings: [
          [2, 0.2],
          [3, 0.6],
          [4, 0.2],
        ],
      },
      {
        below: 0.8,
        ratings: [
          [3, 0.1],
          [4, 0.6],
          [5, 0.3],
        ],
      },
      {
        below: Infinity,
        ratings: [
          [4, 0.3],
          [5, 0.7],
        ],
      },
    ],
    /** Sub-rating = overall + delta (±1, biased to 0). */
    subRatingDelta: [
      [-1, 0.2],
      [0, 0.6],
      [1, 0.2],
    ],
    engagementBonusAboveQuality: 0.85,
    engagementPenaltyBelowQuality: 0.5,
    noFreeTextShare: 0.3,
    /** Improvement areas are asked for at this rating and below (and on unrecommended first sessions). */
    improvementAreasAtOrBelowRating: 3,
    /** A missed objective reads as both "unprepared" and "unclear" this often. */
    bothPreparationAndClarity: 0.3,
    fallbackImprovementAreas: [
      'engagement',
      'communication',
      'subject_knowledge',
      'clarity',
    ] as readonly ImprovementArea[],
  },

  events: {
    /** Extra logins on an active day: weight. */
    loginsPerActiveDay: [
      [1, 0.7],
      [2, 0.3],
    ],
    /** Log-normal spread of response times. */
    responseSigma: 0.9,
    responseMaxMinutes: 2880,
    availabilityChangePerDay: 0.04,
    trainingPerDay: 0.01,
    /** New tutors train more during their first weeks. */
    newTutorTrainingPerDay: 0.15,
    newTutorTrainingDays: 14,
    /** UTC hours (inclusive, exclusive) in which tutors log in and answer messages. */
    activeHours: [6, 23],
  },
} as const;

export type SyntheticParameters = typeof SYNTHETIC_PARAMETERS;
