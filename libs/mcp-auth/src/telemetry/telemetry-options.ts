/**
 * OpenTelemetry reporting (`telemetry` of `McpAuthModule.forRoot()` and
 * `McpResourceServerModule.forRoot()`). The library speaks only to `@opentelemetry/api`: without
 * an SDK installed by the host every call is a no-op.
 * @publicApi
 */
export interface TelemetryOptions {
  /** Report metrics and spans. Default true (a no-op until the host installs an SDK). */
  enabled?: boolean;
  /**
   * A span `mcp_auth.guard` around every guarded request. Default false: the guard's counter
   * says as much for a fraction of the cost, and the host's HTTP spans already time requests.
   */
  guardSpans?: boolean;
  /** Spans around every store call (`mcp_auth.store.<Store>.<method>`). Default true. */
  storeSpans?: boolean;
}

export interface ResolvedTelemetryOptions {
  readonly enabled: boolean;
  readonly guardSpans: boolean;
  readonly storeSpans: boolean;
}

export const TELEMETRY_DISABLED: ResolvedTelemetryOptions = Object.freeze({
  enabled: false,
  guardSpans: false,
  storeSpans: false,
});

/** Checks and fills in the defaults; `where` names the option in the error. */
export function resolveTelemetryOptions(
  options: TelemetryOptions | undefined,
  where = 'telemetry',
): ResolvedTelemetryOptions {
  if (options === undefined)
    return Object.freeze({ enabled: true, guardSpans: false, storeSpans: true });
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new Error(`mcp-auth: ${where} must be an object`);
  }
  for (const key of Object.keys(options)) {
    if (!['enabled', 'guardSpans', 'storeSpans'].includes(key)) {
      throw new Error(`mcp-auth: ${where}.${key} is not an option`);
    }
  }
  const flag = (key: keyof TelemetryOptions, fallback: boolean): boolean => {
    const value = options[key];
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') throw new Error(`mcp-auth: ${where}.${key} must be a boolean`);
    return value;
  };
  const enabled = flag('enabled', true);
  return Object.freeze({
    enabled,
    guardSpans: enabled && flag('guardSpans', false),
    storeSpans: enabled && flag('storeSpans', true),
  });
}
