import type { JobOptions, QueueOptions } from 'bull';
import type { RedisOptions } from 'ioredis';
import type { AppConfig } from '../config/app-config';

/** Every queue TutorMax uses; processors live in the module whose work they do. */
export const QUEUES = {
  /** Domain events queued by earlier versions (the relay now adds handler jobs directly). */
  events: 'events',
  evaluation: 'evaluation',
  prediction: 'prediction',
  training: 'training',
  notifications: 'notifications',
  /** Data generation, uptime, alert rules, retention. */
  maintenance: 'maintenance',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];
export const QUEUE_NAMES = Object.values(QUEUES) as QueueName[];

/** A job name on its queue, with the options that differ from DEFAULT_JOB_OPTIONS. */
export interface JobDefinition {
  readonly queue: QueueName;
  readonly name: string;
  readonly options?: JobOptions;
}

const job = (queue: QueueName, name: string, options?: JobOptions): JobDefinition => ({
  queue,
  name,
  ...(options ? { options } : {}),
});

/**
 * Every job name, by queue. Each must have exactly one @JobProcessor in the
 * running code (boot fails otherwise), so add the entry together with its
 * processor.
 */
export const JOBS = {
  events: {
    /** One outbox event, job id = event id, as earlier versions queued it: fanned out on arrival. */
    domainEvent: job(QUEUES.events, 'domain-event'),
  },
  evaluation: {
    /** A session, feedback or tutor event was stored: schedule the tutor's coalesced recompute. */
    tutorActivity: job(QUEUES.evaluation, 'tutor-activity'),
    /** Recompute one tutor's rolling metrics (job id per tutor per one-second bucket). */
    recomputeTutor: job(QUEUES.evaluation, 'recompute-tutor'),
    /** All tutors, set-based, then tiers by population share. */
    nightly: job(QUEUES.evaluation, 'nightly-evaluation', {
      attempts: 3,
      timeout: 15 * 60_000,
    }),
  },
  interventions: {
    /** tutor.risk-scored: run the rule engine (all rules) for the tutor. */
    riskScored: job(QUEUES.evaluation, 'intervention-rules-risk-scored'),
    /** tutor.metrics-updated: the metric rules, for a tutor no churn score follows (see the runner). */
    metricsUpdated: job(QUEUES.evaluation, 'intervention-rules-metrics-updated'),
    /** Every tutor, after the nightly evaluation and scoring. */
    nightlyRules: job(QUEUES.evaluation, 'intervention-rules-nightly', {
      attempts: 3,
      timeout: 15 * 60_000,
    }),
    /** Email an automated intervention to its tutor, then complete it. */
    deliverAutomated: job(QUEUES.notifications, 'deliver-automated-intervention'),
    /** One intervention's SLA notices that have fallen due (exact-time delayed job). */
    slaCheck: job(QUEUES.notifications, 'intervention-sla-check'),
    /** Per-minute safety net: enqueue the checks whose time has passed. */
    slaSweep: job(QUEUES.notifications, 'intervention-sla-sweep', { attempts: 1 }),
    /** intervention.assigned: tell the assignee (email and in-app), once. */
    assignmentNotice: job(QUEUES.notifications, 'intervention-assignment-notice'),
    /** notification.outcome: an automated intervention's email was sent, failed or suppressed. */
    deliveryOutcome: job(QUEUES.notifications, 'intervention-delivery-outcome'),
  },
  prediction: {
    /** tutor.metrics-updated: score the tutor's churn risk again. */
    scoreTutor: job(QUEUES.prediction, 'score-tutor', { attempts: 5 }),
    /** Nightly: labels (mark churned tutors), expired overrides, then every tutor set-based. */
    churnScoring: job(QUEUES.prediction, 'churn-scoring', { attempts: 3, timeout: 30 * 60_000 }),
    /** Hourly: expired overrides fall back to the scored value. */
    overrideExpiry: job(QUEUES.prediction, 'risk-override-expiry', { attempts: 3 }),
    /** session.recorded: score an upcoming first session (and alert its tutor once). */
    firstSessionScore: job(QUEUES.prediction, 'first-session-score'),
    /** feedback.recorded: record the outcome of a predicted first session. */
    firstSessionOutcome: job(QUEUES.prediction, 'first-session-outcome'),
    /** Hourly: first sessions in the next 24 h not scored yet. */
    firstSessionLookahead: job(QUEUES.prediction, 'first-session-lookahead', { attempts: 3 }),
    /** Weekly: the active first-session model's real AUC, stored in the registry. */
    firstSessionEvaluation: job(QUEUES.prediction, 'first-session-evaluation', { attempts: 3 }),
  },
  churnedTutors: {
    /** tutor.churned: close the tutor's open interventions with the outcome churned. */
    closeInterventions: job(QUEUES.evaluation, 'intervention-close-churned'),
  },
  training: {
    /** Weekly or on demand: train every model in a child process, register, promote. */
    trainModels: job(QUEUES.training, 'train-models', { attempts: 1, timeout: 2 * 3600_000 }),
  },
  notifications: {
    /** notification.queued: send one logged message (event id = message id). */
    deliverMessage: job(QUEUES.notifications, 'deliver-message'),
    /** session.recorded: invite the student (or parent, under 13) to give feedback. */
    feedbackInvitation: job(QUEUES.notifications, 'feedback-invitation'),
    /** Hourly: reminders for completed sessions 24–48 h ago with no feedback. */
    feedbackReminders: job(QUEUES.notifications, 'feedback-reminders', { attempts: 3 }),
    /** First sessions that ended 2 h ago: check in with the tutor. */
    firstSessionCheckins: job(QUEUES.notifications, 'first-session-checkins', { attempts: 3 }),
    /** Monday digest for operations managers. */
    weeklyDigest: job(QUEUES.notifications, 'weekly-digest', { attempts: 3 }),
  },
  compliance: {
    /** student.consent-needed: email the parent of an under-13 student a consent link, once (COPPA). */
    coppaConsentRequest: job(QUEUES.notifications, 'coppa-consent-request'),
  },
  maintenance: {
    /** Synthetic sessions, feedback and events up to now (SIMULATION_ENABLED only). */
    generateSyntheticData: job(QUEUES.maintenance, 'generate-synthetic-data', { attempts: 2 }),
    /** Check PostgreSQL, Redis, the queues, SMTP and PUBLIC_URL; record and open/close incidents. */
    uptimeChecks: job(QUEUES.maintenance, 'uptime-checks', { attempts: 1, timeout: 50_000 }),
    /** Evaluate the alert rules; notify on state changes only. */
    alertRules: job(QUEUES.maintenance, 'alert-rules', { attempts: 1, timeout: 120_000 }),
    /** Daily retention sweep: dry-run report per class; acts for admin-enabled classes, in batches. */
    retentionSweep: job(QUEUES.maintenance, 'retention-sweep', {
      attempts: 2,
      timeout: 10 * 60_000,
    }),
  },
} as const satisfies Record<string, Record<string, JobDefinition>>;

