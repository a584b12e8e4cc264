import type { ClientSource, TokenEndpointAuthMethod } from '../storage/client-store.interface';
import type { McpAuthAuditActor, McpAuthAuditEventBase } from './audit-event-base';

// The audit events of client records: registered, rewritten at boot, deleted; the union of
// every event is `McpAuthAuditEvent` (audit-event.ts).

/**
 * Facts of a client record worth auditing (its metadata minus anything secret).
 * @publicApi
 */
export interface McpAuthAuditClientFacts {
  client_id: string;
  source: ClientSource;
  client_name: string | null;
  redirect_uris: string[];
  grant_types: string[];
  token_endpoint_auth_method: TokenEndpointAuthMethod;
}

/**
 * A client was registered: through `/register` (`source: 'dynamic'`) or, at boot, a
 * pre-registered client that was not in the database yet (`'static'`).
 * @publicApi
 */
export interface ClientRegisteredAuditEvent extends McpAuthAuditEventBase, McpAuthAuditClientFacts {
  type: 'client.registered';
  /** Address of the registering request; only with `audit.includeClientAddress`. */
  ip?: string;
}

/**
 * A pre-registered client changed in the options and was rewritten at boot (an unchanged one
 * raises nothing).
 * @publicApi
 */
export interface ClientUpdatedAuditEvent extends McpAuthAuditEventBase, McpAuthAuditClientFacts {
  type: 'client.updated';
}

/**
 * A client was deleted, with its consents and pending codes; its grants were revoked.
 * @publicApi
 */
export interface ClientDeletedAuditEvent extends McpAuthAuditEventBase {
  type: 'client.deleted';
  client_id: string;
  source: ClientSource;
  actor: McpAuthAuditActor;
  /** `removed_from_configuration`: a pre-registered client no longer in the options. */
  reason: 'removed_from_configuration';
}
