import type { ClientSource } from '../storage/client-store.interface';
import type { McpAuthAuditEventBase } from './audit-event-base';

// The audit events of the administration API; the union of every event is
// `McpAuthAuditEvent` (audit-event.ts).

/**
 * Members of every administration event: who called the administration API (the subject of
 * the operator's token, its client id, or what the host's guard put on the request).
 * @publicApi
 */
export interface McpAuthAdministrationEventBase extends McpAuthAuditEventBase {
  administrator: string;
}

/**
 * An operator deleted a client through the administration API; its grants were revoked.
 * @publicApi
 */
export interface AdminClientDeletedAuditEvent extends McpAuthAdministrationEventBase {
  type: 'admin.client_deleted';
  client_id: string;
  source: ClientSource;
}

/**
 * An operator revoked grants: one by id, or every live grant of a subject and/or a client.
 * @publicApi
 */
export interface AdminGrantRevokedAuditEvent extends McpAuthAdministrationEventBase {
  type: 'admin.grant_revoked';
  /** How many grants this call revoked (0 when none was live). */
  revoked_count: number;
  /** The grants this call revoked, the first 100 of a bulk revocation. */
  grant_ids: string[];
  /** The filter of a bulk revocation. */
  subject?: string;
  client_id?: string;
}

/**
 * An operator rotated the signing key; the retired keys keep verifying until the tokens they
 * signed have expired.
 * @publicApi
 */
export interface AdminSigningKeyRotatedAuditEvent extends McpAuthAdministrationEventBase {
  type: 'admin.signing_key_rotated';
  kid: string;
  retired_kids: string[];
}
