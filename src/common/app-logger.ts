import { ConsoleLogger, LogLevel } from '@nestjs/common';
import { redactSecrets } from './redact';

/** Nest's own start-up chatter, shown only at debug level. */
const BOOT_CONTEXTS = new Set([
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestFactory',
  'NestApplication',
]);

/** Logs never carry tokens, passwords or keys. */
const clean = (value: unknown): unknown =>
  typeof value === 'string' ? redactSecrets(value) : value;

export class AppLogger extends ConsoleLogger {
  private readonly verboseBoot: boolean;

  constructor(levels: LogLevel[]) {
    super('TutorMax', { logLevels: levels });
    this.verboseBoot = levels.includes('debug');
  }

  override log(message: unknown, ...rest: unknown[]): void {
    const context = rest[rest.length - 1];
    if (!this.verboseBoot && typeof context === 'string' && BOOT_CONTEXTS.has(context)) return;
    super.log(clean(message), ...rest);
  }

  override error(message: unknown, ...rest: unknown[]): void {
    super.error(clean(message), ...rest.map(clean));
  }

  override warn(message: unknown, ...rest: unknown[]): void {
    super.warn(clean(message), ...rest);
  }

  override debug(message: unknown, ...rest: unknown[]): void {
    super.debug(clean(message), ...rest);
  }

  override verbose(message: unknown, ...rest: unknown[]): void {
    super.verbose(clean(message), ...rest);
  }
}
