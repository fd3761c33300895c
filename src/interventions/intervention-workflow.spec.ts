import { STATUSES } from './intervention.constants';
import { transitionProblem, TRANSITIONS } from './intervention-workflow';

const LEGAL: [string, string][] = [
  ['assigned', 'in_progress'],
  ['assigned', 'cancelled'],
  ['open', 'cancelled'],
  ['in_progress', 'waiting'],
  ['in_progress', 'completed'],
  ['in_progress', 'cancelled'],
  ['waiting', 'in_progress'],
  ['waiting', 'completed'],
  ['waiting', 'cancelled'],
];
const fields = { outcome: 'improved', reason: 'tutor left' };

describe('intervention workflow', () => {
  it.each(LEGAL)('allows %s → %s', (from, to) => {
    expect(transitionProblem(from as never, to as never, fields)).toBeNull();
  });

  it('refuses every other move as illegal (36 pairs, 9 legal)', () => {
    let illegal = 0;
    for (const from of STATUSES)
      for (const to of STATUSES) {
        if (LEGAL.some(([f, t]) => f === from && t === to)) continue;
        expect(transitionProblem(from, to, fields)).toMatchObject({ kind: 'illegal' });
        illegal++;
      }
    expect(illegal).toBe(27);
  });

  it('open → assigned only through an assignment', () => {
    expect(TRANSITIONS.open).toContain('assigned');
    expect(transitionProblem('open', 'assigned', fields)?.message).toMatch(/assign it instead/);
  });

  it('final states are final', () => {
    expect(transitionProblem('completed', 'in_progress', fields)?.message).toBe(
      'an intervention that is completed is final and cannot move to in_progress',
    );
    expect(transitionProblem('cancelled', 'open', fields)?.kind).toBe('illegal');
  });

  it('completion needs an outcome and cancellation a reason', () => {
    expect(transitionProblem('in_progress', 'completed', {})).toEqual({
      kind: 'missing',
      message: 'completing an intervention needs an outcome',
    });
    expect(transitionProblem('open', 'cancelled', { reason: '  ' })).toEqual({
      kind: 'missing',
      message: 'cancelling an intervention needs a reason',
    });
  });
});
