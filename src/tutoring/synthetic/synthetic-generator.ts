import {
  BehavioralArchetype,
  COPPA_AGE,
  ImprovementArea,
  MAX_SCHEDULE_AHEAD_DAYS,
  ParentConsentStatus,
  SessionStatus,
  SUBJECT_FAMILIES,
  TutorEventType,
  WorkAgainAnswer,
} from '../tutoring.constants';
import { Random } from './random';
import { ArchetypeParameters, SYNTHETIC_PARAMETERS as P } from './synthetic-parameters';
import {
  FEEDBACK_TEXTS,
  FIRST_NAMES,
  LAST_NAMES,
  LOCATIONS,
  MESSAGE_CHANNELS,
  RESIGNATION_REASONS,
  SYNTHETIC_EMAIL_DOMAIN,
  TRAINING_MODULES,
} from './synthetic-vocabulary';

/**
 * The synthetic data generator (DOMAIN.md §7.7), pure and deterministic: the
 * same options give the same rows, to the millisecond and the external id.
 * It knows nothing of the database; SyntheticDataService writes its output.
 *
 * Time: `endDate` (a UTC midnight) is "now". The generator covers the `days`
 * days before it (sessions with outcomes, feedback, tutor events) and the
 * next `futureDays` days (scheduled sessions without outcomes).
 */

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export interface SyntheticOptions {
  tutors: number;
  days: number;
  seed: number;
  /** "Now"; truncated to its UTC midnight. */
  endDate: Date;
  /**
   * Salt of the tutors' activity streams (default none): the same tutors,
   * who depend on the seed alone, with other sessions. The scheduled
   * simulation uses one stream per day.
   */
  stream?: number;
}

export interface SyntheticTutor {
  externalId: string;
  name: string;
  email: string;
  /** YYYY-MM-DD */
  onboardingDate: string;
  status: 'active';
  subjects: string[];
  educationLevel: string;
  location: string;
  baselineSessionsPerWeek: number;
  behavioralArchetype: BehavioralArchetype;
}

/** What the generator decided about a tutor beyond the stored columns. */
export interface TutorPlan {
  index: number;
  tutor: SyntheticTutor;
  archetype: BehavioralArchetype;
  /** Day offset (from the end date) of the onboarding date; negative. */
  onboardDay: number;
  /** Churners: day offset of the first day without any activity. */
  stopDay: number | null;
  /** Churners: the UTC midnight of the stop day. */
  stopDate: string | null;
  /** Churners: whether a resignation event is sent on the stop day. */
  resigns: boolean;
  /** at_risk tutors who show a milder decline at the end of the window. */
  earlyWarning: boolean;
}

export interface SyntheticStudent {
  externalId: string;
  name: string;
  birthYear: number;
  birthMonth: number;
  gradeLevel: string;
  email: string | null;
  subjectsInterested: string[];
  parentEmail: string | null;
  parentConsentStatus: ParentConsentStatus;
  /** ISO 8601 */
  parentConsentAt: string | null;
}

export interface SyntheticSession {
  externalId: string;
  tutorExternalId: string;
  studentExternalId: string;
  /** Position in the tutor–student pair, by (scheduledStart, externalId). */
  sessionNumber: number;
  /** ISO 8601 */
  scheduledStart: string;
  actualStart: string | null;
  durationMinutes: number;
  subject: string;
  sessionType: '1-on-1';
  status: SessionStatus;
  tutorInitiatedReschedule: boolean;
  lateStartMinutes: number;
  engagementScore: number | null;
  learningObjectivesMet: boolean | null;
  technicalIssues: boolean;
}

export interface SyntheticFeedback {
  externalId: string;
  sessionExternalId: string;
  tutorExternalId: string;
  studentExternalId: string;
  overallRating: number;
  subjectKnowledgeRating: number;
  communicationRating: number;
  patienceRating: number;
  engagementRating: number;
  helpfulnessRating: number;
  wouldRecommend: boolean | null;
  workAgain: WorkAgainAnswer | null;
  improvementAreas: ImprovementArea[];
  freeText: string | null;
  /** ISO 8601 */
  submittedAt: string;
}

