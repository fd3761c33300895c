import { BusinessCalendar } from './business-calendar';
import {
  DEFAULT_SLA_POLICY,
  noticeTimes,
  slaClocks,
  slaPolicyProblems,
  StatusChange,
  stateAt,
  targetClock,
  targetsFor,
} from './intervention-sla';

const H = 3_600_000;
const at = (iso: string) => Date.parse(iso);
const utc: BusinessCalendar = {
  timeZone: 'UTC',
  workingDays: [1, 2, 3, 4, 5],
  dayStart: '09:00',
  dayEnd: '17:00',
  holidays: [],
};
// Monday 2025-06-09 09:00 UTC.
const created: StatusChange = { at: at('2025-06-09T09:00:00Z'), to: 'open' };

describe('SLA clocks', () => {
  it('counts only working time and states on_track / at_risk / breached', () => {
    const targets = { firstActionHours: 4, resolutionHours: 16 };
    const c = (now: string) => targetClock('resolution', [created], targets, utc, at(now));
    expect(c('2025-06-09T12:00:00Z')).toMatchObject({
      dueAt: at('2025-06-10T17:00:00Z'),
      atRiskAt: at('2025-06-10T13:00:00Z'), // 12 h of 16
      elapsedMs: 3 * H,
      state: 'on_track',
    });
    expect(c('2025-06-10T13:00:00Z').state).toBe('at_risk');
    expect(c('2025-06-10T17:00:00Z').state).toBe('breached');
    expect(c('2025-06-14T12:00:00Z').elapsedMs).toBe(40 * H);
  });

  it('meets the first-action target when the work starts, late or not', () => {
    const targets = { firstActionHours: 4, resolutionHours: 16 };
    const history: StatusChange[] = [
      created,
      { at: at('2025-06-09T10:00:00Z'), to: 'assigned' },
      { at: at('2025-06-09T12:00:00Z'), to: 'in_progress' },
    ];
    expect(
      targetClock('first_action', history, targets, utc, at('2025-06-12T00:00:00Z')),
    ).toMatchObject({
      metAt: at('2025-06-09T12:00:00Z'),
      state: 'met',
      elapsedMs: 3 * H,
    });
    const late = [created, { at: at('2025-06-09T15:00:00Z'), to: 'in_progress' as const }];
    expect(targetClock('first_action', late, targets, utc, at('2025-06-12T00:00:00Z')).state).toBe(
      'breached',
    );
  });

  it('does not count time waiting on the tutor, and projects the due time while paused', () => {
    const targets = { firstActionHours: 4, resolutionHours: 16 };
    const history: StatusChange[] = [
      created,
      { at: at('2025-06-09T10:00:00Z'), to: 'in_progress' },
      { at: at('2025-06-09T11:00:00Z'), to: 'waiting' },
    ];
    const whilePaused = targetClock(
      'resolution',
      history,
      targets,
      utc,
      at('2025-06-10T11:00:00Z'),
    );
    expect(whilePaused).toMatchObject({
      paused: true,
      elapsedMs: 2 * H,
      pausedMs: 8 * H,
      state: 'on_track',
      // 14 h left, counted from now (Tue 11:00): Tue 6 h + Wed 8 h.
      dueAt: at('2025-06-11T17:00:00Z'),
    });
    const resumed = [...history, { at: at('2025-06-10T11:00:00Z'), to: 'in_progress' as const }];
    const running = targetClock('resolution', resumed, targets, utc, at('2025-06-11T12:00:00Z'));
    expect(running).toMatchObject({
      paused: false,
      pausedMs: 8 * H,
      elapsedMs: 2 * H + 6 * H + 3 * H,
      dueAt: at('2025-06-11T17:00:00Z'),
      atRiskAt: at('2025-06-11T13:00:00Z'),
      state: 'on_track',
    });
  });

  it('keeps paused time when the policy or priority changes mid-flight', () => {
    const history: StatusChange[] = [
      created,
      { at: at('2025-06-09T10:00:00Z'), to: 'in_progress' },
      { at: at('2025-06-09T11:00:00Z'), to: 'waiting' },
      { at: at('2025-06-10T11:00:00Z'), to: 'in_progress' },
    ];
    const now = at('2025-06-10T12:00:00Z');
    const before = targetClock(
      'resolution',
      history,
      { firstActionHours: 4, resolutionHours: 16 },
      utc,
      now,
    );
    const after = targetClock(
      'resolution',
      history,
      { firstActionHours: 2, resolutionHours: 8 },
      utc,
      now,
    );
    expect(before.pausedMs).toBe(8 * H);
    expect(after.pausedMs).toBe(8 * H);
    expect(before.elapsedMs).toBe(3 * H);
    expect(after.dueAt).toBe(at('2025-06-10T17:00:00Z')); // 6 h left at Tue 11:00 after 2 h used
    expect(before.dueAt).toBe(at('2025-06-11T17:00:00Z'));
  });

  it('stops the resolution clock at completion or cancellation', () => {
    const history: StatusChange[] = [
      created,
      { at: at('2025-06-09T10:00:00Z'), to: 'in_progress' },
      { at: at('2025-06-09T12:00:00Z'), to: 'completed' },
    ];
    const clocks = slaClocks(
      history,
      { firstActionHours: 4, resolutionHours: 16 },
      utc,
      at('2025-07-01T00:00:00Z'),
    );
    expect(clocks.resolution).toMatchObject({
      metAt: at('2025-06-09T12:00:00Z'),
      state: 'met',
      elapsedMs: 3 * H,
    });
    expect(clocks.first_action.state).toBe('met');
  });

  it('spans DST on the organisation calendar', () => {
    const london: BusinessCalendar = { ...utc, timeZone: 'Europe/London' };
    const friday = { at: at('2025-03-28T13:00:00Z'), to: 'open' as const }; // 13:00 GMT
    const clock = targetClock(
      'resolution',
      [friday],
      { firstActionHours: 1, resolutionHours: 8 },
      london,
      at('2025-03-28T13:00:00Z'),
    );
    expect(clock.dueAt).toBe(at('2025-03-31T12:00:00Z')); // Monday 13:00 BST
  });

  it('times notices: warning at 75%, breach and escalation at due, again a working day later', () => {
    const clock = targetClock(
      'resolution',
      [created],
      { firstActionHours: 4, resolutionHours: 8 },
      utc,
      created.at,
    );
    expect(noticeTimes(clock, utc)).toEqual({
      at_risk: at('2025-06-09T15:00:00Z'),
      breached: at('2025-06-09T17:00:00Z'),
      escalated: at('2025-06-09T17:00:00Z'),
      escalated_again: at('2025-06-10T17:00:00Z'),
    });
  });

  it('reads a stored target state', () => {
    const stored = { dueAt: new Date(1000), atRiskAt: new Date(750), metAt: null };
    expect(stateAt(stored, 500)).toBe('on_track');
    expect(stateAt(stored, 750)).toBe('at_risk');
    expect(stateAt(stored, 1000)).toBe('breached');
    expect(stateAt({ ...stored, metAt: new Date(900) }, 5000)).toBe('met');
  });

  it('picks the most specific policy and validates documents', () => {
    expect(targetsFor(DEFAULT_SLA_POLICY, 'manager_coaching', 'low').resolutionHours).toBe(16);
    expect(targetsFor(DEFAULT_SLA_POLICY, 'peer_mentoring', 'medium').resolutionHours).toBe(56);
    expect(slaPolicyProblems(DEFAULT_SLA_POLICY)).toEqual([]);
    expect(
      slaPolicyProblems({
        ...DEFAULT_SLA_POLICY,
        defaults: {
          ...DEFAULT_SLA_POLICY.defaults,
          high: { firstActionHours: 50, resolutionHours: 40 },
        },
      }),
    ).toEqual(['defaults.high: firstActionHours may not exceed resolutionHours']);
  });
});
