import { eventIdFor } from './event-id';

describe('eventIdFor', () => {
  it('derives the same UUID from the same key, and different ones from different keys', () => {
    const id = eventIdFor('tutor.metrics-updated:t1:1700000000');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(eventIdFor('tutor.metrics-updated:t1:1700000000')).toBe(id);
    expect(eventIdFor('tutor.metrics-updated:t1:1700000001')).not.toBe(id);
  });
});