export interface SyntheticTutorEvent {
  externalId: string;
  tutorExternalId: string;
  eventType: TutorEventType;
  /** ISO 8601 */
  occurredAt: string;
  responseMinutes: number | null;
  metadata: Record<string, string | number>;
}

/** Everything generated for one tutor (students are this tutor's new students). */
export interface SyntheticTutorBatch {
  plan: TutorPlan;
  students: SyntheticStudent[];
  sessions: SyntheticSession[];
  feedback: SyntheticFeedback[];
  events: SyntheticTutorEvent[];
}

export interface SyntheticDataset {
  tutors: SyntheticTutor[];
  plans: TutorPlan[];
  students: SyntheticStudent[];
  sessions: SyntheticSession[];
  feedback: SyntheticFeedback[];
  events: SyntheticTutorEvent[];
}

/** Problems with the options, one message each; empty when they are valid. */
export function syntheticOptionProblems(options: Partial<SyntheticOptions>): string[] {
  const problems: string[] = [];
  const { maxTutors, maxDays } = P.limits;
  const { tutors, days, seed, endDate } = options;
  if (!Number.isInteger(tutors) || tutors! < 1 || tutors! > maxTutors)
    problems.push(`tutors must be a whole number from 1 to ${maxTutors} (got ${tutors})`);
  if (!Number.isInteger(days) || days! < 1 || days! > maxDays)
    problems.push(`days must be a whole number from 1 to ${maxDays} (got ${days})`);
  if (!Number.isInteger(seed) || seed! < 0 || seed! > 0xffffffff)
    problems.push(`seed must be a whole number from 0 to 4294967295 (got ${seed})`);
  if (!(endDate instanceof Date) || Number.isNaN(endDate.getTime()))
    problems.push('endDate must be a valid date');
  return problems;
}

export function utcMidnight(date: Date): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');
export const syntheticIds = {
  tutor: (n: number) => `syn-tutor-${pad(n, 5)}`,
  student: (n: number) => `syn-student-${pad(n, 8)}`,
  session: (n: number) => `syn-session-${pad(n, 8)}`,
  /** Feedback carries the number of its session. */
  feedback: (sessionNumber: number) => `syn-feedback-${pad(sessionNumber, 8)}`,
  event: (n: number) => `syn-event-${pad(n, 9)}`,
};

const TIME_SLOTS = P.sessions.timeSlots.map((t) => [t, t.weight] as const);

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
const round = (x: number, decimals: number) => {
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
};
const iso = (ms: number) => new Date(ms).toISOString();
const emailOf = (...parts: (string | number)[]) =>
  `${parts.join('.')}@${SYNTHETIC_EMAIL_DOMAIN}`.toLowerCase();

/** Counts per archetype that add up to `n` (largest remainder), in a seeded random order. */
function archetypeSequence(n: number, rng: Random): BehavioralArchetype[] {
  const entries = Object.entries(P.archetypes) as [BehavioralArchetype, ArchetypeParameters][];
  const quotas = entries.map(([name, a]) => ({ name, exact: n * a.share, count: 0 }));
  for (const q of quotas) q.count = Math.floor(q.exact);
  let missing = n - quotas.reduce((s, q) => s + q.count, 0);
  for (const q of [...quotas].sort(
    (a, b) => b.exact - Math.floor(b.exact) - (a.exact - Math.floor(a.exact)),
  )) {
    if (missing-- <= 0) break;
    q.count++;
  }
  return rng.shuffle(quotas.flatMap((q) => Array<BehavioralArchetype>(q.count).fill(q.name)));
}

function educationFor(age: number, rng: Random): string {
  if (age < 25)
    return rng.weighted([
      ['Some College', 0.4],
      ["Bachelor's", 0.6],
    ]);
  if (age < 35)
    return rng.weighted([
      ["Bachelor's", 0.7],
      ["Master's", 0.3],
    ]);
  return rng.weighted([
    ["Bachelor's", 0.35],
    ["Master's", 0.45],
    ['PhD', 0.2],
  ]);
}

interface Counters {
  student: number;
  session: number;
  event: number;
}

