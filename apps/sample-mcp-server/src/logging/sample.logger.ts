import { ConsoleLogger, type LogLevel } from '@nestjs/common';

/**
 * Nest's module initialization and route mapping: about fifty lines at every start that bury
 * the few that matter. Logged at debug level instead (`NEST_LOG_LEVEL=debug` shows them).
 */
const DEBUG_CONTEXTS: ReadonlySet<string> = new Set([
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
]);

/** Levels shown when NEST_LOG_LEVEL is unset (Nest's own default is every level). */
const DEFAULT_LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log'];

/** The sample's console logger: Nest's, with the framework's start-up chatter at debug level. */
export class SampleLogger extends ConsoleLogger {
  override log(message: unknown, ...optionalParams: unknown[]): void {
    // Nest's loggers pass their context last.
    const context = optionalParams.at(-1);
    if (typeof context === 'string' && DEBUG_CONTEXTS.has(context)) {
      this.debug(message, ...optionalParams);
      return;
    }
    super.log(message, ...optionalParams);
  }

  protected override getDefaultLogLevels(): LogLevel[] {
    return process.env.NEST_LOG_LEVEL ? super.getDefaultLogLevels() : [...DEFAULT_LEVELS];
  }
}
