import type { ClientRecord } from '../storage/client-store.interface';
import type { GrantRecord } from '../storage/grant-store.interface';
import type { SigningKeyRecord } from '../storage/signing-key-store.interface';

/** A client as the API shows it: its registration, never its secret (not even the hash). */
export function clientView(client: ClientRecord): Record<string, unknown> {
  return {
    client_id: client.clientId,
    source: client.source,
    client_name: client.clientName,
    redirect_uris: client.redirectUris,
    grant_types: client.grantTypes,
    response_types: client.responseTypes,
    token_endpoint_auth_method: client.tokenEndpointAuthMethod,
    application_type: client.applicationType,
    scope: client.scope,
    has_secret: client.clientSecretHash !== null,
    client_secret_expires_at: iso(client.clientSecretExpiresAt),
    document_expires_at: iso(client.documentExpiresAt),
    created_at: iso(client.createdAt),
    metadata: client.metadata,
  };
}

/** A grant, with its state worked out (`active`, `revoked` or `expired`). */
export function grantView(grant: GrantRecord, now = Date.now()): Record<string, unknown> {
  const status = grant.revokedAt
    ? 'revoked'
    : grant.expiresAt.getTime() <= now
      ? 'expired'
      : 'active';
  return {
    id: grant.id,
    client_id: grant.clientId,
    subject: grant.subject,
    scopes: grant.scopes,
    resource: grant.resource,
    status,
    created_at: iso(grant.createdAt),
    expires_at: iso(grant.expiresAt),
    last_used_at: iso(grant.lastUsedAt ?? null),
    revoked_at: iso(grant.revokedAt),
    revoked_reason: grant.revokedReason,
  };
}

/** A signing key's public facts: no key material at all. */
export function signingKeyView(
  key: SigningKeyRecord,
  signingKid: string | undefined,
  now = Date.now(),
): Record<string, unknown> {
  const retired = key.retiresAt !== null && key.retiresAt.getTime() <= now;
  return {
    kid: key.kid,
    alg: key.algorithm,
    status: key.kid === signingKid ? 'signing' : retired ? 'verifying' : 'standby',
    created_at: iso(key.createdAt),
    /** Null: signs until the next rotation. */
    signing_until: iso(key.retiresAt),
    /** Null: verifies until some time after it is retired. */
    verifying_until: iso(key.expiresAt),
  };
}

function iso(value: Date | null): string | null {
  return value ? value.toISOString() : null;
}
