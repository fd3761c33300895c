import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ageOn } from '../student-age';
import {
  BEHAVIORAL_ARCHETYPES,
  COPPA_AGE,
  IMPROVEMENT_AREAS,
  MAX_SCHEDULE_AHEAD_DAYS,
  SESSION_DURATIONS_MINUTES,
  SUBJECTS,
  TUTOR_EVENT_TYPES,
} from '../tutoring.constants';
import { Random } from './random';
import {
  generateSyntheticDataset,
  SyntheticDataset,
  SyntheticGenerator,
  SyntheticSession,
  SyntheticStudent,
} from './synthetic-generator';
import { SYNTHETIC_PARAMETERS } from './synthetic-parameters';

const DAY_MS = 86_400_000;
const END = new Date('2025-06-01T00:00:00Z');
const NOW = END.getTime();
const ms = (iso: string) => Date.parse(iso);

/**
 * The first few items that break a rule, as external ids: one expect per rule
 * instead of one per row keeps the suite fast on tens of thousands of rows.
 */
function breaking<T extends { externalId: string }>(
  items: T[],
  ok: (item: T) => boolean,
): string[] {
  return items
    .filter((item) => !ok(item))
    .slice(0, 5)
    .map((item) => item.externalId);
}

describe('Random', () => {
  it('repeats for the same seed and stream and differs otherwise', () => {
    const draw = (r: Random) => Array.from({ length: 5 }, () => r.next());
    expect(draw(new Random(1, 'a'))).toEqual(draw(new Random(1, 'a')));
    expect(draw(new Random(1, 'a'))).not.toEqual(draw(new Random(2, 'a')));
    expect(draw(new Random(1, 'a'))).not.toEqual(draw(new Random(1, 'b')));
    const r = new Random(3);
    for (let i = 0; i < 1000; i++) {
      const x = r.next();
      expect(x >= 0 && x < 1).toBe(true);
      const n = r.int(2, 4);
      expect(n >= 2 && n <= 4 && Number.isInteger(n)).toBe(true);
    }
  });

  it('is the only source of randomness (no Math.random in the generator)', () => {
    for (const file of readdirSync(__dirname).filter(
      (f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'),
    )) {
      expect(readFileSync(join(__dirname, file), 'utf8')).not.toMatch(/Math\.random/);
    }
  });
});

describe('SyntheticGenerator', () => {
  let data: SyntheticDataset;
  const options = { tutors: 60, days: 60, seed: 42, endDate: END };

  beforeAll(() => {
    data = generateSyntheticDataset(options);
  });

  describe('determinism', () => {
    it('gives identical rows for the same seed and end date', () => {
      const small = { tutors: 12, days: 20, seed: 7, endDate: END };
      expect(generateSyntheticDataset(small)).toEqual(generateSyntheticDataset(small));
      // The end date is truncated to its UTC midnight.
      expect(
        generateSyntheticDataset({ ...small, endDate: new Date('2025-06-01T17:30:00Z') }),
      ).toEqual(generateSyntheticDataset(small));
    });

    it('gives different rows for a different seed', () => {
      const a = generateSyntheticDataset({ tutors: 12, days: 20, seed: 7, endDate: END });
      const b = generateSyntheticDataset({ tutors: 12, days: 20, seed: 8, endDate: END });
      expect(a.tutors).not.toEqual(b.tutors);
      expect(a.sessions).not.toEqual(b.sessions);
    });

    it('refuses invalid options with a clear message', () => {
      expect(() => new SyntheticGenerator({ ...options, tutors: 0 })).toThrow(/tutors must be/);
      expect(() => new SyntheticGenerator({ ...options, days: 1.5 })).toThrow(/days must be/);
      expect(() => new SyntheticGenerator({ ...options, seed: -1 })).toThrow(/seed must be/);
      expect(() => new SyntheticGenerator({ ...options, endDate: new Date('x') })).toThrow(
        /endDate/,
      );
    });
  });

  describe('tutors', () => {
    it('honours the tutor count, with unique ids and example.invalid emails', () => {
      for (const n of [1, 7, 250]) {
        const tutors = new SyntheticGenerator({ ...options, tutors: n }).tutors;
        expect(tutors).toHaveLength(n);
        expect(new Set(tutors.map((t) => t.externalId)).size).toBe(n);
        expect(new Set(tutors.map((t) => t.email)).size).toBe(n);
        for (const t of tutors) expect(t.email).toMatch(/^[a-z]+\.[a-z]+\.\d+@example\.invalid$/);
      }
    });

    it('follows the archetype shares for 250 tutors', () => {
      const plans = new SyntheticGenerator({ ...options, tutors: 250 }).plans;
      const counts = Object.fromEntries(BEHAVIORAL_ARCHETYPES.map((a) => [a, 0]));
      for (const p of plans) counts[p.archetype]++;
      for (const a of BEHAVIORAL_ARCHETYPES) {
        expect(
          Math.abs(counts[a] - 250 * SYNTHETIC_PARAMETERS.archetypes[a].share),
        ).toBeLessThanOrEqual(1);
      }
    });

    it('sets onboarding, subjects and baseline from the archetype', () => {
      const families = Object.values({
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
      });
      for (const p of data.plans) {
        const a = SYNTHETIC_PARAMETERS.archetypes[p.archetype];
        const tenure = (NOW - ms(p.tutor.onboardingDate)) / DAY_MS;
        expect(tenure).toBeGreaterThanOrEqual(a.tenureDays[0]);
        expect(tenure).toBeLessThanOrEqual(a.tenureDays[1]);
        expect(p.tutor.behavioralArchetype).toBe(p.archetype);
        expect(p.tutor.status).toBe('active');
        expect(p.tutor.subjects.length).toBeGreaterThanOrEqual(1);
        expect(p.tutor.subjects.length).toBeLessThanOrEqual(3);
        expect(families.some((f) => p.tutor.subjects.every((s) => f.includes(s)))).toBe(true);
        expect(p.tutor.baselineSessionsPerWeek).toBeGreaterThanOrEqual(
          a.baselineSessionsPerWeek[0],
        );
        expect(p.tutor.baselineSessionsPerWeek).toBeLessThanOrEqual(a.baselineSessionsPerWeek[1]);
      }
    });
  });

  describe('students', () => {
    it('are 8–18 at the end date; under-13s have a parent email and no email', () => {
      const age = (s: SyntheticStudent) => ageOn(s.birthYear, s.birthMonth, END);
      const invalid = /@example\.invalid$/;
      expect(breaking(data.students, (s) => age(s) >= 8 && age(s) <= 18)).toEqual([]);
      const under = data.students.filter((s) => age(s) < COPPA_AGE);
      const over = data.students.filter((s) => age(s) >= COPPA_AGE);
      expect(
        breaking(
          under,
          (s) =>
            s.email === null &&
            invalid.test(s.parentEmail ?? '') &&
            (s.parentConsentStatus === 'granted'
              ? ms(s.parentConsentAt!) < NOW
              : s.parentConsentStatus === 'pending' && s.parentConsentAt === null),
        ),
      ).toEqual([]);
      expect(
        breaking(
          over,
          (s) =>
            s.parentConsentStatus === 'not_required' &&
            s.parentEmail === null &&
            (s.email === null || invalid.test(s.email)),
        ),
      ).toEqual([]);
      expect(
        breaking(
          data.students,
          (s) =>
            s.subjectsInterested.length > 0 &&
            s.subjectsInterested.every((x) => SUBJECTS.includes(x)),
        ),
      ).toEqual([]);
      expect(under.length / data.students.length).toBeGreaterThan(0.2);
      expect(under.length / data.students.length).toBeLessThan(0.5);
      expect(over.some((s) => s.email !== null)).toBe(true);
      expect(under.some((s) => s.parentConsentStatus === 'granted')).toBe(true);
      expect(under.some((s) => s.parentConsentStatus === 'pending')).toBe(true);
    });

    it('are reused: about 70% of sessions go to a student the tutor already knows', () => {
      const firsts = data.sessions.filter((s) => s.sessionNumber === 1).length;
      expect(firsts).toBe(data.students.length);
      expect(1 - firsts / data.sessions.length).toBeGreaterThan(0.65);
      expect(1 - firsts / data.sessions.length).toBeLessThan(0.75);
    });
  });

  describe('sessions', () => {
    it('average about 3,000 a day per 250 tutors', () => {
      const perDay = data.sessions.length / (options.days + SYNTHETIC_PARAMETERS.futureDays);
      const target = (3000 * options.tutors) / 250;
      expect(perDay).toBeGreaterThan(target * 0.85);
      expect(perDay).toBeLessThan(target * 1.1);
    });

    it('have no outcomes in the future and never lie more than 30 days ahead', () => {
      const future = data.sessions.filter((s) => ms(s.scheduledStart) >= NOW);
      expect(future.length).toBeGreaterThan(0);
      expect(
        breaking(
          future,
          (s) =>
            s.status === 'scheduled' &&
            s.actualStart === null &&
            s.engagementScore === null &&
            s.learningObjectivesMet === null &&
            s.lateStartMinutes === 0 &&
            !s.technicalIssues,
        ),
      ).toEqual([]);
      const horizon = Math.min(SYNTHETIC_PARAMETERS.futureDays, MAX_SCHEDULE_AHEAD_DAYS);
      expect(
        breaking(
          data.sessions,
          (s) =>
            ms(s.scheduledStart) < NOW + horizon * DAY_MS &&
            ms(s.scheduledStart) >= NOW - options.days * DAY_MS &&
            ms(s.scheduledStart) >= NOW === (s.status === 'scheduled'),
        ),
      ).toEqual([]);
    });

    it('carry outcomes consistent with their status', () => {
      const durations: readonly number[] = SESSION_DURATIONS_MINUTES;
      expect(
        breaking(data.sessions, (s) => {
          const start = new Date(s.scheduledStart);
          return (
            durations.includes(s.durationMinutes) &&
            s.sessionType === '1-on-1' &&
            start.getUTCMinutes() % 15 === 0 &&
            start.getUTCHours() >= 6 &&
            start.getUTCHours() <= 21
          );
        }),
      ).toEqual([]);
      const completed = data.sessions.filter((s) => s.status === 'completed');
      expect(
        breaking(
          completed,
          (s) =>
            ms(s.actualStart!) === ms(s.scheduledStart) + s.lateStartMinutes * 60_000 &&
            ms(s.actualStart!) <= NOW &&
            s.engagementScore! >= 0 &&
            s.engagementScore! <= 1 &&
            typeof s.learningObjectivesMet === 'boolean' &&
            s.lateStartMinutes <= s.durationMinutes,
        ),
      ).toEqual([]);
      const noShows = data.sessions.filter((s) => s.status === 'no_show');
      expect(
        breaking(
          noShows,
          (s) =>
            s.actualStart === null &&
            s.engagementScore === null &&
            s.learningObjectivesMet === null &&
            s.lateStartMinutes === 0 &&
            !s.technicalIssues,
        ),
      ).toEqual([]);
      const share = noShows.length / (noShows.length + completed.length);
      expect(share).toBeGreaterThan(0.02);
      expect(share).toBeLessThan(0.1);
    });

    it('are numbered 1..n per pair, by scheduled start and external id', () => {
      const pairs = new Map<string, SyntheticSession[]>();
      for (const s of data.sessions) {
        const key = `${s.tutorExternalId}|${s.studentExternalId}`;
        const list = pairs.get(key);
        if (list) list.push(s);
        else pairs.set(key, [s]);
      }
      const wrong: string[] = [];
      for (const sessions of pairs.values()) {
        const ordered = [...sessions].sort(
          (a, b) =>
            ms(a.scheduledStart) - ms(b.scheduledStart) || (a.externalId < b.externalId ? -1 : 1),
        );
        ordered.forEach((s, i) => {
          if (s.sessionNumber !== i + 1) wrong.push(s.externalId);
        });
      }
      expect(wrong).toEqual([]);
      expect(new Set(data.sessions.map((s) => s.externalId)).size).toBe(data.sessions.length);
    });

    it('are rescheduled by the tutor with a reschedule_request event each', () => {
      const requests = new Set(
        data.events
          .filter((e) => e.eventType === 'reschedule_request')
          .map((e) => e.metadata.sessionExternalId),
      );
      const rescheduled = data.sessions.filter((s) => s.tutorInitiatedReschedule);
      expect(rescheduled.length).toBeGreaterThan(0);
      expect(requests.size).toBe(rescheduled.length);
      for (const s of rescheduled) expect(requests.has(s.externalId)).toBe(true);
    });
  });

  describe('churners', () => {
    it('decline in engagement, then stop: no sessions after the stop day', () => {
      const churners = data.plans.filter((p) => p.archetype === 'churner');
      expect(churners.length).toBeGreaterThanOrEqual(3);
      for (const p of churners) {
        const stop = ms(p.stopDate!);
        expect(stop).toBeLessThanOrEqual(NOW - 5 * DAY_MS);
        expect(stop).toBeGreaterThanOrEqual(NOW - 30 * DAY_MS);
        const mine = data.sessions.filter((s) => s.tutorExternalId === p.tutor.externalId);
        expect(mine.every((s) => ms(s.scheduledStart) < stop)).toBe(true);
        const events = data.events.filter((e) => e.tutorExternalId === p.tutor.externalId);
        expect(events.filter((e) => ms(e.occurredAt) >= stop).map((e) => e.eventType)).toEqual(
          p.resigns ? ['resignation'] : [],
        );
        const mean = (xs: SyntheticSession[]) =>
          xs.reduce((sum, s) => sum + s.engagementScore!, 0) / xs.length;
        const completed = mine.filter((s) => s.status === 'completed');
        const early = completed.filter((s) => ms(s.scheduledStart) < stop - 21 * DAY_MS);
        const lastWeek = completed.filter((s) => ms(s.scheduledStart) >= stop - 7 * DAY_MS);
        expect(mean(lastWeek)).toBeLessThan(mean(early) * 0.8);
        // Volume drops too: fewer sessions in the last week than in an early week.
        const earlyWeek = mine.filter(
          (s) =>
            ms(s.scheduledStart) >= stop - 28 * DAY_MS && ms(s.scheduledStart) < stop - 21 * DAY_MS,
        );
        expect(mine.filter((s) => ms(s.scheduledStart) >= stop - 7 * DAY_MS).length).toBeLessThan(
          earlyWeek.length,
        );
      }
    });

    it('resign for about half of them, and nobody else resigns', () => {
      const plans = new SyntheticGenerator({ ...options, tutors: 400 }).plans;
      const churners = plans.filter((p) => p.archetype === 'churner');
      const share = churners.filter((p) => p.resigns).length / churners.length;
      expect(share).toBeGreaterThan(0.25);
      expect(share).toBeLessThan(0.75);
      const resigned = new Set(
        data.events.filter((e) => e.eventType === 'resignation').map((e) => e.tutorExternalId),
      );
      for (const id of resigned) {
        expect(data.plans.find((p) => p.tutor.externalId === id)?.archetype).toBe('churner');
      }
    });
  });

  describe('feedback', () => {
    it('covers about 85% of completed sessions, only completed ones, never in the future', () => {
      const sessions = new Map(data.sessions.map((s) => [s.externalId, s]));
      expect(
        breaking(data.feedback, (f) => {
          const s = sessions.get(f.sessionExternalId)!;
          const delay = ms(f.submittedAt) - ms(s.actualStart!);
          return (
            s.status === 'completed' &&
            f.tutorExternalId === s.tutorExternalId &&
            f.studentExternalId === s.studentExternalId &&
            delay >= 2 * 3_600_000 &&
            delay <= 24 * 3_600_000 &&
            ms(f.submittedAt) <= NOW
          );
        }),
      ).toEqual([]);
      expect(new Set(data.feedback.map((f) => f.sessionExternalId)).size).toBe(
        data.feedback.length,
      );
      // Sessions of the last day may still await their feedback.
      const settled = data.sessions.filter(
        (s) => s.status === 'completed' && ms(s.actualStart!) < NOW - DAY_MS,
      );
      const withFeedback = new Set(data.feedback.map((f) => f.sessionExternalId));
      const share = settled.filter((s) => withFeedback.has(s.externalId)).length / settled.length;
      expect(share).toBeGreaterThan(0.82);
      expect(share).toBeLessThan(0.88);
    });

    it('uses ratings 1–5 and only the project vocabulary of improvement areas', () => {
      const vocabulary: readonly string[] = IMPROVEMENT_AREAS;
      const rating = (r: number) => Number.isInteger(r) && r >= 1 && r <= 5;
      expect(
        breaking(
          data.feedback,
          (f) =>
            [
              f.overallRating,
              f.subjectKnowledgeRating,
              f.communicationRating,
              f.patienceRating,
              f.engagementRating,
              f.helpfulnessRating,
            ].every(rating) &&
            f.improvementAreas.every((a) => vocabulary.includes(a)) &&
            new Set(f.improvementAreas).size === f.improvementAreas.length &&
            (f.overallRating > 3 || f.improvementAreas.length > 0),
        ),
      ).toEqual([]);
      const used = new Set(data.feedback.flatMap((f) => f.improvementAreas));
      for (const area of ['punctuality', 'preparation', 'clarity', 'patience', 'technical_issues'])
        expect(used).toContain(area);
      const withoutText = data.feedback.filter((f) => f.freeText === null).length;
      expect(withoutText / data.feedback.length).toBeGreaterThan(0.27);
      expect(withoutText / data.feedback.length).toBeLessThan(0.33);
    });

    it('asks first sessions whether they would recommend and work again', () => {
      const sessions = new Map(data.sessions.map((s) => [s.externalId, s]));
      const answer = (r: number) =>
        r >= 5 ? 'yes' : r === 4 ? 'maybe' : r === 3 ? 'probably_not' : 'no';
      const first = data.feedback.filter(
        (f) => sessions.get(f.sessionExternalId)!.sessionNumber === 1,
      );
      const later = data.feedback.filter(
        (f) => sessions.get(f.sessionExternalId)!.sessionNumber > 1,
      );
      expect(first.length).toBeGreaterThan(0);
      expect(
        breaking(
          first,
          (f) =>
            f.wouldRecommend === f.overallRating >= 4 &&
            f.workAgain === answer(f.overallRating) &&
            (f.wouldRecommend || f.improvementAreas.length > 0),
        ),
      ).toEqual([]);
      expect(breaking(later, (f) => f.wouldRecommend === null && f.workAgain === null)).toEqual([]);
    });

    it('rates better tutors higher', () => {
      const archetypeOf = new Map(data.plans.map((p) => [p.tutor.externalId, p.archetype]));
      const mean = (a: string) => {
        const rs = data.feedback.filter((f) => archetypeOf.get(f.tutorExternalId) === a);
        return rs.reduce((s, f) => s + f.overallRating, 0) / rs.length;
      };
      expect(mean('high_performer')).toBeGreaterThan(mean('steady'));
      expect(mean('steady')).toBeGreaterThan(mean('at_risk'));
      expect(mean('at_risk')).toBeGreaterThan(mean('churner'));
    });
  });

  describe('tutor events', () => {
    it('are generated for every tutor, in the past, after onboarding', () => {
      const onboarding = new Map(data.tutors.map((t) => [t.externalId, ms(t.onboardingDate)]));
      const types: readonly string[] = TUTOR_EVENT_TYPES;
      expect(
        breaking(
          data.events,
          (e) =>
            types.includes(e.eventType) &&
            ms(e.occurredAt) <= NOW &&
            ms(e.occurredAt) >= onboarding.get(e.tutorExternalId)! &&
            (e.eventType === 'message_response'
              ? e.responseMinutes! > 0
              : e.responseMinutes === null) &&
            JSON.stringify(e.metadata).length < 4096,
        ),
      ).toEqual([]);
      const seen = new Set(data.events.map((e) => e.eventType));
      for (const t of [
        'login',
        'message_response',
        'reschedule_request',
        'availability_change',
        'training_completed',
      ])
        expect(seen).toContain(t);
      const withLogins = new Set(
        data.events.filter((e) => e.eventType === 'login').map((e) => e.tutorExternalId),
      );
      expect(withLogins.size).toBe(data.tutors.length);
      expect(new Set(data.events.map((e) => e.externalId)).size).toBe(data.events.length);
    });

    it('show slower responses and fewer logins for at-risk tutors than for high performers', () => {
      const archetypeOf = new Map(data.plans.map((p) => [p.tutor.externalId, p.archetype]));
      const median = (a: string) => {
        const xs = data.events
          .filter(
            (e) => e.eventType === 'message_response' && archetypeOf.get(e.tutorExternalId) === a,
          )
          .map((e) => e.responseMinutes!)
          .sort((x, y) => x - y);
        return xs[Math.floor(xs.length / 2)];
      };
      expect(median('at_risk')).toBeGreaterThan(median('high_performer') * 3);
      const loginsPerTutor = (a: string) =>
        data.events.filter(
          (e) => e.eventType === 'login' && archetypeOf.get(e.tutorExternalId) === a,
        ).length / data.plans.filter((p) => p.archetype === a).length;
      expect(loginsPerTutor('at_risk')).toBeLessThan(loginsPerTutor('high_performer') * 0.8);
    });
  });
});
