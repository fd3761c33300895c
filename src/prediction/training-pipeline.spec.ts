import { churnExamples, temporalSplit } from './training-pipeline';

describe('training data', () => {
  it('splits 70/15/15 by as-of date, earliest dates training', () => {
    const dates = Array.from({ length: 20 }, (_, i) => `2026-01-${String(i + 1).padStart(2, '0')}`);
    const split = temporalSplit([...dates, ...dates].reverse());
    expect(split.train).toEqual(dates.slice(0, 14));
    expect(split.validation).toEqual(dates.slice(14, 17));
    expect(split.test).toEqual(dates.slice(17));
  });

  it('labels churn within the window, drops tutors already gone and as-of dates too recent to know', () => {
    const row = (tutor: string, asOf: string) => ({
      tutor_id: tutor,
      as_of: asOf,
      values: new Float64Array(0),
    });
    const dataset = {
      horizon: '2026-03-31',
      asOfDates: [],
      churnDay: new Map<string, string | null>([
        ['gone-soon', '2026-02-20'],
        ['gone-earlier', '2026-01-05'],
        ['stays', null],
      ]),
      features: [
        row('gone-soon', '2026-02-01'),
        row('gone-soon', '2026-02-14'),
        row('gone-earlier', '2026-02-01'),
        row('stays', '2026-02-01'),
        // Within 30 + 14 days of the horizon: the label cannot be known yet.
        row('stays', '2026-03-10'),
      ],
    };
    const examples = churnExamples(dataset, 30);
    expect(examples.map((e) => [e.asOf, e.label])).toEqual([
      ['2026-02-01', 1],
      ['2026-02-14', 1],
      ['2026-02-01', 0],
    ]);
    expect(churnExamples(dataset, 7).map((e) => e.label)).toEqual([0, 1, 0]);
  });
});
