import {
  addWorkingMs,
  BusinessCalendar,
  calendarProblems,
  localParts,
  workingMsBetween,
  zonedTimeToInstant,
} from './business-calendar';

const H = 3_600_000;
const at = (iso: string) => Date.parse(iso);
const cal = (timeZone: string, holidays: string[] = []): BusinessCalendar => ({
  timeZone,
  workingDays: [1, 2, 3, 4, 5],
  dayStart: '09:00',
  dayEnd: '17:00',
  holidays,
});

describe('business calendar', () => {
  it('converts wall-clock times on both sides of a DST change', () => {
    // London: GMT until 2025-03-30 01:00 UTC, BST after.
    expect(zonedTimeToInstant({ year: 2025, month: 3, day: 28 }, 9 * 60, 'Europe/London')).toBe(
      at('2025-03-28T09:00:00Z'),
    );
    expect(zonedTimeToInstant({ year: 2025, month: 3, day: 31 }, 9 * 60, 'Europe/London')).toBe(
      at('2025-03-31T08:00:00Z'),
    );
    // New York: EDT until 2025-11-02 06:00 UTC, EST after.
    expect(zonedTimeToInstant({ year: 2025, month: 10, day: 31 }, 9 * 60, 'America/New_York')).toBe(
      at('2025-10-31T13:00:00Z'),
    );
    expect(zonedTimeToInstant({ year: 2025, month: 11, day: 3 }, 9 * 60, 'America/New_York')).toBe(
      at('2025-11-03T14:00:00Z'),
    );
    // A time skipped by spring-forward lands after the gap.
    const skipped = zonedTimeToInstant({ year: 2025, month: 3, day: 30 }, 90, 'Europe/London');
    expect(localParts(skipped, 'Europe/London').hour).toBe(2);
  });

  it('skips the weekend across the spring DST change (Europe/London)', () => {
    const friday4pm = at('2025-03-28T16:00:00Z'); // 16:00 GMT
    expect(addWorkingMs(friday4pm, 2 * H, cal('Europe/London'))).toBe(at('2025-03-31T09:00:00Z')); // 10:00 BST
    expect(workingMsBetween(friday4pm, at('2025-03-31T09:00:00Z'), cal('Europe/London'))).toBe(
      2 * H,
    );
  });

  it('skips the weekend across the autumn DST change (America/New_York)', () => {
    const friday4pm = at('2025-10-31T20:00:00Z'); // 16:00 EDT
    expect(addWorkingMs(friday4pm, 2 * H, cal('America/New_York'))).toBe(
      at('2025-11-03T15:00:00Z'), // 10:00 EST
    );
    // A full working week across the change is still 40 hours.
    expect(
      workingMsBetween(
        at('2025-10-27T00:00:00Z'),
        at('2025-11-08T00:00:00Z'),
        cal('America/New_York'),
      ),
    ).toBe(80 * H);
  });

  it('skips holidays', () => {
    const c = cal('UTC', ['2025-12-25']);
    expect(addWorkingMs(at('2025-12-24T16:00:00Z'), 2 * H, c)).toBe(at('2025-12-26T10:00:00Z'));
    expect(workingMsBetween(at('2025-12-24T00:00:00Z'), at('2025-12-27T00:00:00Z'), c)).toBe(
      16 * H,
    );
  });

  it('starts counting at the next opening when created outside working hours', () => {
    const c = cal('UTC');
    expect(addWorkingMs(at('2025-06-07T12:00:00Z'), 1 * H, c)).toBe(at('2025-06-09T10:00:00Z')); // Saturday
    expect(addWorkingMs(at('2025-06-09T06:00:00Z'), 8 * H, c)).toBe(at('2025-06-09T17:00:00Z'));
    expect(addWorkingMs(at('2025-06-09T06:00:00Z'), 8 * H + 1, c)).toBe(
      at('2025-06-10T09:00:00Z') + 1,
    );
    expect(workingMsBetween(at('2025-06-09T18:00:00Z'), at('2025-06-09T20:00:00Z'), c)).toBe(0);
  });

  it('validates a calendar', () => {
    expect(calendarProblems(cal('Europe/London'))).toEqual([]);
    expect(
      calendarProblems({
        timeZone: 'Mars/Olympus',
        workingDays: [],
        dayStart: '18:00',
        dayEnd: '09:00',
        holidays: ['x'],
      }),
    ).toEqual([
      'timeZone "Mars/Olympus" is not an IANA time zone',
      'workingDays must name at least one day',
      'dayEnd must be after dayStart',
      'holiday "x" is not a YYYY-MM-DD date',
    ]);
  });
});
