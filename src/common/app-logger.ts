import { DynamicModule, Injectable, Module } from '@nestjs/common';
import type { Request } from 'express';
import { IncomingMessage, ServerResponse } from 'node:http';
import { AsyncLocalStorage } from 'node:async_hooks';
import { Logger as PinoNestLogger, LoggerModule, Params, PinoLogger } from 'nestjs-pino';
import {
  destination as pinoDestination,
  DestinationStream,
  Level,
  LevelWithSilent,
  stdTimeFunctions,
} from 'pino';
import type { AppConfig } from '../config/app-config';
import { redactSecrets } from './redact';
import { currentRequest } from './request-context';

/**
 * The one logging path: Nest's `Logger` (every `new Logger('Context')` in the
 * code) and the per-request line both go through pino (nestjs-pino +
 * pino-http) as one JSON object per line on stdout. Every line carries, when
 * it has one, `reqId` (X-Request-Id), `userId` (the signed-in user or API key
 * id) and `jobId` (the Bull job being processed). Secrets and personal data
 * are removed on the way out: known keys by path, and tokens, passwords,
 * emails and URL credentials inside any string.
 */

/** Nest's LOG_LEVEL names → pino levels. */
export const PINO_LEVELS: Record<AppConfig['LOG_LEVEL'], Level> = {
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

/** Nest's own start-up chatter, shown only at debug level. */
const BOOT_CONTEXTS = new Set([
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestFactory',
  'NestApplication',
]);

/** The Bull job being processed (set by the job runner around each job). */
export interface JobLogContext {
  jobId: string;
  queue: string;
  job: string;
}
const jobStorage = new AsyncLocalStorage<JobLogContext>();

/** Runs `work` with its logs (and error reports) tagged with the job. */
export function runInJobContext<T>(context: JobLogContext, work: () => T): T {
  return jobStorage.run(context, work);
}

export function currentJob(): JobLogContext | undefined {
  return jobStorage.getStore();
}

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;

/** Secrets (redactSecrets) and email addresses out of a string bound for a log. */
export function redactForLog(text: string): string {
  return redactSecrets(text).replace(EMAIL, '[email]');
}

/** Keys whose values never reach a log, wherever they sit (two levels deep). */
const SECRET_KEYS = [
  'password',
  'newPassword',
  'currentPassword',
  'token',
  'accessToken',
  'refreshToken',
  'secret',
  'apiKey',
  'authorization',
  'cookie',
  'email',
  'name',
  'fullName',
  'phone',
];
const REDACT_PATHS = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((k) => `*.${k}`),
  ...SECRET_KEYS.map((k) => `*.*.${k}`),
  'req.headers',
];

/** Strings anywhere in a logged object, cleaned (depth-limited, cycles left alone). */
function cleanDeep(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactForLog(value);
  if (value === null || typeof value !== 'object' || depth > 4) return value;
  if (seen.has(value)) return value;
  seen.add(value);
  if (value instanceof Error) {
    const out: Record<string, unknown> = {
      type: value.name,
      message: redactForLog(value.message),
      stack: value.stack ? redactForLog(value.stack) : undefined,
    };
    const code = (value as { code?: unknown }).code;
    if (code !== undefined) out.code = code;
    return out;
  }
  if (Array.isArray(value)) return value.map((v) => cleanDeep(v, depth + 1, seen));
  // Plain objects only: class instances (the request and response pino-http logs) are
  // left to their serializers, which keep method, url and status code only.
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = cleanDeep(v, depth + 1, seen);
  return out;
}

type AppRequestLike = Request & {
  requestId?: string;
  principal?: { id: string; kind: string };
};

/** reqId / userId / jobId of the current request or job, for every line. */
export function logContext(req?: AppRequestLike): Record<string, string> {
  const out: Record<string, string> = {};
  const r = req ?? (currentRequest() as AppRequestLike | undefined);
  if (r?.requestId) out.reqId = r.requestId;
  if (r?.principal) {
    if (r.principal.kind === 'user') out.userId = r.principal.id;
    else out.apiKeyId = r.principal.id;
  }
  const job = currentJob();
  if (job) {
    out.jobId = job.jobId;
    out.queue = job.queue;
    out.job = job.job;
  }
  return out;
}