interface KnownStudent {
  student: SyntheticStudent;
  sessions: number;
}

export class SyntheticGenerator {
  readonly options: SyntheticOptions;
  /** "Now": the end date's UTC midnight, in ms. */
  readonly nowMs: number;
  readonly plans: TutorPlan[];
  private readonly firstDay: number;
  private readonly lastDay: number;
  /** Sum of the baselines of the tutors active on each day (index: day − firstDay). */
  private readonly activeBaseline: number[];
  private readonly dailyTarget: number;

  constructor(options: SyntheticOptions) {
    const problems = syntheticOptionProblems(options);
    if (problems.length)
      throw new RangeError(`invalid synthetic data options: ${problems.join('; ')}`);
    this.options = { ...options, endDate: utcMidnight(options.endDate) };
    this.nowMs = this.options.endDate.getTime();
    this.firstDay = -options.days;
    this.lastDay = Math.min(P.futureDays, MAX_SCHEDULE_AHEAD_DAYS) - 1;
    this.dailyTarget = (P.sessionsPerDayPer250Tutors * options.tutors) / 250;
    this.plans = this.planTutors();
    this.activeBaseline = [];
    for (let d = this.firstDay; d <= this.lastDay; d++) {
      let sum = 0;
      for (const plan of this.plans)
        if (this.isActive(plan, d)) sum += plan.tutor.baselineSessionsPerWeek;
      this.activeBaseline.push(sum);
    }
  }

  get tutors(): SyntheticTutor[] {
    return this.plans.map((p) => p.tutor);
  }

  /** One batch per tutor, in tutor order; consume in order (ids are sequential). */
  *batches(): Generator<SyntheticTutorBatch> {
    const counters: Counters = { student: 0, session: 0, event: 0 };
    for (const plan of this.plans) yield this.tutorBatch(plan, counters);
  }

  /** Everything at once; for tests and small data sets. */
  dataset(): SyntheticDataset {
    const out: SyntheticDataset = {
      tutors: this.tutors,
      plans: this.plans,
      students: [],
      sessions: [],
      feedback: [],
      events: [],
    };
    for (const b of this.batches()) {
      out.students.push(...b.students);
      out.sessions.push(...b.sessions);
      out.feedback.push(...b.feedback);
      out.events.push(...b.events);
    }
    return out;
  }

  private planTutors(): TutorPlan[] {
    const { seed, tutors: n } = this.options;
    const rng = new Random(seed, 'tutors');
    const archetypes = archetypeSequence(n, rng);
    const families = P.tutors.subjectFamilyWeights;
    return archetypes.map((archetype, index) => {
      const a: ArchetypeParameters = P.archetypes[archetype];
      const first = rng.pick(FIRST_NAMES);
      const last = rng.pick(LAST_NAMES);
      const age = rng.int(P.tutors.ageRange[0], P.tutors.ageRange[1]);
      const family = rng.weighted(families);
      const subjects = rng.sample(
        SUBJECT_FAMILIES[family],
        rng.int(P.tutors.subjectsPerTutor[0], P.tutors.subjectsPerTutor[1]),
      );
      const tenure = rng.int(a.tenureDays[0], a.tenureDays[1]);
      const tutor: SyntheticTutor = {
        externalId: syntheticIds.tutor(index + 1),
        name: `${first} ${last}`,
        email: emailOf(first, last, index + 1),
        onboardingDate: iso(this.nowMs - tenure * DAY_MS).slice(0, 10),
        status: 'active',
        subjects,
        educationLevel: educationFor(age, rng),
        location: rng.pick(LOCATIONS),
        baselineSessionsPerWeek: round(
          rng.uniform(a.baselineSessionsPerWeek[0], a.baselineSessionsPerWeek[1]),
          1,
        ),
        behavioralArchetype: archetype,
      };
      let stopDay: number | null = null;
      let resigns = false;
      if (archetype === 'churner') {
        // In the last 5–30 days of the window, and after at least a week of work.
        const latest = Math.max(
          1,
          Math.min(P.churn.stopDaysBeforeEnd[1], this.options.days - 1, tenure - 7),
        );
        const earliest = Math.min(P.churn.stopDaysBeforeEnd[0], latest);
        stopDay = -rng.int(earliest, latest);
        resigns = rng.chance(P.churn.resignationShare);
      }
      const earlyWarning = archetype === 'at_risk' && rng.chance(P.atRiskDecline.share);
      return {
        index,
        tutor,
        archetype,
        onboardDay: -tenure,
        stopDay,
        stopDate: stopDay === null ? null : iso(this.nowMs + stopDay * DAY_MS),
        resigns,
        earlyWarning,
      };
    });
  }

