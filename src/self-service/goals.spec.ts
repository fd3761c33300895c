import { DetailedHttpError } from '../common/error-body';
import { checkGoal, goalProgress, GoalState } from './goals';

const today = new Date('2026-06-10T12:00:00Z');
const goal = (over: Partial<GoalState>): GoalState => ({
  type: 'rating_improvement',
  target: 4.8,
  baseline: 4.2,
  dueOn: '2026-07-10',
  completedAt: null,
  current: 4.2,
  ...over,
});

describe('goals', () => {
  it('measures progress from the baseline to the target', () => {
    expect(goalProgress(goal({ current: 4.5 }), today)).toEqual({
      status: 'in_progress',
      progress: expect.closeTo(0.5, 5),
    });
    expect(goalProgress(goal({ current: 4.8 }), today)).toEqual({
      status: 'achieved',
      progress: 1,
    });
    expect(goalProgress(goal({ current: 4.0 }), today).progress).toBe(0);
    expect(goalProgress(goal({ current: null }), today).status).toBe('not_started');
    expect(goalProgress(goal({ current: 4.5, dueOn: '2026-06-09' }), today).status).toBe('expired');
  });

  it('counts session volume from zero, and custom goals by the tutor’s word', () => {
    const volume = goal({ type: 'session_volume', target: 20, baseline: null, current: 5 });
    expect(goalProgress(volume, today).progress).toBe(0.25);
    expect(goalProgress({ ...volume, current: 0 }, today).status).toBe('not_started');
    const custom = goal({ type: 'custom', target: null, current: null });
    expect(goalProgress(custom, today)).toEqual({ status: 'in_progress', progress: 0 });
    expect(goalProgress({ ...custom, completedAt: today }, today).status).toBe('achieved');
  });

  it('refuses targets off the type’s scale and due dates out of range, naming the field', () => {
    const refusal = (draft: Parameters<typeof checkGoal>[0]) => {
      try {
        checkGoal(draft, today);
      } catch (e) {
        return (e as DetailedHttpError).message;
      }
      return null;
    };
    const base = {
      type: 'first_session_success' as const,
      target: 0.9,
      title: null,
      dueOn: '2026-07-01',
    };
    expect(refusal(base)).toBeNull();
    expect(refusal({ ...base, target: 90 })).toMatch(
      /^target for first_session_success must be a fraction/,
    );
    expect(refusal({ ...base, dueOn: '2026-06-10' })).toBe('dueOn must be after today');
    expect(refusal({ ...base, dueOn: '2027-07-01' })).toBe('dueOn must be within 366 days');
    expect(refusal({ ...base, type: 'custom', target: null })).toBe(
      'title is required for a custom goal',
    );
  });
});
