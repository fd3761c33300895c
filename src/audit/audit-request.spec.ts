import { outcomeOfStatus } from './audit-actions';
import { bodyShapeOf, queryShapeOf, resourceTypeOfPath } from './audit-request';

describe('audit request description', () => {
  it('derives the resource type from the route path', () => {
    expect(resourceTypeOfPath('/api/v1/tutors/:id')).toBe('tutor');
    expect(resourceTypeOfPath('/api/v1/tutor-events')).toBe('tutor_event');
    expect(resourceTypeOfPath('/api/v1/feedback')).toBe('feedback');
    expect(resourceTypeOfPath('/api/v1/policies')).toBe('policy');
    expect(resourceTypeOfPath('/admin/users/:id/roles')).toBe('user');
    expect(resourceTypeOfPath('/api/v1/auth/login')).toBe('auth');
    expect(resourceTypeOfPath('/')).toBeNull();
    expect(resourceTypeOfPath('/%3Cscript%3E')).toBeNull();
  });

  it('records body field names, never values, and batches as a count', () => {
    expect(bodyShapeOf({ name: 'Alex', email: 'alex@example.invalid', roles: ['admin'] })).toEqual({
      changedFields: ['email', 'name', 'roles'],
      details: {},
    });
    expect(bodyShapeOf({ items: [{ name: 'A' }, { name: 'B' }] })).toEqual({
      changedFields: [],
      details: { itemCount: 2 },
    });
    expect(bodyShapeOf({ items: [{}], note: 'x' })).toEqual({
      changedFields: ['note'],
      details: { itemCount: 1 },
    });
    expect(bodyShapeOf({ 'alex@example.invalid': true, ok: 1 })).toEqual({
      changedFields: ['ok'],
      details: { unlistedFieldCount: 1 },
    });
    expect(bodyShapeOf(undefined)).toEqual({ changedFields: [], details: {} });
    expect(bodyShapeOf([1, 2])).toEqual({ changedFields: [], details: {} });
  });

  it('records query names, and the values of record-id filters only', () => {
    const id = '1b4e28ba-2fa1-41d2-883f-0016d3cca427';
    expect(queryShapeOf({ studentId: id, from: '2025-01-01', externalId: 's-1' })).toEqual({
      query: ['externalId', 'from', 'studentId'],
      ids: { studentId: id },
    });
    expect(queryShapeOf({ studentId: 'not-a-uuid' })).toEqual({ query: ['studentId'] });
    expect(queryShapeOf({})).toEqual({});
  });

  it('maps status codes to outcomes', () => {
    expect(outcomeOfStatus(200)).toBe('success');
    expect(outcomeOfStatus(302)).toBe('success');
    expect(outcomeOfStatus(401)).toBe('denied');
    expect(outcomeOfStatus(403)).toBe('denied');
    expect(outcomeOfStatus(400)).toBe('failure');
    expect(outcomeOfStatus(500)).toBe('failure');
  });
});
