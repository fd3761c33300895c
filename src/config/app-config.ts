import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsEmail,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateBy,
  ValidationOptions,
  validateSync,
} from 'class-validator';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Every variable TutorMax reads, with its default and whether it is secret.
 * `.env.example` mirrors this class; nothing else in the app reads process.env.
 */
export type ProcessRole = 'all' | 'web' | 'worker';
export type NodeEnv = 'development' | 'test' | 'production';

const toBool = ({ value }: { value: unknown }) =>
  value === undefined || value === ''
    ? undefined
    : ['1', 'true', 'yes', 'on'].includes(String(value).toLowerCase());
const toInt = ({ value }: { value: unknown }) =>
  value === undefined || value === ''
    ? undefined
    : /^-?\d+$/.test(String(value))
      ? Number(value)
      : value;
const toList = ({ value }: { value: unknown }) =>
  value === undefined || value === ''
    ? []
    : Array.isArray(value)
      ? value
      : String(value)
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);

const toNumber = ({ value }: { value: unknown }) =>
  value === undefined || value === '' ? undefined : Number(value);

/** A 5-field cron expression of numbers, `*`, ranges, steps and lists: "30 0 * * *". */
const CRON_FIELD = String.raw`(\*|\d{1,2}(-\d{1,2})?)(\/\d{1,2})?`;
const CRON = new RegExp(`^${CRON_FIELD}(,${CRON_FIELD})*(\\s+${CRON_FIELD}(,${CRON_FIELD})*){4}$`);
const IsCron = () =>
  Matches(CRON, {
    message: ({ property }) =>
      `${property} must be a 5-field cron expression (minute hour day month weekday), e.g. "0 0 * * *"`,
  });

/** An IANA time zone name the runtime knows, e.g. UTC or America/New_York. */
function IsTimeZone(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isTimeZone',
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'string' || !value) return false;
          try {
            new Intl.DateTimeFormat('en-US', { timeZone: value });
            return true;
          } catch {
            return false;
          }
        },
        defaultMessage: () => '$property must be an IANA time zone such as UTC or Europe/London',
      },
    },
    options,
  );
}

/** An http(s) endpoint URL; production additionally requires https for the SSO endpoints. */
const ENDPOINT = { require_tld: false, protocols: ['http', 'https'], require_protocol: true };
const SSO_ENDPOINTS = [
  'GOOGLE_AUTHORIZATION_URL',
  'GOOGLE_TOKEN_URL',
  'GOOGLE_USERINFO_URL',
  'MICROSOFT_AUTHORIZATION_URL',
  'MICROSOFT_TOKEN_URL',
] as const;

interface VariableDoc {
  description: string;
  secret?: boolean;
}