  private isActive(plan: TutorPlan, day: number): boolean {
    return day >= plan.onboardDay && (plan.stopDay === null || day < plan.stopDay);
  }

  /** Multipliers of engagement and session volume on a day (the churn trajectory). */
  private trajectory(plan: TutorPlan, day: number): { engagement: number; volume: number } {
    const decline = (start: number, length: number, floor: number) => {
      if (day < start) return 1;
      return 1 - (1 - floor) * Math.min(1, (day - start + 1) / length);
    };
    if (plan.stopDay !== null) {
      const c = P.churn;
      if (day >= plan.stopDay) return { engagement: 0, volume: 0 };
      return {
        engagement: decline(
          plan.stopDay - c.engagementDeclineDays,
          c.engagementDeclineDays,
          c.engagementFloor,
        ),
        volume: decline(plan.stopDay - c.volumeDeclineDays, c.volumeDeclineDays, c.volumeFloor),
      };
    }
    if (plan.earlyWarning) {
      const w = P.atRiskDecline;
      return {
        engagement: decline(-w.engagementDeclineDays, w.engagementDeclineDays, w.engagementFloor),
        volume: decline(-w.volumeDeclineDays, w.volumeDeclineDays, w.volumeFloor),
      };
    }
    return { engagement: 1, volume: 1 };
  }

  private dayOf(ms: number): number {
    return Math.floor((ms - this.nowMs) / DAY_MS);
  }

