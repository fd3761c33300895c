import {
  auditHash,
  canonicalJson,
  canonicalTime,
  GENESIS_HASH,
  HashedFields,
  storableDetails,
  storableText,
} from './audit-hash';

const fields = (overrides: Partial<HashedFields> = {}): HashedFields => ({
  seq: '1',
  occurredAt: '2025-03-04T05:06:07.123456Z',
  actorType: 'api-key',
  actorId: 'ab12cd34',
  action: 'http.post',
  resourceType: 'tutor',
  resourceId: null,
  requestId: 'req-00000001',
  outcome: 'success',
  changedFields: ['items'],
  details: { itemCount: 2, method: 'POST' },
  ...overrides,
});

describe('audit hash', () => {
  it('serialises objects with sorted keys at every level, as jsonb would give them back', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[1,{"y":2,"z":1}]},"b":1}',
    );
    expect(canonicalJson({ a: undefined, b: 'x' })).toBe('{"b":"x"}');
  });

  it('renders times with microseconds, as PostgreSQL stores them', () => {
    expect(canonicalTime(new Date('2025-03-04T05:06:07.123Z'))).toBe('2025-03-04T05:06:07.123000Z');
  });

  it('is a stable hex sha256 that changes with any hashed field or the previous hash', () => {
    const base = auditHash(GENESIS_HASH, fields());
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(auditHash(GENESIS_HASH, fields({ details: { method: 'POST', itemCount: 2 } }))).toBe(
      base,
    );
    expect(auditHash(GENESIS_HASH, fields({ seq: '2' }))).not.toBe(base);
    expect(auditHash(GENESIS_HASH, fields({ outcome: 'failure' }))).not.toBe(base);
    expect(auditHash(GENESIS_HASH, fields({ changedFields: ['name'] }))).not.toBe(base);
    expect(auditHash(GENESIS_HASH, fields({ details: { itemCount: 3 } }))).not.toBe(base);
    expect(auditHash('f'.repeat(64), fields())).not.toBe(base);
  });

  it('keeps a null apart from the text "null"', () => {
    expect(auditHash(GENESIS_HASH, fields({ resourceId: null }))).not.toBe(
      auditHash(GENESIS_HASH, fields({ resourceId: 'null' })),
    );
  });

  it('normalises text the way PostgreSQL stores it', () => {
    expect(storableText('a\u0000b')).toBe('ab');
    expect(storableText('x\ud800y')).toBe('x\ufffdy');
    expect(storableDetails({ when: new Date('2025-01-01T00:00:00Z'), gone: undefined })).toEqual({
      when: '2025-01-01T00:00:00.000Z',
    });
  });
});