/** The catalogue as a flat list. */
export const ALL_JOBS: JobDefinition[] = Object.values(JOBS).flatMap((byName) =>
  Object.values(byName as Record<string, JobDefinition>),
);

/** `<queue>.<job>`: the handler part of a fan-out job id (`<eventId>:<handler>`). */
export const handlerName = (definition: JobDefinition): string =>
  `${definition.queue}.${definition.name}`;

/** Retry delays: exponential from 5 s, capped at 10 min, with ±20% jitter. */
export const RETRY_BACKOFF = {
  type: 'jittered-exponential',
  firstDelayMs: 5_000,
  maxDelayMs: 10 * 60_000,
  jitter: 0.2,
} as const;

/** Delay before retry number `attemptsMade` (1 after the first failure). */
export function retryDelayMs(attemptsMade: number, random: () => number = Math.random): number {
  const exponential = RETRY_BACKOFF.firstDelayMs * 2 ** Math.max(0, attemptsMade - 1);
  const base = Math.min(exponential, RETRY_BACKOFF.maxDelayMs);
  const jittered = base * (1 - RETRY_BACKOFF.jitter + 2 * RETRY_BACKOFF.jitter * random());
  return Math.round(Math.min(jittered, RETRY_BACKOFF.maxDelayMs));
}

/**
 * 5 attempts with jittered exponential backoff; completed jobs kept a day
 * (bounded count, so a busy queue cannot fill Redis), failed ones 14 days so
 * they can be inspected and retried.
 */
export const DEFAULT_JOB_OPTIONS: JobOptions = {
  attempts: 5,
  backoff: { type: RETRY_BACKOFF.type },
  removeOnComplete: { age: 24 * 3600, count: 20_000 },
  removeOnFail: { age: 14 * 24 * 3600 },
};

/**
 * Worker settings shared by every queue. Locks are renewed every 7.5 s; a job
 * whose worker died is noticed within lockDuration + stalledInterval and run
 * again (at most twice before it counts as failed).
 */
export const QUEUE_SETTINGS = {
  lockDuration: 15_000,
  stalledInterval: 15_000,
  maxStalledCount: 2,
  backoffStrategies: {
    [RETRY_BACKOFF.type]: (attemptsMade: number) => retryDelayMs(attemptsMade),
  },
};

/** Running jobs get this long to finish on SIGTERM before queues are closed anyway. */
export const SHUTDOWN_DRAIN_MS = 25_000;

/**
 * Connection options for Bull's three Redis clients per queue. Reconnects
 * every 2 s at most while Redis is away (Bull's default waits up to 20 s).
 */
export function redisOptionsFromUrl(url: string): RedisOptions {
  const parsed = new URL(url);
  const db = parsed.pathname.replace(/^\//, '');
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(db ? { db: Number(db) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
    connectTimeout: 5_000,
    disconnectTimeout: 200,
    retryStrategy: (attempt: number) => Math.min(attempt * 250, 2_000),
  };
}

/** BullModule.forRoot options for the validated configuration. */
export function bullRootOptions(config: AppConfig): QueueOptions {
  return {
    redis: redisOptionsFromUrl(config.REDIS_URL),
    prefix: config.QUEUE_PREFIX,
    defaultJobOptions: DEFAULT_JOB_OPTIONS,
    settings: QUEUE_SETTINGS,
  };
}