/** Descriptions are used by the README table and by boot errors. */
export const VARIABLES: Record<string, VariableDoc> = {
  NODE_ENV: { description: 'development, test or production' },
  PORT: { description: 'HTTP port' },
  ROLE: { description: 'all (web + queue processing), web, or worker' },
  PUBLIC_URL: { description: 'Public base URL, used in links and SSO callbacks' },
  DATABASE_URL: {
    description: 'PostgreSQL URL; when unset an embedded PostgreSQL is started under DATA_DIR',
    secret: true,
  },
  MIGRATIONS_RUN: { description: 'Apply pending migrations at boot (under an advisory lock)' },
  DATA_DIR: { description: 'Where the embedded PostgreSQL and the .eml mail drop live' },
  ERASURE_LEDGER_PATH: {
    description:
      'Append-only JSONL copy of the GDPR erasure ledger, replayed after a restore (default DATA_DIR/erasure-ledger.jsonl); keep it outside the database backups',
  },
  EMBEDDED_PG_PORT: { description: 'Port of the embedded PostgreSQL' },
  DEMO_DATA: { description: 'Load the 90-day demo data set on an empty embedded database' },
  REDIS_URL: { description: 'Redis for queues, rate limits and caches', secret: true },
  QUEUE_PREFIX: {
    description: 'Prefix of every key TutorMax writes in Redis (queues, rate limits, lockouts)',
  },
  SMTP_URL: {
    description:
      'SMTP server (smtp://user:pass@host:port); unset outside production writes .eml files',
    secret: true,
  },
  MAIL_FROM: { description: 'From address of outgoing mail' },
  API_KEYS: { description: 'Comma-separated keys for machine clients (X-API-Key)', secret: true },
  SIMULATION_ENABLED: { description: 'Allow the synthetic data generator (refused in production)' },
  LOG_LEVEL: { description: 'error, warn, log, debug or verbose' },
  JWT_SECRET: { description: 'HMAC key signing access tokens (HS256, 15 minutes)', secret: true },
  ENCRYPTION_KEYS: {
    description: 'AES-256-GCM keys for personal data at rest: kid:base64key,… (the first encrypts)',
    secret: true,
  },
  BLIND_INDEX_KEY: {
    description: 'HMAC key for searchable hashes of encrypted values',
    secret: true,
  },
  ADMIN_EMAIL: { description: 'First admin, created at boot when no admin exists' },
  ADMIN_PASSWORD: { description: 'Password of the first admin', secret: true },
  GOOGLE_CLIENT_ID: { description: 'Google sign-in client id (unset: button hidden)' },
  GOOGLE_CLIENT_SECRET: { description: 'Google sign-in client secret', secret: true },
  MICROSOFT_CLIENT_ID: { description: 'Microsoft sign-in client id (unset: button hidden)' },
  MICROSOFT_CLIENT_SECRET: { description: 'Microsoft sign-in client secret', secret: true },
  MICROSOFT_TENANTS: { description: 'Comma-separated Microsoft tenant ids allowed to sign in' },
  GOOGLE_AUTHORIZATION_URL: { description: 'Google authorization endpoint (override for tests)' },
  GOOGLE_TOKEN_URL: { description: 'Google token endpoint (override for tests)' },
  GOOGLE_USERINFO_URL: { description: 'Google OIDC userinfo endpoint (override for tests)' },
  MICROSOFT_AUTHORIZATION_URL: {
    description: 'Microsoft authorization endpoint; put your tenant id for a single-tenant app',
  },
  MICROSOFT_TOKEN_URL: {
    description: 'Microsoft token endpoint; ID token issuers are <its origin>/<tid>/v2.0',
  },
  SSO_ALLOWED_DOMAINS: { description: 'Email domains provisioned on first SSO sign-in' },
  SSO_DEFAULT_ROLE: { description: 'Role given to users provisioned by SSO (none: ask an admin)' },
  OUTBOX_POLL_MS: {
    description: 'How often the outbox relay looks for events when no NOTIFY woke it (ms)',
  },
  JOB_SLOTS: {
    description:
      'Jobs one process runs at once across all queues (default: 4 with ROLE=all, leaving database connections to the web; 8 with ROLE=worker)',
  },
  JOB_SLOTS_WEB_BUSY: {
    description:
      'Jobs one process runs at once while people are using its pages or API (default 1): the web comes first, the pipeline catches up when they stop',
  },
  SCHEDULE_TIME_ZONE: { description: 'Time zone of the schedules below (IANA name)' },
  SCHEDULE_NIGHTLY_EVALUATION: { description: 'Nightly evaluation of every tutor (cron)' },
  SCHEDULE_DATA_GENERATION: {
    description: 'Synthetic data generation, when SIMULATION_ENABLED (cron)',
  },
  SCHEDULE_CHURN_SCORING: { description: 'Nightly churn scoring (cron)' },
  SCHEDULE_MODEL_TRAINING: { description: 'Model training (cron)' },
  SCHEDULE_FIRST_SESSION_LOOKAHEAD: { description: 'First-session risk look-ahead (cron)' },
  SCHEDULE_FIRST_SESSION_EVALUATION: {
    description: 'Weekly real-world AUC of the first-session model (cron)',
  },
  SCHEDULE_RISK_OVERRIDE_EXPIRY: {
    description: 'Expired churn-risk overrides fall back to the scored value (cron)',
  },
  TRAINING_LOOKBACK_DAYS: { description: 'Days of history a model training reads (30-730)' },
  TRAINING_MAX_HEAP_MB: {
    description:
      'Heap cap of the model-training child process in MB (Render starter: 512 MB in all)',
  },
  SCHEDULE_SLA_SWEEP: { description: 'Intervention SLA sweep (cron)' },
  SCHEDULE_INTERVENTION_RULES: {
    description: 'Nightly intervention rule engine over every tutor, after churn scoring (cron)',
  },
  SCHEDULE_UPTIME_CHECKS: { description: 'Uptime checks (cron)' },
  SCHEDULE_ALERT_RULES: { description: 'Alert rules (cron)' },
  SCHEDULE_RETENTION_SWEEP: { description: 'Data retention sweep (cron)' },
  SCHEDULE_WEEKLY_DIGEST: { description: 'Weekly digest for operations managers (cron)' },
  SCHEDULE_FEEDBACK_REMINDERS: {
    description: 'Feedback reminders for sessions 24–48 h ago with no feedback (cron)',
  },
  SCHEDULE_FIRST_SESSION_CHECKINS: {
    description: 'First-session check-in emails to tutors, 2 h after a first session (cron)',
  },
  METRICS_TOKEN: {
    description:
      'Bearer token for GET /metrics (Prometheus); required in production (32+ characters); unset: open in development, 404 otherwise',
    secret: true,
  },
  ALERT_EMAIL: { description: 'Where alert emails go (unset: no email channel)' },
  ALERT_WEBHOOK_URL: {
    description: 'Generic webhook receiving alert JSON (fired/resolved)',
    secret: true,
  },
  ALERT_OUTBOX_BACKLOG: { description: 'Alert when this many outbox events wait unpublished' },
  ALERT_QUEUE_FAILED: { description: 'Alert when this many failed jobs sit in the queues' },
  ALERT_SLA_BREACHES: { description: 'Alert when this many open interventions breach their SLA' },
  ALERT_UPTIME_PERCENT: {
    description: 'Alert when a service is up less than this share of checks over 24 h (%)',
  },
  ALERT_INSIGHT_P95_SECONDS: {
    description:
      'Alert when the p95 insight latency (stored → metrics updated) over 1 h exceeds this',
  },
  SLACK_WEBHOOK_URL: {
    description: 'Slack incoming webhook receiving alert messages (unset: no Slack channel)',
    secret: true,
  },
  ALERT_INSIGHT_UNDER_60_PERCENT: {
    description:
      'Alert (warning) when fewer insights than this share reach the metrics within 60 min over 1 h (%)',
  },
  ALERT_INSIGHT_UNDER_60_CRITICAL_PERCENT: {
    description: 'The same alert is critical below this share (%)',
  },
  ALERT_API_P95_MS: {
    description: 'Alert when the API p95 response time over 1 h reaches this (ms)',
  },
  ALERT_API_P99_MS: {
    description: 'Alert when the API p99 response time over 1 h reaches this (ms)',
  },
  ALERT_QUEUE_BACKLOG: { description: 'Alert when this many jobs wait in the queues' },
  ALERT_DB_CACHE_HIT_PERCENT: {
    description: 'Alert when the PostgreSQL buffer cache hit ratio falls below this (%)',
  },
  ALERT_SERVICE_DEGRADED_MS: {
    description: 'A service whose last uptime check took longer than this is degraded (ms)',
  },
  SENTRY_DSN: {
    description: 'Sentry DSN: report 5xx errors and failed jobs (unset: no reporting)',
    secret: true,
  },
  SENTRY_ENVIRONMENT: { description: 'Sentry environment name (default: NODE_ENV)' },
};