  private tutorBatch(plan: TutorPlan, counters: Counters): SyntheticTutorBatch {
    const rng = new Random(
      this.options.seed,
      'tutor',
      plan.index,
      ...(this.options.stream === undefined ? [] : [this.options.stream]),
    );
    const a: ArchetypeParameters = P.archetypes[plan.archetype];
    const s = P.sessions;
    const tutorId = plan.tutor.externalId;
    const firstActiveDay = Math.max(this.firstDay, plan.onboardDay);
    const onboardMs = this.nowMs + plan.onboardDay * DAY_MS;

    // 1. When: the tutor's share of each day's sessions.
    const slots: { start: number; duration: number }[] = [];
    for (let d = firstActiveDay; d <= this.lastDay; d++) {
      if (!this.isActive(plan, d)) continue;
      const share = plan.tutor.baselineSessionsPerWeek / this.activeBaseline[d - this.firstDay];
      const jitter = rng.uniform(1 - P.dailyVolumeJitter, 1 + P.dailyVolumeJitter);
      const count = rng.round(this.dailyTarget * share * jitter * this.trajectory(plan, d).volume);
      for (let k = 0; k < count; k++) {
        let day = d;
        const weekday = new Date(this.nowMs + day * DAY_MS).getUTCDay();
        if ((weekday === 0 || weekday === 6) && rng.chance(s.weekendMoveBackProbability)) {
          const back = rng.int(1, 2);
          if (day - back >= firstActiveDay) day -= back;
        }
        const slot = rng.weighted(TIME_SLOTS);
        const hour = rng.int(slot.fromHour, slot.toHour);
        const minute = 15 * rng.int(0, 3);
        slots.push({
          start: this.nowMs + day * DAY_MS + hour * HOUR_MS + minute * MINUTE_MS,
          duration: rng.weighted(s.durationMinutes),
        });
      }
    }
    slots.sort((x, y) => x.start - y.start);

    // 2. Who and how it went, in scheduled order (so session numbers follow the server's rule).
    const known: KnownStudent[] = [];
    const students: SyntheticStudent[] = [];
    const sessions: SyntheticSession[] = [];
    const feedback: SyntheticFeedback[] = [];
    const events: Omit<SyntheticTutorEvent, 'externalId'>[] = [];
    for (const slot of slots) {
      let pair: KnownStudent;
      if (known.length && rng.chance(P.students.reuseKnownStudentProbability)) {
        pair = rng.pick(known);
      } else {
        pair = { student: this.newStudent(plan, slot.start, rng, ++counters.student), sessions: 0 };
        known.push(pair);
        students.push(pair.student);
      }
      const sessionNumber = ++pair.sessions;
      const sessionSeq = ++counters.session;
      const externalId = syntheticIds.session(sessionSeq);
      const day = this.dayOf(slot.start);
      const date = new Date(slot.start);
      const future = slot.start >= this.nowMs;

      let rescheduled = rng.chance(a.rescheduleProbability);
      if (rescheduled) {
        const leadHours = rng.uniform(s.rescheduleLeadHours[0], s.rescheduleLeadHours[1]);
        const requestedAt = Math.max(onboardMs, Math.round(slot.start - leadHours * HOUR_MS));
        // A reschedule of a future session that has not been asked for yet is not known.
        if (requestedAt <= this.nowMs) {
          events.push({
            tutorExternalId: tutorId,
            eventType: 'reschedule_request',
            occurredAt: iso(requestedAt),
            responseMinutes: null,
            metadata: { sessionExternalId: externalId, leadHours: round(leadHours, 1) },
          });
        } else {
          rescheduled = false;
        }
      }

      const session: SyntheticSession = {
        externalId,
        tutorExternalId: tutorId,
        studentExternalId: pair.student.externalId,
        sessionNumber,
        scheduledStart: iso(slot.start),
        actualStart: null,
        durationMinutes: slot.duration,
        subject: rng.pick(pair.student.subjectsInterested),
        sessionType: '1-on-1',
        status: 'scheduled',
        tutorInitiatedReschedule: rescheduled,
        lateStartMinutes: 0,
        engagementScore: null,
        learningObjectivesMet: null,
        technicalIssues: false,
      };
      sessions.push(session);
      if (future) continue;

      let noShow = a.noShowProbability;
      if (date.getUTCDay() === 1) noShow *= s.noShowMondayFactor;
      if (date.getUTCHours() < s.morningBeforeHour) noShow *= s.noShowMorningFactor;
      if (rng.chance(Math.min(noShow, s.maxNoShowProbability))) {
        session.status = 'no_show';
        continue;
      }
      const late = rng.weighted(a.lateStartMinutes);
      const firstFactor = sessionNumber === 1 ? s.firstSessionEngagementFactor : 1;
      const engagement = clamp(
        rng.uniform(a.engagement[0], a.engagement[1]) *
          firstFactor *
          this.trajectory(plan, day).engagement,
        0,
        1,
      );
      session.status = 'completed';
      session.actualStart = iso(slot.start + late * MINUTE_MS);
      session.lateStartMinutes = late;
      session.engagementScore = round(engagement, 3);
      session.learningObjectivesMet = rng.chance(a.objectivesMetProbability);
      session.technicalIssues = rng.chance(a.technicalIssuesProbability);
      if (rng.chance(P.feedback.share)) {
        const delayHours = rng.uniform(P.feedback.delayHours[0], P.feedback.delayHours[1]);
        const submittedAt = slot.start + late * MINUTE_MS + Math.round(delayHours * 3600) * 1000;
        const f = this.feedbackFor(plan, session, submittedAt, sessionSeq, rng);
        if (submittedAt <= this.nowMs) feedback.push(f);
      }
    }

    // 3. The behaviour stream.
    this.dailyEvents(plan, firstActiveDay, rng, events);
    events.sort((x, y) => (x.occurredAt < y.occurredAt ? -1 : x.occurredAt > y.occurredAt ? 1 : 0));
    return {
      plan,
      students,
      sessions,
      feedback,
      events: events.map((e) => ({ externalId: syntheticIds.event(++counters.event), ...e })),
    };
  }

