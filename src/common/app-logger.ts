import { ConsoleLogger, LogLevel } from '@nestjs/common';

/** Nest's own start-up chatter, shown only at debug level. */
const BOOT_CONTEXTS = new Set([
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestFactory',
  'NestApplication',
]);

export class AppLogger extends ConsoleLogger {
  private readonly verboseBoot: boolean;

  constructor(levels: LogLevel[]) {
    super('TutorMax', { logLevels: levels });
    this.verboseBoot = levels.includes('debug');
  }

  override log(message: unknown, ...rest: unknown[]): void {
    const context = rest[rest.length - 1];
    if (!this.verboseBoot && typeof context === 'string' && BOOT_CONTEXTS.has(context)) return;
    super.log(message, ...rest);
  }
}
