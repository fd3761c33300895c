import { Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import * as Sentry from '@sentry/nestjs';
import { AppConfig } from '../config/app-config';
import { logContext, redactForLog } from '../common/app-logger';

/**
 * Error reporting to Sentry (`@sentry/nestjs`) when SENTRY_DSN is set: HTTP
 * requests that end in a 5xx (never a 4xx: those are the client's) and jobs
 * that failed for good (a permanent error, or the last attempt). Sentry is
 * initialised at module init, without OpenTelemetry auto-instrumentation or
 * tracing: only explicit captures are sent, tagged with the request id, route,
 * queue and job, and the user id (never an email, body or header).
 */
let enabled = false;

export interface ErrorReportContext {
  kind: 'http' | 'job';
  tags?: Record<string, string | number | undefined>;
}

/** Sends one error to Sentry (no-op without SENTRY_DSN). */
export function reportError(error: unknown, context: ErrorReportContext): void {
  if (!enabled) return;
  const ids = logContext();
  Sentry.withScope((scope) => {
    scope.setTag('kind', context.kind);
    for (const [k, v] of Object.entries({ ...ids, ...context.tags }))
      if (v !== undefined && k !== 'userId') scope.setTag(k, String(v));
    if (ids.userId) scope.setUser({ id: ids.userId });
    Sentry.captureException(error);
  });
}

/** Removes secrets and emails from what an event carries (messages, stack frames' context). */
function scrub(event: Sentry.ErrorEvent): Sentry.ErrorEvent {
  if (event.message) event.message = redactForLog(event.message);
  for (const ex of event.exception?.values ?? []) if (ex.value) ex.value = redactForLog(ex.value);
  delete event.request;
  if (event.user) event.user = { id: event.user.id };
  return event;
}

@Injectable()
export class ErrorReporting implements OnModuleInit, OnApplicationShutdown {
  constructor(private readonly config: AppConfig) {}

  onModuleInit(): void {
    if (!this.config.SENTRY_DSN) return;
    Sentry.init({
      dsn: this.config.SENTRY_DSN,
      environment: this.config.SENTRY_ENVIRONMENT ?? this.config.NODE_ENV,
      sendDefaultPii: false,
      skipOpenTelemetrySetup: true,
      defaultIntegrations: false,
      integrations: [],
      beforeSend: scrub,
    });
    enabled = true;
  }

  async onApplicationShutdown(): Promise<void> {
    if (!enabled) return;
    enabled = false;
    await Sentry.close(2_000);
  }
}
