import type { AppConfig } from '../config/app-config';
import { JOBS, JobDefinition } from './queues';

/** One line of the schedule table. */
export interface ScheduleEntry {
  /** Fixed key (the Bull repeat job id): never reuse one for other work. Letters, digits and dashes. */
  key: string;
  job: JobDefinition;
  /** The cron expression, from AppConfig so operators can move it. */
  cron: (config: AppConfig) => string;
  /** Default: always on. */
  enabled?: (config: AppConfig) => boolean;
  /** Validated against the job's DTO like any other payload. Default `{}`. */
  payload?: object;
}

/**
 * Every schedule, in SCHEDULE_TIME_ZONE (UTC by default). A scheduled job only
 * enqueues: the tick is a Bull repeatable job whose processor does the work.
 * Adding work is one line here plus its variable in AppConfig; the job must be
 * in JOBS with a processor, or boot fails.
 */
export const SCHEDULES: readonly ScheduleEntry[] = [
  {
    key: 'nightly-evaluation',
    job: JOBS.evaluation.nightly,
    cron: (c) => c.SCHEDULE_NIGHTLY_EVALUATION,
  },
  {
    key: 'data-generation',
    job: JOBS.maintenance.generateSyntheticData,
    cron: (c) => c.SCHEDULE_DATA_GENERATION,
    enabled: (c) => c.SIMULATION_ENABLED && !c.isProduction,
  },
  {
    key: 'churn-scoring',
    job: JOBS.prediction.churnScoring,
    cron: (c) => c.SCHEDULE_CHURN_SCORING,
  },
  {
    key: 'risk-override-expiry',
    job: JOBS.prediction.overrideExpiry,
    cron: (c) => c.SCHEDULE_RISK_OVERRIDE_EXPIRY,
  },
  {
    key: 'model-training',
    job: JOBS.training.trainModels,
    cron: (c) => c.SCHEDULE_MODEL_TRAINING,
    payload: { trigger: 'schedule' },
  },
  {
    key: 'first-session-lookahead',
    job: JOBS.prediction.firstSessionLookahead,
    cron: (c) => c.SCHEDULE_FIRST_SESSION_LOOKAHEAD,
  },
  {
    key: 'first-session-evaluation',
    job: JOBS.prediction.firstSessionEvaluation,
    cron: (c) => c.SCHEDULE_FIRST_SESSION_EVALUATION,
  },
  { key: 'sla-sweep', job: JOBS.interventions.slaSweep, cron: (c) => c.SCHEDULE_SLA_SWEEP },
  {
    key: 'intervention-rules',
    job: JOBS.interventions.nightlyRules,
    cron: (c) => c.SCHEDULE_INTERVENTION_RULES,
  },
  {
    key: 'uptime-checks',
    job: JOBS.maintenance.uptimeChecks,
    cron: (c) => c.SCHEDULE_UPTIME_CHECKS,
  },
  { key: 'alert-rules', job: JOBS.maintenance.alertRules, cron: (c) => c.SCHEDULE_ALERT_RULES },
  {
    key: 'weekly-digest',
    job: JOBS.notifications.weeklyDigest,
    cron: (c) => c.SCHEDULE_WEEKLY_DIGEST,
  },
  {
    key: 'feedback-reminders',
    job: JOBS.notifications.feedbackReminders,
    cron: (c) => c.SCHEDULE_FEEDBACK_REMINDERS,
  },
  {
    key: 'first-session-checkins',
    job: JOBS.notifications.firstSessionCheckins,
    cron: (c) => c.SCHEDULE_FIRST_SESSION_CHECKINS,
  },
  {
    key: 'retention-sweep',
    job: JOBS.maintenance.retentionSweep,
    cron: (c) => c.SCHEDULE_RETENTION_SWEEP,
  },
];

/** A schedule as Bull stores it (`queue.getRepeatableJobs()`). */
export interface StoredRepeat {
  queue: string;
  key: string;
  name: string;
  id: string | null;
  cron: string | null;
  tz: string | null;
}

/** A schedule as it should be. */
export interface DesiredRepeat {
  key: string;
  job: JobDefinition;
  cron: string;
  tz: string;
  payload: object;
}

export function desiredSchedules(
  config: AppConfig,
  table: readonly ScheduleEntry[] = SCHEDULES,
): DesiredRepeat[] {
  return table
    .filter((entry) => entry.enabled?.(config) ?? true)
    .map((entry) => ({
      key: entry.key,
      job: entry.job,
      cron: entry.cron(config),
      tz: config.SCHEDULE_TIME_ZONE,
      payload: entry.payload ?? {},
    }));
}

const same = (stored: StoredRepeat, desired: DesiredRepeat) =>
  stored.queue === desired.job.queue &&
  stored.id === desired.key &&
  stored.name === desired.job.name &&
  stored.cron === desired.cron &&
  (stored.tz ?? 'UTC') === desired.tz;

/**
 * What to change so that Redis holds exactly the desired schedules: the table
 * is the truth, so a repeat that differs in anything (moved time, other time
 * zone, renamed job) or is no longer wanted is removed, and missing ones added.
 */
export function planSchedules(
  stored: readonly StoredRepeat[],
  desired: readonly DesiredRepeat[],
): { remove: StoredRepeat[]; add: DesiredRepeat[] } {
  return {
    remove: stored.filter((s) => !desired.some((d) => same(s, d))),
    add: desired.filter((d) => !stored.some((s) => same(s, d))),
  };
}