  private newStudent(
    plan: TutorPlan,
    firstSessionMs: number,
    rng: Random,
    n: number,
  ): SyntheticStudent {
    const st = P.students;
    const end = this.options.endDate;
    const age = rng.weighted(st.ageWeights);
    const birthMonth = rng.int(1, 12);
    // Born on the 1st of birthMonth, `age` whole years old at the end date.
    const birthYear = end.getUTCFullYear() - age - (end.getUTCMonth() + 1 >= birthMonth ? 0 : 1);
    const first = rng.pick(FIRST_NAMES);
    const last = rng.pick(LAST_NAMES);
    const subjects = plan.tutor.subjects;
    const subjectsInterested = rng.sample(
      subjects,
      rng.int(st.subjectsInterested[0], Math.min(st.subjectsInterested[1], subjects.length)),
    );
    const base = {
      externalId: syntheticIds.student(n),
      name: `${first} ${last}`,
      birthYear,
      birthMonth,
      gradeLevel: `Grade ${clamp(age - 5, 1, 12)}`,
      subjectsInterested,
    };
    if (age < COPPA_AGE) {
      const granted = rng.chance(st.parentConsentGrantedShare);
      const leadDays = rng.int(st.parentConsentLeadDays[0], st.parentConsentLeadDays[1]);
      const consentMs = Math.min(
        firstSessionMs - leadDays * DAY_MS + rng.int(8, 20) * HOUR_MS,
        this.nowMs - HOUR_MS,
      );
      return {
        ...base,
        email: null,
        parentEmail: emailOf('parent', last, n),
        parentConsentStatus: granted ? 'granted' : 'pending',
        parentConsentAt: granted ? iso(consentMs) : null,
      };
    }
    return {
      ...base,
      email: rng.chance(st.ownEmailShare) ? emailOf(first, last, 's' + n) : null,
      parentEmail: null,
      parentConsentStatus: 'not_required',
      parentConsentAt: null,
    };
  }

  private feedbackFor(
    plan: TutorPlan,
    session: SyntheticSession,
    submittedAt: number,
    sessionSeq: number,
    rng: Random,
  ): SyntheticFeedback {
    const fp = P.feedback;
    const pen = fp.penalties;
    const late = session.lateStartMinutes;
    const first = session.sessionNumber === 1;
    let quality = session.engagementScore!;
    if (!session.learningObjectivesMet) quality -= pen.objectivesNotMet;
    if (late > 10) quality -= pen.lateOver10;
    else if (late > 5) quality -= pen.lateOver5;
    if (session.technicalIssues) quality -= pen.technicalIssues;
    if (first && plan.archetype === 'new_tutor') quality -= pen.newTutorFirstSession;
    quality = clamp(quality, 0, 1);

    const band = fp.ratingBands.find((b) => quality < b.below)!;
    const rating = rng.weighted(band.ratings);
    const sub = (bias: number) => clamp(rating + rng.weighted(fp.subRatingDelta) + bias, 1, 5);
    const subjectKnowledgeRating = sub(plan.archetype === 'high_performer' ? 1 : 0);
    const communicationRating = sub(0);
    const patienceRating = sub(
      plan.archetype === 'churner' || plan.archetype === 'at_risk' ? -1 : 0,
    );
    const engagementRating = sub(
      quality > fp.engagementBonusAboveQuality
        ? 1
        : quality < fp.engagementPenaltyBelowQuality
          ? -1
          : 0,
    );
    const helpfulnessRating = sub(0);

    const wouldRecommend = first ? rating >= 4 : null;
    const workAgain: WorkAgainAnswer | null = first
      ? rating >= 5
        ? 'yes'
        : rating === 4
          ? 'maybe'
          : rating === 3
            ? 'probably_not'
            : 'no'
      : null;

    const improvementAreas: ImprovementArea[] = [];
    if (rating <= fp.improvementAreasAtOrBelowRating || wouldRecommend === false) {
      if (late > 5) improvementAreas.push('punctuality');
      if (!session.learningObjectivesMet) {
        if (rng.chance(fp.bothPreparationAndClarity))
          improvementAreas.push('preparation', 'clarity');
        else improvementAreas.push(rng.pick(['preparation', 'clarity'] as const));
      }
      if (session.technicalIssues) improvementAreas.push('technical_issues');
      if (patienceRating < 3) improvementAreas.push('patience');
      if (!improvementAreas.length) improvementAreas.push(rng.pick(fp.fallbackImprovementAreas));
    }

    let freeText: string | null = null;
    if (!rng.chance(fp.noFreeTextShare)) {
      const pool =
        rating >= 4
          ? FEEDBACK_TEXTS.positive
          : rating === 3
            ? FEEDBACK_TEXTS.neutral
            : FEEDBACK_TEXTS.negative;
      freeText = rng.pick(pool);
      if (late > 5) freeText += FEEDBACK_TEXTS.lateSuffix;
      if (session.technicalIssues) freeText += FEEDBACK_TEXTS.technicalSuffix;
    }

    return {
      externalId: syntheticIds.feedback(sessionSeq),
      sessionExternalId: session.externalId,
      tutorExternalId: session.tutorExternalId,
      studentExternalId: session.studentExternalId,
      overallRating: rating,
      subjectKnowledgeRating,
      communicationRating,
      patienceRating,
      engagementRating,
      helpfulnessRating,
      wouldRecommend,
      workAgain,
      improvementAreas,
      freeText,
      submittedAt: iso(submittedAt),
    };
  }

