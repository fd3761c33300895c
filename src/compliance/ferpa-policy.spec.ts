import type { Role } from '../auth/entities/user.entity';
import { decideAccess, listScope, Viewer } from './ferpa-policy';

const user = (roles: Role[], extra = {}): Viewer => ({
  kind: 'user',
  userId: 'u1',
  roles,
  studentId: null,
  tutorId: null,
  ...extra,
});

describe('FERPA access policy', () => {
  const student = { studentId: 's1' };
  it('lets the student see their own record, unlogged', () => {
    expect(decideAccess(user(['student'], { studentId: 's1' }), student)).toMatchObject({
      allowed: true,
      basis: 'student_self',
      logged: false,
    });
    expect(decideAccess(user(['student'], { studentId: 's2' }), student).allowed).toBe(false);
  });
  it('treats admin, operations managers, people ops and API clients as school officials', () => {
    for (const role of ['admin', 'operations_manager', 'people_ops'] as const)
      expect(decideAccess(user([role]), student)).toMatchObject({ basis: 'school_official' });
    expect(decideAccess({ kind: 'api-key', keyId: 'k' }, student)).toMatchObject({
      basis: 'school_official',
    });
  });
  it('lets a tutor see only students they taught, with feedback anonymised', () => {
    const tutor = user(['tutor'], { tutorId: 't1' });
    expect(decideAccess(tutor, { ...student, taughtByViewer: true })).toMatchObject({
      basis: 'tutor_of_student',
      anonymiseFeedback: true,
    });
    expect(decideAccess(tutor, { ...student, taughtByViewer: false }).allowed).toBe(false);
    expect(listScope(tutor)).toEqual({ all: false, tutorId: 't1', studentId: undefined });
  });
  it('lets a parent in only with verified consent for that child', () => {
    expect(
      decideAccess({ kind: 'parent', studentId: 's1', consentVerified: true }, student),
    ).toMatchObject({ basis: 'parent_consent' });
    expect(
      decideAccess({ kind: 'parent', studentId: 's1', consentVerified: false }, student).allowed,
    ).toBe(false);
    expect(
      decideAccess({ kind: 'parent', studentId: 's2', consentVerified: true }, student).allowed,
    ).toBe(false);
  });
  it('refuses everyone else', () => {
    expect(decideAccess(user([]), student).allowed).toBe(false);
    expect(listScope(user([]))).toEqual({ all: false });
  });
});
