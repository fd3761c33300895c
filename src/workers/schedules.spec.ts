import { ConfigError, loadConfig } from '../config/app-config';
import { JOBS } from './queues';
import {
  desiredSchedules,
  planSchedules,
  ScheduleEntry,
  SCHEDULES,
  StoredRepeat,
} from './schedules';

const stored = (over: Partial<StoredRepeat> = {}): StoredRepeat => ({
  queue: 'evaluation',
  key: 'nightly-evaluation:nightly-evaluation::UTC:0 0 * * *',
  name: 'nightly-evaluation',
  id: 'nightly-evaluation',
  cron: '0 0 * * *',
  tz: 'UTC',
  ...over,
});

describe('the schedule table', () => {
  it('has unique fixed keys, and its jobs are catalogued', () => {
    const keys = SCHEDULES.map((s) => s.key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const key of keys) expect(key).toMatch(/^[a-z0-9-]+$/);
  });

  it('runs the nightly evaluation at 00:00 UTC, and data generation every 15 min only when simulating', () => {
    expect(desiredSchedules(loadConfig({}))).toEqual([
      {
        key: 'nightly-evaluation',
        job: JOBS.evaluation.nightly,
        cron: '0 0 * * *',
        tz: 'UTC',
        payload: {},
      },
      {
        key: 'churn-scoring',
        job: JOBS.prediction.churnScoring,
        cron: '30 0 * * *',
        tz: 'UTC',
        payload: {},
      },
      {
        key: 'risk-override-expiry',
        job: JOBS.prediction.overrideExpiry,
        cron: '5 * * * *',
        tz: 'UTC',
        payload: {},
      },
      {
        key: 'model-training',
        job: JOBS.training.trainModels,
        cron: '0 2 * * 0',
        tz: 'UTC',
        payload: { trigger: 'schedule' },
      },
      {
        key: 'first-session-lookahead',
        job: JOBS.prediction.firstSessionLookahead,
        cron: '0 * * * *',
        tz: 'UTC',
        payload: {},
      },
      {
        key: 'first-session-evaluation',
        job: JOBS.prediction.firstSessionEvaluation,
        cron: '0 3 * * 1',
        tz: 'UTC',
        payload: {},
      },
      {
        key: 'sla-sweep',
        job: JOBS.interventions.slaSweep,
        cron: '* * * * *',
        tz: 'UTC',
        payload: {},
      },
      {
        key: 'intervention-rules',
        job: JOBS.interventions.nightlyRules,
        cron: '0 1 * * *',
        tz: 'UTC',
        payload: {},
      },
      {
        key: 'uptime-checks',
        job: JOBS.maintenance.uptimeChecks,
        cron: '* * * * *',
        tz: 'UTC',
        payload: {},
      },
      {
        key: 'alert-rules',
        job: JOBS.maintenance.alertRules,
        cron: '*/5 * * * *',
        tz: 'UTC',
        payload: {},
      },
      ...(
        [
          ['weekly-digest', JOBS.notifications.weeklyDigest, '0 9 * * 1'],
          ['feedback-reminders', JOBS.notifications.feedbackReminders, '15 * * * *'],
          ['first-session-checkins', JOBS.notifications.firstSessionCheckins, '*/10 * * * *'],
          ['retention-sweep', JOBS.maintenance.retentionSweep, '0 3 * * *'],
        ] as const
      ).map(([key, job, cron]) => ({ key, job, cron, tz: 'UTC', payload: {} })),
    ]);
    const simulating = desiredSchedules(loadConfig({ SIMULATION_ENABLED: 'true' }));
    expect(simulating.map((s) => [s.key, s.cron])).toEqual([
      ['nightly-evaluation', '0 0 * * *'],
      ['data-generation', '*/15 * * * *'],
      ['churn-scoring', '30 0 * * *'],
      ['risk-override-expiry', '5 * * * *'],
      ['model-training', '0 2 * * 0'],
      ['first-session-lookahead', '0 * * * *'],
      ['first-session-evaluation', '0 3 * * 1'],
      ['sla-sweep', '* * * * *'],
      ['intervention-rules', '0 1 * * *'],
      ['uptime-checks', '* * * * *'],
      ['alert-rules', '*/5 * * * *'],
      ['weekly-digest', '0 9 * * 1'],
      ['feedback-reminders', '15 * * * *'],
      ['first-session-checkins', '*/10 * * * *'],
      ['retention-sweep', '0 3 * * *'],
    ]);
  });

  it('takes times and the time zone from the configuration', () => {
    const config = loadConfig({
      SCHEDULE_NIGHTLY_EVALUATION: '15 1 * * *',
      SCHEDULE_TIME_ZONE: 'America/New_York',
    });
    expect(desiredSchedules(config)[0]).toMatchObject({
      cron: '15 1 * * *',
      tz: 'America/New_York',
    });
  });

  it('refuses a malformed cron expression or an unknown time zone at boot', () => {
    let problems: string[] = [];
    try {
      loadConfig({ SCHEDULE_SLA_SWEEP: 'every minute', SCHEDULE_TIME_ZONE: 'Mars/Olympus' });
    } catch (error) {
      problems = (error as ConfigError).problems;
    }
    expect(problems.join('\n')).toMatch(/SCHEDULE_SLA_SWEEP must be a 5-field cron expression/);
    expect(problems.join('\n')).toMatch(/SCHEDULE_TIME_ZONE must be an IANA time zone/);
  });

  it('makes a new schedule a one-line entry', () => {
    const table: ScheduleEntry[] = [
      ...SCHEDULES.filter((s) => s.key === 'nightly-evaluation'),
      { key: 'uptime-checks', job: JOBS.evaluation.nightly, cron: (c) => c.SCHEDULE_UPTIME_CHECKS },
    ];
    expect(desiredSchedules(loadConfig({}), table).map((s) => [s.key, s.cron])).toEqual([
      ['nightly-evaluation', '0 0 * * *'],
      ['uptime-checks', '* * * * *'],
    ]);
  });
});

describe('planSchedules', () => {
  // The nightly evaluation alone, so stored() is the whole table.
  const nightlyOnly = SCHEDULES.filter((s) => s.key === 'nightly-evaluation');
  const desired = desiredSchedules(loadConfig({}), nightlyOnly);

  it('changes nothing when Redis already holds the table', () => {
    expect(planSchedules([stored()], desired)).toEqual({ remove: [], add: [] });
  });

  it('adds what is missing', () => {
    expect(planSchedules([], desired)).toEqual({ remove: [], add: desired });
  });

  it('replaces a schedule whose time or time zone changed', () => {
    const moved = desiredSchedules(
      loadConfig({ SCHEDULE_NIGHTLY_EVALUATION: '30 1 * * *' }),
      nightlyOnly,
    );
    expect(planSchedules([stored()], moved)).toEqual({ remove: [stored()], add: moved });
    const zoned = desiredSchedules(loadConfig({ SCHEDULE_TIME_ZONE: 'Europe/Paris' }), nightlyOnly);
    expect(planSchedules([stored()], zoned).remove).toEqual([stored()]);
  });

  it('removes schedules that are no longer in the table or are switched off', () => {
    const generation = stored({
      queue: 'maintenance',
      key: 'generate-synthetic-data:data-generation::UTC:*/15 * * * *',
      name: 'generate-synthetic-data',
      id: 'data-generation',
      cron: '*/15 * * * *',
    });
    expect(planSchedules([stored(), generation], desired)).toEqual({
      remove: [generation],
      add: [],
    });
  });
});
