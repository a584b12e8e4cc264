/**
 * Every metric, span and attribute name the library reports through OpenTelemetry, in one
 * place (README "Observability" lists them). Names follow the OpenTelemetry conventions:
 * lower-case, dot-separated namespaces under `mcp_auth.`, units in UCUM (`s`, `{request}`).
 */

/** The instrumentation scope: the published package name. */
export const INSTRUMENTATION_SCOPE = 'nestjs-mcp-auth';
/** Kept equal to `libs/mcp-auth/package.json` by telemetry-names.spec.ts. */
export const INSTRUMENTATION_VERSION = '0.1.0';

export const METRICS = {
  /** Counter: token endpoint requests by grant type and outcome. */
  tokenRequests: 'mcp_auth.token.requests',
  /** Histogram (s): token endpoint handling time by grant type and outcome. */
  tokenDuration: 'mcp_auth.token.duration',
  /** Counter: guarded requests by outcome (ok, 400, 401, 403, 503, error). */
  guardOutcomes: 'mcp_auth.guard.outcomes',
  /** Observable gauge: entries held by the revocation deny-list. */
  denyListSize: 'mcp_auth.deny_list.size',
  /** Histogram (s): from a revocation to its arrival in this process's deny-list. */
  denyListLag: 'mcp_auth.deny_list.lag',
  /** Observable gauge: 1 while the LISTEN connection for revocations is up, else 0. */
  revocationListenerConnected: 'mcp_auth.revocation_listener.connected',
  /** Counter: expired rows deleted by the clean-up, by table. */
  cleanupRowsDeleted: 'mcp_auth.cleanup.rows_deleted',
  /** Histogram (s): one clean-up run. */
  cleanupDuration: 'mcp_auth.cleanup.duration',
  /** Counter: clean-up runs that failed. */
  cleanupFailures: 'mcp_auth.cleanup.failures',
  /** Counter: Client ID Metadata Document fetches by outcome. */
  clientMetadataDocumentFetches: 'mcp_auth.client_metadata_document.fetches',
} as const;

export const SPANS = {
  /** Around one token endpoint request. */
  token: 'mcp_auth.token',
  /** Around one guarded request, only with `telemetry.guardSpans`. */
  guard: 'mcp_auth.guard',
  /** Prefix of store calls: `mcp_auth.store.<Store>.<method>`. */
  storePrefix: 'mcp_auth.store.',
} as const;

export const ATTRIBUTES = {
  /** `authorization_code`, `refresh_token`, ... ; `unsupported` or `unknown` otherwise. */
  grantType: 'mcp_auth.grant_type',
  /** What became of the request: `issued` or the OAuth error code; the guard's status. */
  outcome: 'mcp_auth.outcome',
  /** The authenticated client (spans only: unbounded). */
  clientId: 'mcp_auth.client_id',
  /** OpenTelemetry database conventions, for store spans and the clean-up. */
  dbSystem: 'db.system',
  dbSystemName: 'db.system.name',
  dbCollection: 'db.collection.name',
  dbOperation: 'db.operation.name',
  errorType: 'error.type',
} as const;