/** Development-only secrets; production refuses them. */
export const DEV_SECRETS = {
  JWT_SECRET: 'dev-only-jwt-secret-change-me-0000000000000000',
  ENCRYPTION_KEYS: 'dev1:ZGV2LW9ubHktZW5jcnlwdGlvbi1rZXktMDAwMDAwMDA=',
  BLIND_INDEX_KEY: 'ZGV2LW9ubHktYmxpbmQtaW5kZXgta2V5LTAwMDAwMDA=',
} as const;

export class AppConfig {
  @IsIn(['development', 'test', 'production'])
  NODE_ENV: NodeEnv = 'development';

  /** 0 picks a free port. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsIn(['all', 'web', 'worker'])
  ROLE: ProcessRole = 'all';

  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  PUBLIC_URL?: string;

  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/.+/, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL?: string;

  @Transform(toBool)
  @IsBoolean()
  MIGRATIONS_RUN = true;

  @IsString()
  DATA_DIR = '.data';

  @IsOptional()
  @IsString()
  ERASURE_LEDGER_PATH?: string;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(65535)
  EMBEDDED_PG_PORT = 5488;

  @Transform(toBool)
  @IsBoolean()
  DEMO_DATA = true;

  @Matches(/^rediss?:\/\/.+/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL = 'redis://127.0.0.1:6379';

  @Matches(/^[A-Za-z0-9_-]{1,40}$/, {
    message: 'QUEUE_PREFIX must be 1-40 letters, digits, _ or -',
  })
  QUEUE_PREFIX = 'tutormax';

  @IsOptional()
  @Matches(/^smtps?:\/\/.+/, { message: 'SMTP_URL must be an smtp:// or smtps:// URL' })
  SMTP_URL?: string;

  @IsString()
  MAIL_FROM = 'TutorMax <no-reply@tutormax.invalid>';

  @Transform(toList)
  @IsString({ each: true })
  API_KEYS: string[] = [];

  @Transform(toBool)
  @IsBoolean()
  SIMULATION_ENABLED = false;

  @IsIn(['error', 'warn', 'log', 'debug', 'verbose'])
  LOG_LEVEL: 'error' | 'warn' | 'log' | 'debug' | 'verbose' = 'log';

  @IsString()
  @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters' })
  JWT_SECRET: string = DEV_SECRETS.JWT_SECRET;

  @Matches(/^[A-Za-z0-9_-]{1,16}:[A-Za-z0-9+/]{43}=(,[A-Za-z0-9_-]{1,16}:[A-Za-z0-9+/]{43}=)*$/, {
    message: 'ENCRYPTION_KEYS must be kid:base64(32 bytes)[,kid:base64(32 bytes)…]',
  })
  ENCRYPTION_KEYS: string = DEV_SECRETS.ENCRYPTION_KEYS;

  @Matches(/^[A-Za-z0-9+/]{43}=$/, { message: 'BLIND_INDEX_KEY must be base64 of 32 bytes' })
  BLIND_INDEX_KEY: string = DEV_SECRETS.BLIND_INDEX_KEY;

  @IsOptional()
  @IsEmail({}, { message: 'ADMIN_EMAIL must be an email address' })
  ADMIN_EMAIL?: string;

  @IsOptional()
  @IsString()
  ADMIN_PASSWORD?: string;

  @IsOptional()
  @IsString()
  GOOGLE_CLIENT_ID?: string;

  @IsOptional()
  @IsString()
  GOOGLE_CLIENT_SECRET?: string;

  @IsOptional()
  @IsString()
  MICROSOFT_CLIENT_ID?: string;

  @IsOptional()
  @IsString()
  MICROSOFT_CLIENT_SECRET?: string;

  @Transform(toList)
  @IsString({ each: true })
  MICROSOFT_TENANTS: string[] = [];

  @IsUrl(ENDPOINT)
  GOOGLE_AUTHORIZATION_URL = 'https://accounts.google.com/o/oauth2/v2/auth';

  @IsUrl(ENDPOINT)
  GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

  @IsUrl(ENDPOINT)
  GOOGLE_USERINFO_URL = 'https://openidconnect.googleapis.com/v1/userinfo';

  @IsUrl(ENDPOINT)
  MICROSOFT_AUTHORIZATION_URL =
    'https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize';

  @IsUrl(ENDPOINT)
  MICROSOFT_TOKEN_URL = 'https://login.microsoftonline.com/organizations/oauth2/v2.0/token';

  @Transform(toList)
  @IsString({ each: true })
  SSO_ALLOWED_DOMAINS: string[] = [];

  /** Never admin: a whole email domain must not become administrators by signing in. */
  @IsOptional()
  @IsIn(['operations_manager', 'people_ops', 'tutor', 'student'], {
    message:
      'SSO_DEFAULT_ROLE must be operations_manager, people_ops, tutor or student (never admin)',
  })
  SSO_DEFAULT_ROLE?: 'operations_manager' | 'people_ops' | 'tutor' | 'student';

  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(60_000)
  OUTBOX_POLL_MS = 2000;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(64)
  JOB_SLOTS?: number;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(64)
  JOB_SLOTS_WEB_BUSY = 1;

