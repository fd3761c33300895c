import { filterClauses, utcInstant } from './audit-query.service';

describe('audit filters', () => {
  it('reads times without a zone as UTC', () => {
    expect(utcInstant('2025-01-02')).toBe('2025-01-02T00:00:00Z');
    expect(utcInstant('2025-01-02T10:30')).toBe('2025-01-02T10:30Z');
    expect(utcInstant('2025-01-02T10:30:00+02:00')).toBe('2025-01-02T10:30:00+02:00');
    expect(utcInstant('2025-01-02T10:30:00.5Z')).toBe('2025-01-02T10:30:00.5Z');
    expect(() => utcInstant('2025-W01')).toThrow(/not a date-time/);
  });

  it('builds numbered conditions; an area filter matches its prefix only', () => {
    const params: unknown[] = ['already'];
    expect(
      filterClauses({ actorType: 'user', action: 'auth_x.*', from: '2025-01-01' }, params),
    ).toEqual(['actor_type = $2', 'action LIKE $3', 'occurred_at >= $4::timestamptz']);
    expect(params).toEqual(['already', 'user', 'auth\\_x.%', '2025-01-01T00:00:00Z']);
  });

  it('refuses a from that is not before to', () => {
    expect(() => filterClauses({ from: '2025-01-02', to: '2025-01-01T23:00Z' }, [])).toThrow(
      'from must be earlier than to',
    );
  });
});
