/** Small builders for valid ingestion items; override any field. */
let counter = 0;
const next = () => (++counter).toString().padStart(5, '0');

export const iso = (date: Date) => date.toISOString();
export const daysFromNow = (days: number, hour = 17) => {
  const d = new Date();
  d.setUTCDate(d.getUTCDate() + days);
  d.setUTCHours(hour, 0, 0, 0);
  return d;
};

export function tutorItem(overrides: Record<string, unknown> = {}) {
  const n = next();
  return {
    externalId: `t-${n}`,
    name: `Tutor ${n}`,
    email: `tutor.${n}@example.invalid`,
    onboardingDate: '2025-01-15',
    subjects: ['Algebra', 'Geometry'],
    baselineSessionsPerWeek: 12,
    ...overrides,
  };
}

export function studentItem(overrides: Record<string, unknown> = {}) {
  const n = next();
  return {
    externalId: `s-${n}`,
    name: `Student ${n}`,
    birthYear: new Date().getUTCFullYear() - 15,
    birthMonth: 6,
    gradeLevel: '10',
    ...overrides,
  };
}

export function completedSession(
  tutorExternalId: string,
  studentExternalId: string,
  overrides: Record<string, unknown> = {},
) {
  const n = next();
  const start = daysFromNow(-3);
  return {
    externalId: `x-${n}`,
    tutorExternalId,
    studentExternalId,
    scheduledStart: iso(start),
    actualStart: iso(new Date(start.getTime() + 2 * 60_000)),
    durationMinutes: 60,
    subject: 'Algebra',
    lateStartMinutes: 2,
    engagementScore: 0.8,
    learningObjectivesMet: true,
    ...overrides,
  };
}

export function feedbackItem(sessionExternalId: string, overrides: Record<string, unknown> = {}) {
  const n = next();
  return {
    externalId: `f-${n}`,
    sessionExternalId,
    overallRating: 4,
    communicationRating: 5,
    improvementAreas: ['punctuality'],
    freeText: 'Clear explanations.',
    submittedAt: iso(daysFromNow(-2)),
    ...overrides,
  };
}