  @IsTimeZone()
  SCHEDULE_TIME_ZONE = 'UTC';

  @IsCron()
  SCHEDULE_NIGHTLY_EVALUATION = '0 0 * * *';

  @IsCron()
  SCHEDULE_DATA_GENERATION = '*/15 * * * *';

  @IsCron()
  SCHEDULE_CHURN_SCORING = '30 0 * * *';

  @IsCron()
  SCHEDULE_MODEL_TRAINING = '0 2 * * 0';

  @IsCron()
  SCHEDULE_FIRST_SESSION_LOOKAHEAD = '0 * * * *';

  @IsCron()
  SCHEDULE_FIRST_SESSION_EVALUATION = '0 3 * * 1';

  @IsCron()
  SCHEDULE_RISK_OVERRIDE_EXPIRY = '5 * * * *';

  @Transform(toInt)
  @IsInt()
  @Min(30)
  @Max(730)
  TRAINING_LOOKBACK_DAYS = 90;

  @Transform(toInt)
  @IsInt()
  @Min(128)
  @Max(8192)
  TRAINING_MAX_HEAP_MB = 256;

  @IsCron()
  SCHEDULE_SLA_SWEEP = '* * * * *';

  @IsCron()
  SCHEDULE_INTERVENTION_RULES = '0 1 * * *';

