// What every audit event has; each family of events (client-audit-events.ts, ...) builds on it.

/**
 * Who caused an event: the OAuth client, the signed-in person, the server itself (a rule it
 * enforces, e.g. refresh-token reuse), or an upstream identity provider.
 * @publicApi
 */
export type McpAuthAuditActor = 'client' | 'user' | 'system' | 'upstream';

/**
 * Members every audit event has.
 * @publicApi
 */
export interface McpAuthAuditEventBase {
  /** What happened, e.g. `token.issued`. */
  type: string;
  /** Issuer of the module instance the event happened in. */
  issuer: string;
  /** When, as an ISO 8601 UTC timestamp. */
  at: string;
}
