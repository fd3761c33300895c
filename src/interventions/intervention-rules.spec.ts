import {
  DEFAULT_RULE_CONFIG,
  evaluateRules,
  ExistingIntervention,
  RuleConfigDocument,
  ruleConfigProblems,
  RuleId,
  TutorState,
} from './intervention-rules';

const now = new Date('2025-06-10T12:00:00Z');
const quiet: TutorState = {
  tutorId: 't1',
  churnScore: 10,
  tier: 'Developing',
  tenureDays: 100,
  sessionsCompleted: 10,
  avgRating: 4.3,
  firstSessionSuccessRate: 0.8,
  rescheduleRate: 0.1,
  engagement: 0.7,
  ratingDecline: 0,
  engagementDecline: 0,
  sessionVolumeDecline: 0,
};
const fired = (patch: Partial<TutorState>, config = DEFAULT_RULE_CONFIG): RuleId[] =>
  evaluateRules({ ...quiet, ...patch }, config, [], now).create.map((c) => c.ruleId);

describe('rule engine', () => {
  it('fires nothing for a quiet tutor', () => {
    expect(fired({})).toEqual([]);
  });

  it.each<[string, Partial<TutorState>, Partial<TutorState>, RuleId]>([
    ['critical churn at 76, not 75', { churnScore: 76 }, { churnScore: 75 }, 'critical_churn_risk'],
    ['high churn at 51, not 50', { churnScore: 51 }, { churnScore: 50 }, 'high_churn_risk'],
    ['high churn up to 75', { churnScore: 75 }, { churnScore: 76 }, 'high_churn_risk'],
    ['medium churn at 26, not 25', { churnScore: 26 }, { churnScore: 25 }, 'medium_churn_risk'],
    ['medium churn up to 50', { churnScore: 50 }, { churnScore: 51 }, 'medium_churn_risk'],
    [
      'severe decline: At Risk + rating down > 0.5',
      { tier: 'At Risk', ratingDecline: 0.51 },
      { tier: 'At Risk', ratingDecline: 0.5 },
      'severe_performance_decline',
    ],
    [
      'severe decline: rating + engagement down',
      { ratingDecline: 0.6, engagementDecline: 0.21 },
      { ratingDecline: 0.6, engagementDecline: 0.2 },
      'severe_performance_decline',
    ],
    [
      'first sessions below 0.60',
      { firstSessionSuccessRate: 0.59 },
      { firstSessionSuccessRate: 0.6 },
      'poor_first_session_performance',
    ],
    [
      'reschedules above 0.20',
      { rescheduleRate: 0.21 },
      { rescheduleRate: 0.2 },
      'excessive_rescheduling',
    ],
    ['engagement below 0.60', { engagement: 0.59 }, { engagement: 0.6 }, 'low_engagement_pattern'],
    [
      'rating decline from 0.3',
      { ratingDecline: 0.3, avgRating: 3.9 },
      { ratingDecline: 0.29, avgRating: 3.9 },
      'declining_ratings',
    ],
    [
      'rating decline up to 0.5',
      { ratingDecline: 0.5, avgRating: 3.9 },
      { ratingDecline: 0.51, avgRating: 3.9 },
      'declining_ratings',
    ],
    [
      'declining ratings only below 4.0',
      { ratingDecline: 0.4, avgRating: 3.99 },
      { ratingDecline: 0.4, avgRating: 4.0 },
      'declining_ratings',
    ],
    [
      'volume decline above 0.3',
      { sessionVolumeDecline: 0.31 },
      { sessionVolumeDecline: 0.3 },
      'declining_session_volume',
    ],
    [
      'new tutor from day 7',
      { tenureDays: 7, avgRating: 4.1 },
      { tenureDays: 6, avgRating: 4.1 },
      'new_tutor_support',
    ],
    [
      'new tutor before day 30',
      { tenureDays: 29, avgRating: 4.1 },
      { tenureDays: 30, avgRating: 4.1 },
      'new_tutor_support',
    ],
    [
      'new tutor rated below 4.2',
      { tenureDays: 10, avgRating: 4.19 },
      { tenureDays: 10, avgRating: 4.2 },
      'new_tutor_support',
    ],
    [
      'high performer at 4.5 and 0.8',
      { tier: 'Strong', avgRating: 4.5, engagement: 0.8 },
      { tier: 'Strong', avgRating: 4.5, engagement: 0.79 },
      'recognition_high_performer',
    ],
    [
      'high performer only when Exemplary or Strong',
      { tier: 'Exemplary', avgRating: 4.6, engagement: 0.9 },
      { tier: 'Developing', avgRating: 4.6, engagement: 0.9 },
      'recognition_high_performer',
    ],
    [
      'improvement: rating up > 0.3',
      { ratingDecline: -0.31 },
      { ratingDecline: -0.3 },
      'recognition_improvement',
    ],
    [
      'improvement: engagement up > 0.15',
      { engagementDecline: -0.16 },
      { engagementDecline: -0.15 },
      'recognition_improvement',
    ],
  ])('%s', (_name, fires, doesNot, rule) => {
    expect(fired(fires)).toContain(rule);
    expect(fired(doesNot)).not.toContain(rule);
  });

  it('does not run churn rules without a score, or on a metrics-only update', () => {
    expect(fired({ churnScore: null })).toEqual([]);
    const r = evaluateRules({ ...quiet, churnScore: 90 }, DEFAULT_RULE_CONFIG, [], now, 'metrics');
    expect(r.create).toEqual([]);
  });

  it('skips tutors with fewer than 3 sessions and invalid scores', () => {
    expect(
      evaluateRules(
        { ...quiet, sessionsCompleted: 2, churnScore: 90 },
        DEFAULT_RULE_CONFIG,
        [],
        now,
      ).skipped,
    ).toMatch(/fewer than 3/);
    expect(
      evaluateRules(
        { ...quiet, sessionsCompleted: 3, churnScore: 90 },
        DEFAULT_RULE_CONFIG,
        [],
        now,
      ).create,
    ).toHaveLength(1);
    expect(
      evaluateRules({ ...quiet, churnScore: 101 }, DEFAULT_RULE_CONFIG, [], now).skipped,
    ).toMatch(/outside/);
  });

  it('honours per-rule enablement and the automated/human switches', () => {
    const off: RuleConfigDocument = {
      ...DEFAULT_RULE_CONFIG,
      rules: { ...DEFAULT_RULE_CONFIG.rules, high_churn_risk: false },
    };
    expect(fired({ churnScore: 60 }, off)).toEqual([]);
    const noHuman = { ...DEFAULT_RULE_CONFIG, enableHuman: false };
    expect(fired({ churnScore: 60, rescheduleRate: 0.5 }, noHuman)).toEqual([
      'excessive_rescheduling',
    ]);
    const noAuto = { ...DEFAULT_RULE_CONFIG, enableAutomated: false };
    expect(fired({ churnScore: 60, rescheduleRate: 0.5 }, noAuto)).toEqual(['high_churn_risk']);
  });

  it('refreshes an open intervention of the same type instead of duplicating it', () => {
    const existing: ExistingIntervention[] = [
      {
        id: 'i1',
        type: 'manager_coaching',
        status: 'in_progress',
        createdAt: new Date('2025-05-01'),
      },
    ];
    const r = evaluateRules({ ...quiet, churnScore: 60 }, DEFAULT_RULE_CONFIG, existing, now);
    expect(r.create).toEqual([]);
    expect(r.refresh).toMatchObject([{ interventionId: 'i1', ruleId: 'high_churn_risk' }]);
  });

  it('keeps a 7-day cooldown per type', () => {
    const at = (days: number) => new Date(now.getTime() - days * 86_400_000);
    const closed = (days: number): ExistingIntervention[] => [
      { id: 'i1', type: 'manager_coaching', status: 'completed', createdAt: at(days) },
    ];
    expect(
      evaluateRules({ ...quiet, churnScore: 60 }, DEFAULT_RULE_CONFIG, closed(6.9), now).dropped,
    ).toMatchObject([{ why: 'cooldown' }]);
    expect(
      evaluateRules({ ...quiet, churnScore: 60 }, DEFAULT_RULE_CONFIG, closed(7), now).create,
    ).toHaveLength(1);
    // Another type's recent intervention does not block (the source's defect).
    const other: ExistingIntervention[] = [
      { id: 'i2', type: 'recognition', status: 'completed', createdAt: at(1) },
    ];
    expect(
      evaluateRules({ ...quiet, churnScore: 60 }, DEFAULT_RULE_CONFIG, other, now).create,
    ).toHaveLength(1);
  });

  it('keeps at most 5 open per tutor, highest priority first', () => {
    const state: TutorState = {
      ...quiet,
      churnScore: 80,
      tier: 'At Risk',
      ratingDecline: 0.6,
      firstSessionSuccessRate: 0.5,
      rescheduleRate: 0.3,
      engagement: 0.5,
      sessionVolumeDecline: 0.5,
    };
    const all = evaluateRules(state, DEFAULT_RULE_CONFIG, [], now);
    expect(all.create.map((c) => c.priority)).toEqual([
      'critical',
      'critical',
      'high',
      'high',
      'high',
    ]);
    expect(all.dropped.map((d) => d.why)).toContain('open_limit');
    const existing: ExistingIntervention[] = [0, 1, 2, 3].map((i) => ({
      id: `x${i}`,
      type: 'peer_mentoring' as const,
      status: 'open' as const,
      createdAt: new Date('2025-01-01'),
    }));
    expect(
      evaluateRules(state, DEFAULT_RULE_CONFIG, existing, now).create.map((c) => c.ruleId),
    ).toEqual(['critical_churn_risk']);
  });

  it('validates a configuration on save: fractions in 0–1', () => {
    expect(ruleConfigProblems(DEFAULT_RULE_CONFIG)).toEqual([]);
    const bad = {
      ...DEFAULT_RULE_CONFIG,
      thresholds: { ...DEFAULT_RULE_CONFIG.thresholds, excessiveRescheduleRate: 60, lowRating: 7 },
      maxOpenPerTutor: 0,
    };
    expect(ruleConfigProblems(bad)).toEqual([
      'thresholds.excessiveRescheduleRate must be a fraction between 0 and 1',
      'thresholds.lowRating must be a rating between 1 and 5',
      'maxOpenPerTutor must be a whole number from 1 to 20',
    ]);
  });
});
