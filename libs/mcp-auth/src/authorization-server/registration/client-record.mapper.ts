import type { McpAuthAuditClientFacts } from '../../audit/audit-event';
import type { ClientRecord, ClientSource, NewClient } from '../../storage/client-store.interface';
import { EXTRA_METADATA_MEMBERS, type ClientMetadata } from './client-metadata.interface';

export interface ClientCredentials {
  clientId: string;
  /** `hashSecret(secret)`, or null for a public client. The plain secret is never stored. */
  clientSecretHash: string | null;
  /** null: the secret never expires. */
  clientSecretExpiresAt: Date | null;
  source: ClientSource;
  /** `metadata_document` clients: when the cached document goes stale. */
  documentExpiresAt?: Date | null;
}

/** The store record of validated metadata: columns for what other endpoints read, the rest in `metadata`. */
export function toNewClient(metadata: ClientMetadata, credentials: ClientCredentials): NewClient {
  const extra: Record<string, unknown> = {};
  for (const member of EXTRA_METADATA_MEMBERS) {
    if (metadata[member] !== undefined) extra[member] = metadata[member];
  }
  return {
    clientId: credentials.clientId,
    clientSecretHash: credentials.clientSecretHash,
    clientSecretExpiresAt: credentials.clientSecretExpiresAt,
    redirectUris: [...metadata.redirect_uris],
    tokenEndpointAuthMethod: metadata.token_endpoint_auth_method,
    grantTypes: [...metadata.grant_types],
    responseTypes: [...metadata.response_types],
    applicationType: metadata.application_type,
    clientName: metadata.client_name ?? null,
    scope: metadata.scope ?? null,
    metadata: extra,
    source: credentials.source,
    documentExpiresAt: credentials.documentExpiresAt ?? null,
  };
}

/** What the `client.*` audit events tell of a client: nothing secret, not even the hash. */
export function auditedClient(record: ClientRecord): McpAuthAuditClientFacts {
  return {
    client_id: record.clientId,
    source: record.source,
    client_name: record.clientName,
    redirect_uris: [...record.redirectUris],
    grant_types: [...record.grantTypes],
    token_endpoint_auth_method: record.tokenEndpointAuthMethod,
  };
}

/** Whether a rewrite of a client record changed it (both as the store returned them). */
export function sameClient(a: ClientRecord, b: ClientRecord): boolean {
  const comparable = (record: ClientRecord) =>
    JSON.stringify([
      record.clientSecretHash,
      record.clientSecretExpiresAt,
      record.redirectUris,
      record.tokenEndpointAuthMethod,
      record.grantTypes,
      record.responseTypes,
      record.applicationType,
      record.clientName,
      record.scope,
      record.metadata,
      record.source,
    ]);
  return comparable(a) === comparable(b);
}
