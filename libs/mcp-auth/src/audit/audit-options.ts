/**
 * `audit` module option: how the audit events (see `McpAuthAuditEvent`) are written and
 * emitted. They are always emitted through `@nestjs/event-emitter` when the application has
 * it (`EventEmitterModule.forRoot()`); without it only the log lines remain.
 * @publicApi
 */
export interface AuditOptions {
  /**
   * Write each event as one JSON log line through Nest's `Logger` (context `McpAuthAudit`;
   * warnings for failures and attacks). Default true; false leaves only the emitted events.
   */
  log?: boolean;
  /**
   * Put the user name typed on the password form into `sign_in.*` events. Default false: a
   * user name is personal data, and people type their password into it by mistake.
   */
  includeUsername?: boolean;
  /**
   * Put the client address (`request.ip`, so mind `trust proxy`) into the events raised by a
   * request that has one: registration, sign-in and rate limiting. Default false (personal
   * data under the GDPR).
   */
  includeClientAddress?: boolean;
  /**
   * Prefix of the emitted event names: `mcp-auth.token.issued` by default. With
   * `EventEmitterModule.forRoot({ wildcard: true })`, `mcp-auth.**` receives all of them.
   */
  eventPrefix?: string;
}

/** `audit` after defaults. */
export type ResolvedAuditOptions = Readonly<Required<AuditOptions>>;

export const DEFAULT_AUDIT_EVENT_PREFIX = 'mcp-auth.';

/** Problems with an `audit` option, worded like the module's other option errors. */
export function validateAuditOptions(options: AuditOptions | undefined): string[] {
  if (options === undefined) return [];
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    return ['audit must be an object such as { includeClientAddress: true }'];
  }
  const problems: string[] = [];
  for (const flag of ['log', 'includeUsername', 'includeClientAddress'] as const) {
    if (options[flag] !== undefined && typeof options[flag] !== 'boolean') {
      problems.push(`audit.${flag} must be true or false`);
    }
  }
  if (
    options.eventPrefix !== undefined &&
    (typeof options.eventPrefix !== 'string' || !/^[\x21-\x7e]{0,64}$/.test(options.eventPrefix))
  ) {
    problems.push('audit.eventPrefix must be up to 64 printable characters without spaces');
  }
  return problems;
}

/** Applies the defaults (the options are valid). */
export function resolveAuditOptions(options: AuditOptions | undefined): ResolvedAuditOptions {
  return {
    log: options?.log ?? true,
    includeUsername: options?.includeUsername ?? false,
    includeClientAddress: options?.includeClientAddress ?? false,
    eventPrefix: options?.eventPrefix ?? DEFAULT_AUDIT_EVENT_PREFIX,
  };
}
