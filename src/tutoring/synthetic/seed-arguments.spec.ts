import { formatSummary, parseSeedArguments, UsageError } from '../../cli/seed';

const TODAY = new Date('2025-06-01T15:30:00Z');

describe('npm run seed arguments', () => {
  it('defaults to 250 tutors, 90 days, seed 42, ending today (UTC midnight), with a progress bar', () => {
    expect(parseSeedArguments([], TODAY)).toEqual({
      tutors: 250,
      days: 90,
      seed: 42,
      endDate: new Date('2025-06-01T00:00:00Z'),
      progress: true,
      help: false,
    });
  });

  it('reads every flag, as "--flag value" or "--flag=value"', () => {
    expect(
      parseSeedArguments(
        ['--tutors', '20', '--days=14', '--seed', '0', '--end', '2025-05-01', '--no-progress'],
        TODAY,
      ),
    ).toEqual({
      tutors: 20,
      days: 14,
      seed: 0,
      endDate: new Date('2025-05-01T00:00:00Z'),
      progress: false,
      help: false,
    });
    expect(parseSeedArguments(['-h'], TODAY).help).toBe(true);
  });

  it.each([
    [['--tutors', '0'], /--tutors must be a whole number from 1 to 5000 \(got "0"\)/],
    [['--tutors', '2.5'], /--tutors must be a whole number/],
    [['--tutors', 'ten'], /--tutors must be a whole number/],
    [['--days', '731'], /--days must be a whole number from 1 to 730/],
    [['--seed', '-1'], /--seed must be a whole number/],
    [['--seed', '4294967296'], /--seed must be a whole number from 0 to 4294967295/],
    [['--end', '2025-02-30'], /--end must be a calendar date as YYYY-MM-DD/],
    [['--end', '1 June'], /--end must be a calendar date/],
    [['--end', '2025-06-02'], /--end must not be after today \(2025-06-01\)/],
    [['--days'], /--days needs a value/],
    [['--days', '--seed', '1'], /--days needs a value/],
    [['--tutor', '5'], /unknown argument "--tutor"/],
  ])('refuses %j with a clear message', (argv, message) => {
    expect(() => parseSeedArguments(argv, TODAY)).toThrow(UsageError);
    expect(() => parseSeedArguments(argv, TODAY)).toThrow(message);
  });

  it('prints counts per table and notes rows that were already present', () => {
    const counts = { tutors: 2, students: 3, sessions: 10, feedback: 6, tutorEvents: 9 };
    const text = formatSummary({
      options: { tutors: 2, days: 3, seed: 1, endDate: new Date('2025-06-01T00:00:00Z') },
      generated: counts,
      inserted: { ...counts, sessions: 4 },
      renumbered: 0,
      seconds: 1.25,
    });
    expect(text).toMatch(/seeded 2 tutors x 3 days \(seed 1, ending 2025-06-01\) in 1\.3 s/);
    expect(text).toMatch(/tutors\s+2\n/);
    expect(text).toMatch(/sessions\s+4 {2}\(6 already present, kept\)/);
    expect(text).toMatch(/tutor_events\s+9$/);
  });
});