  @IsCron()
  SCHEDULE_UPTIME_CHECKS = '* * * * *';

  @IsCron()
  SCHEDULE_ALERT_RULES = '*/5 * * * *';

  @IsCron()
  SCHEDULE_RETENTION_SWEEP = '0 3 * * *';

  @IsCron()
  SCHEDULE_WEEKLY_DIGEST = '0 9 * * 1';

  @IsCron()
  SCHEDULE_FEEDBACK_REMINDERS = '15 * * * *';

  @IsCron()
  SCHEDULE_FIRST_SESSION_CHECKINS = '*/10 * * * *';

  @IsOptional()
  @IsString()
  METRICS_TOKEN?: string;

  @IsOptional()
  @IsEmail({}, { message: 'ALERT_EMAIL must be an email address' })
  ALERT_EMAIL?: string;

  @IsOptional()
  @IsUrl(ENDPOINT)
  ALERT_WEBHOOK_URL?: string;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  ALERT_OUTBOX_BACKLOG = 1000;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  ALERT_QUEUE_FAILED = 50;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  ALERT_SLA_BREACHES = 10;

  @Transform(({ value }: { value: unknown }) =>
    value === undefined || value === '' ? undefined : Number(value),
  )
  @Min(0)
  @Max(100)
  ALERT_UPTIME_PERCENT = 99.5;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  ALERT_INSIGHT_P95_SECONDS = 3600;

  @IsOptional()
  @IsUrl(ENDPOINT)
  SLACK_WEBHOOK_URL?: string;

  @Transform(toNumber)
  @Min(0)
  @Max(100)
  ALERT_INSIGHT_UNDER_60_PERCENT = 95;

  @Transform(toNumber)
  @Min(0)
  @Max(100)
  ALERT_INSIGHT_UNDER_60_CRITICAL_PERCENT = 90;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  ALERT_API_P95_MS = 500;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  ALERT_API_P99_MS = 1000;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  ALERT_QUEUE_BACKLOG = 1000;

  @Transform(toNumber)
  @Min(0)
  @Max(100)
  ALERT_DB_CACHE_HIT_PERCENT = 90;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  ALERT_SERVICE_DEGRADED_MS = 1000;

  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  SENTRY_DSN?: string;

  @IsOptional()
  @IsString()
  SENTRY_ENVIRONMENT?: string;

  get isProduction(): boolean {
    return this.NODE_ENV === 'production';
  }

  get runsWeb(): boolean {
    return this.ROLE !== 'worker';
  }

  get runsWorkers(): boolean {
    return this.ROLE !== 'web';
  }

  /** Jobs run at once by this process (the database pool holds 10 connections). */
  get jobSlots(): number {
    return this.JOB_SLOTS ?? (this.ROLE === 'all' ? 4 : 8);
  }