/** nestjs-pino / pino-http options for this configuration. */
export function loggingParams(
  config: Pick<AppConfig, 'LOG_LEVEL'>,
  destination?: DestinationStream,
  level?: LevelWithSilent,
): Params {
  const options: Params['pinoHttp'] = {
    level: level ?? PINO_LEVELS[config.LOG_LEVEL],
    base: { pid: process.pid },
    timestamp: stdTimeFunctions.isoTime,
    messageKey: 'msg',
    formatters: {
      level: (label) => ({ level: label }),
      log: (object) => cleanDeep(object) as Record<string, unknown>,
    },
    hooks: {
      logMethod(args, method) {
        const cleaned = args.map((a) => (typeof a === 'string' ? redactForLog(a) : a));
        return method.apply(this, cleaned as Parameters<typeof method>);
      },
    },
    mixin: () => logContext(),
    // The request line's own context (its `finish` event may run outside the request's async
    // context): in the log object, which wins over the mixin's keys, so no key appears twice.
    customSuccessObject: (req, _res, value) => ({
      ...(value as object),
      ...logContext(req as AppRequestLike),
    }),
    customErrorObject: (req, _res, _error, value) => ({
      ...(value as object),
      ...logContext(req as AppRequestLike),
    }),
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    genReqId: (req) => (req as AppRequestLike).requestId ?? '',
    serializers: {
      // Method and path only: no headers (cookies, tokens), no client address or body.
      req: (req: { method?: string; url?: string }) => ({
        method: req.method,
        url: redactForLog(req.url ?? ''),
      }),
      res: (res: { statusCode?: number | null; raw?: { statusCode?: number } }) => ({
        statusCode: res.raw?.statusCode ?? res.statusCode,
      }),
    },
    customLogLevel: (_req: IncomingMessage, res: ServerResponse, error?: Error) =>
      error || res.statusCode >= 500 ? 'error' : 'info',
    // Probes and scrapes would drown everything else.
    autoLogging: {
      ignore: (req: IncomingMessage) =>
        (req.url ?? '').startsWith('/health/') || (req.url ?? '').startsWith('/metrics'),
    },
  };
  // Written synchronously: pino's default stdout stream is asynchronous and buffers a line
  // written while the one before is in flight, and after a graceful shutdown Nest ends the
  // process by re-raising the signal, which runs no exit handler to flush it, so the last
  // lines of every shutdown ("queues closed after ...") could be lost.
  return {
    pinoHttp: [options, destination ?? pinoDestination({ dest: 1, sync: true })],
    renameContext: 'context',
  };
}

/** Nest's LoggerService on pino, without Nest's boot chatter below debug. */
@Injectable()
export class AppLogger extends PinoNestLogger {
  constructor(logger: PinoLogger) {
    super(logger, { renameContext: 'context' });
  }

  override log(message: unknown, ...rest: unknown[]): void {
    const context = rest[rest.length - 1];
    if (
      typeof context === 'string' &&
      BOOT_CONTEXTS.has(context) &&
      !this.logger.logger.isLevelEnabled('debug')
    )
      return;
    super.log(message, ...rest);
  }
}

/**
 * The logging module of the app: pino-http on every route and `AppLogger` for
 * `app.useLogger`. nestjs-pino keeps one root logger per process: the first
 * app a process builds decides level and destination (a test file builds one
 * app that logs, the others pass `logger: false` and skip this module).
 */
@Module({})
export class AppLoggingModule {
  static forRoot(
    config: Pick<AppConfig, 'LOG_LEVEL'>,
    destination?: DestinationStream,
  ): DynamicModule {
    return {
      module: AppLoggingModule,
      imports: [LoggerModule.forRoot(loggingParams(config, destination))],
      providers: [AppLogger],
      exports: [AppLogger],
    };
  }
}