  /** Logins, message responses, availability changes, training and resignation; past days only. */
  private dailyEvents(
    plan: TutorPlan,
    firstActiveDay: number,
    rng: Random,
    events: Omit<SyntheticTutorEvent, 'externalId'>[],
  ): void {
    const a: ArchetypeParameters = P.archetypes[plan.archetype];
    const e = P.events;
    const tutorExternalId = plan.tutor.externalId;
    const at = (day: number) =>
      this.nowMs +
      day * DAY_MS +
      rng.int(e.activeHours[0] * 3600, e.activeHours[1] * 3600 - 1) * 1000;
    const push = (
      eventType: TutorEventType,
      ms: number,
      metadata: Record<string, string | number> = {},
      responseMinutes: number | null = null,
    ) =>
      events.push({ tutorExternalId, eventType, occurredAt: iso(ms), responseMinutes, metadata });

    for (let d = firstActiveDay; d < 0; d++) {
      if (!this.isActive(plan, d)) continue;
      const t = this.trajectory(plan, d);
      if (rng.chance(a.loginDayProbability * t.engagement)) {
        const logins = rng.weighted(e.loginsPerActiveDay);
        for (let i = 0; i < logins; i++) push('login', at(d));
      }
      const messages = rng.round(a.messageResponsesPerDay * t.volume * rng.uniform(0.5, 1.5));
      for (let i = 0; i < messages; i++) {
        const minutes = clamp(
          (a.responseMedianMinutes / t.engagement) * Math.exp(e.responseSigma * rng.normal()),
          1,
          e.responseMaxMinutes,
        );
        push('message_response', at(d), { channel: rng.pick(MESSAGE_CHANNELS) }, round(minutes, 1));
      }
      const reducing = plan.stopDay !== null && d >= plan.stopDay - P.churn.volumeDeclineDays;
      if (
        reducing
          ? rng.chance(P.churn.availabilityReductionPerDay)
          : rng.chance(e.availabilityChangePerDay)
      ) {
        push('availability_change', at(d), {
          change: reducing ? 'reduced' : rng.pick(['added', 'reduced']),
        });
      }
      const newcomer =
        plan.archetype === 'new_tutor' && d - plan.onboardDay < e.newTutorTrainingDays;
      if (rng.chance(newcomer ? e.newTutorTrainingPerDay : e.trainingPerDay)) {
        push('training_completed', at(d), { module: rng.pick(TRAINING_MODULES) });
      }
    }
    if (
      plan.stopDay !== null &&
      plan.resigns &&
      plan.stopDay >= this.firstDay &&
      plan.stopDay < 0
    ) {
      push('resignation', at(plan.stopDay), { reason: rng.pick(RESIGNATION_REASONS) });
    }
  }
}

/** Generates the whole data set in memory (tests and small sizes). */
export function generateSyntheticDataset(options: SyntheticOptions): SyntheticDataset {
  return new SyntheticGenerator(options).dataset();
}
