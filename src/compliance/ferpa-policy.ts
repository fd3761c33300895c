import type { Role } from '../auth/entities/user.entity';

/**
 * FERPA access policy for students' education records (the student record,
 * their sessions, their feedback, metrics tied to a student). Pure: the caller
 * passes the facts it owns (who is asking, whether that tutor taught the
 * student), so this file depends on no other module.
 *
 *   the student themself                          → student_self
 *   a parent of a minor, with verified consent    → parent_consent
 *   admin, operations_manager, people_ops         → school_official (legitimate educational interest)
 *   a machine client (API key of a system of record acting for the school) → school_official
 *   a tutor, only for students they have taught   → tutor_of_student (feedback anonymised)
 *   anyone else                                   → refused
 */
export const SCHOOL_OFFICIAL_ROLES: readonly Role[] = ['admin', 'operations_manager', 'people_ops'];

export const ACCESS_BASES = [
  'student_self',
  'parent_consent',
  'school_official',
  'tutor_of_student',
] as const;
export type AccessBasis = (typeof ACCESS_BASES)[number];

/** What part of the education record was disclosed. */
export const RECORD_KINDS = [
  'student_record',
  'sessions',
  'feedback',
  'metrics',
  'export',
  'search',
] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

export type Viewer =
  | {
      kind: 'user';
      userId: string;
      roles: readonly Role[];
      /** The student the signed-in user is (users.student_id). */
      studentId: string | null;
      /** The tutor the signed-in user is (users.tutor_id). */
      tutorId: string | null;
    }
  | { kind: 'api-key'; keyId: string }
  | { kind: 'parent'; studentId: string; consentVerified: boolean };

export interface StudentFacts {
  studentId: string;
  /** Whether the viewer, if a tutor, has had a session with this student. */
  taughtByViewer?: boolean;
}

export type AccessDecision =
  | {
      allowed: true;
      basis: AccessBasis;
      /** Tutors see feedback without the student's name or id. */
      anonymiseFeedback: boolean;
      /** Whether this disclosure is logged (everything except the student reading their own record). */
      logged: boolean;
    }
  | { allowed: false; reason: string };

export const isSchoolOfficial = (viewer: Viewer): boolean =>
  viewer.kind === 'api-key' ||
  (viewer.kind === 'user' && viewer.roles.some((r) => SCHOOL_OFFICIAL_ROLES.includes(r)));

export function decideAccess(viewer: Viewer, student: StudentFacts): AccessDecision {
  if (viewer.kind === 'parent') {
    return viewer.studentId === student.studentId && viewer.consentVerified
      ? { allowed: true, basis: 'parent_consent', anonymiseFeedback: false, logged: true }
      : {
          allowed: false,
          reason: 'A parent sees a child’s records only with verified consent for that child',
        };
  }
  if (viewer.kind === 'user' && viewer.studentId === student.studentId) {
    return { allowed: true, basis: 'student_self', anonymiseFeedback: false, logged: false };
  }
  if (isSchoolOfficial(viewer)) {
    return { allowed: true, basis: 'school_official', anonymiseFeedback: false, logged: true };
  }
  if (viewer.kind === 'user' && viewer.roles.includes('tutor') && viewer.tutorId) {
    return student.taughtByViewer
      ? { allowed: true, basis: 'tutor_of_student', anonymiseFeedback: true, logged: true }
      : { allowed: false, reason: 'A tutor sees only the records of students they have taught' };
  }
  return { allowed: false, reason: 'You have no basis to see this student’s education records' };
}

/** Which students a viewer may list without naming one: all, only some, or none. */
export function listScope(
  viewer: Viewer,
): { all: true } | { all: false; studentId?: string; tutorId?: string } {
  if (isSchoolOfficial(viewer)) return { all: true };
  if (viewer.kind === 'parent') return { all: false, studentId: viewer.studentId };
  if (viewer.kind === 'user') {
    if (viewer.roles.includes('tutor') && viewer.tutorId)
      return { all: false, tutorId: viewer.tutorId, studentId: viewer.studentId ?? undefined };
    if (viewer.studentId) return { all: false, studentId: viewer.studentId };
  }
  return { all: false };
}