  /** Set by main.ts when it started the embedded PostgreSQL (not an environment variable). */
  embeddedDatabase = false;

  get mailDropDir(): string {
    return resolve(this.DATA_DIR, 'mail');
  }

  /** The erasure ledger's JSONL file. */
  get erasureLedgerFile(): string {
    return resolve(this.ERASURE_LEDGER_PATH ?? resolve(this.DATA_DIR, 'erasure-ledger.jsonl'));
  }
}

/** Values shipped in .env.example or documentation; refused in production. */
const EXAMPLE_SECRETS = new Set(['change-me', 'changeme', 'dev-api-key', 'example', 'secret']);
const MIN_SECRET_LENGTH = 32;

const TYPE_CONSTRAINTS = ['isInt', 'isBoolean', 'isIn', 'matches', 'isUrl', 'isString'];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/**
 * Reads `NAME_FILE` variants (Docker/Render secret files) into `NAME`.
 */
function withSecretFiles(
  env: Record<string, string | undefined>,
): Record<string, string | undefined> {
  const out = { ...env };
  for (const name of Object.keys(VARIABLES)) {
    const file = env[`${name}_FILE`];
    if (file && out[name] === undefined) {
      out[name] = readFileSync(file, 'utf8').trim();
    }
  }
  return out;
}

/**
 * Validates the environment into a typed AppConfig. Throws ConfigError with one
 * line per bad value.
 */
export function loadConfig(env: Record<string, string | undefined>): AppConfig {
  const source = withSecretFiles(env);
  const plain: Record<string, unknown> = {};
  for (const name of Object.keys(VARIABLES)) {
    const value = source[name];
    if (value !== undefined && value !== '') plain[name] = value;
  }
  const config = plainToInstance(AppConfig, plain);
  const problems: string[] = [];
  for (const error of validateSync(config, { forbidUnknownValues: false })) {
    const constraints = error.constraints ?? {};
    // Name the type problem before range problems ("must be an integer", not "must not be greater").
    const key = TYPE_CONSTRAINTS.find((k) => k in constraints) ?? Object.keys(constraints)[0];
    const message = constraints[key] ?? 'is invalid';
    const detail = message.startsWith(error.property) ? message : `${error.property}: ${message}`;
    const shown = VARIABLES[error.property]?.secret
      ? '***'
      : (plain[error.property] ?? error.value);
    problems.push(`${detail} (got ${JSON.stringify(shown)})`);
  }
  for (const provider of ['GOOGLE', 'MICROSOFT'] as const) {
    const id = config[`${provider}_CLIENT_ID`];
    const secret = config[`${provider}_CLIENT_SECRET`];
    if (Boolean(id) !== Boolean(secret))
      problems.push(`${provider}_CLIENT_ID and ${provider}_CLIENT_SECRET must be set together`);
  }
  if (config.NODE_ENV === 'production') {
    for (const name of SSO_ENDPOINTS) {
      if (!config[name].startsWith('https://'))
        problems.push(`${name} must be https in production`);
    }
    if (!config.DATABASE_URL) problems.push('DATABASE_URL is required in production');
    if (!config.SMTP_URL) problems.push('SMTP_URL is required in production');
    if (!config.PUBLIC_URL) problems.push('PUBLIC_URL is required in production');
    if (config.SIMULATION_ENABLED) problems.push('SIMULATION_ENABLED is refused in production');
    for (const [name, value] of Object.entries(DEV_SECRETS)) {
      if ((config as unknown as Record<string, string>)[name] === value) {
        problems.push(`${name} must be set in production (the development default is refused)`);
      }
    }
    if (
      !config.METRICS_TOKEN ||
      config.METRICS_TOKEN.length < MIN_SECRET_LENGTH ||
      EXAMPLE_SECRETS.has(config.METRICS_TOKEN)
    )
      problems.push(
        `METRICS_TOKEN must be set to at least ${MIN_SECRET_LENGTH} random characters in production`,
      );
    for (const key of config.API_KEYS) {
      if (key.length < MIN_SECRET_LENGTH || EXAMPLE_SECRETS.has(key)) {
        problems.push(
          `API_KEYS: each key must be at least ${MIN_SECRET_LENGTH} random characters in production`,
        );
        break;
      }
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return config;
}
