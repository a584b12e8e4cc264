import { Inject, Injectable } from '@nestjs/common';
import { McpAuthAudit } from '../audit/audit.service';
import { TrustedIssuerKeys } from '../authorization-server/enterprise/trusted-issuer-keys';
import { UpstreamProviders } from '../federation/upstream-providers';
import { McpAuthConfig } from '../mcp-auth.config';
import type { ContactStatus } from '../oauth/contact-status';
import { OAuthError } from '../oauth/oauth-error';
import { RevocationList } from '../resource-server/revocation/revocation-list';
import {
  type ClientSource,
  ClientStore,
  InvalidClientListQueryError,
} from '../storage/client-store.interface';
import {
  GrantStore,
  type GrantRevocationFilter,
  InvalidGrantListQueryError,
} from '../storage/grant-store.interface';
import { SigningKeyStore } from '../storage/signing-key-store.interface';
import { SigningKeyService } from '../tokens/signing-key.service';
import { clientView, grantView, signingKeyView } from './administration-views';

type View = Record<string, unknown>;

/** How many revoked grant ids a bulk revocation lists in its answer and audit event. */
export const LISTED_REVOKED_IDS = 100;

/** A 404 in the API's one error shape. */
function notFound(what: string): OAuthError {
  return new OAuthError('invalid_request', `No ${what} with this id.`, { status: 404 });
}

/** A store's refusal of a query (foreign cursor, limit) as the client's mistake. */
function asInvalidRequest(error: unknown): unknown {
  return error instanceof InvalidClientListQueryError || error instanceof InvalidGrantListQueryError
    ? OAuthError.invalidRequest(`The query is not valid: ${error.message}.`)
    : error;
}

/**
 * What the administration API does, each mutation audited with the administrator's identity.
 * Revocations reach this instance's deny-list at once and the others' through NOTIFY.
 */
@Injectable()
export class AdministrationService {
  constructor(
    private readonly config: McpAuthConfig,
    @Inject(ClientStore) private readonly clients: ClientStore,
    @Inject(GrantStore) private readonly grants: GrantStore,
    @Inject(SigningKeyStore) private readonly keyStore: SigningKeyStore,
    private readonly keys: SigningKeyService,
    private readonly revocations: RevocationList,
    private readonly upstream: UpstreamProviders,
    private readonly trustedIssuers: TrustedIssuerKeys,
    private readonly audit: McpAuthAudit,
  ) {}

  async listClients(query: {
    source?: ClientSource;
    limit: number;
    cursor?: string;
  }): Promise<View> {
    const page = await this.clients.list(query).catch((error: unknown) => {
      throw asInvalidRequest(error);
    });
    return { clients: page.clients.map(clientView), next_cursor: page.nextCursor };
  }

  async getClient(clientId: string): Promise<View> {
    const client = await this.clients.findById(clientId);
    if (!client) throw notFound('client');
    return clientView(client);
  }

  /** Deletes the client; `ClientStore.delete` revokes its grants in the same transaction. */
  async deleteClient(clientId: string, administrator: string): Promise<void> {
    const client = await this.clients.findById(clientId);
    const deletion = client && (await this.clients.delete(clientId));
    if (!client || !deletion) throw notFound('client');
    for (const id of deletion.revokedGrantIds) this.revocations.add('grant', id);
    this.audit.emit({
      type: 'admin.client_deleted',
      administrator,
      client_id: client.clientId,
      source: client.source,
    });
  }

  async listGrants(query: {
    subject?: string;
    clientId?: string;
    status?: 'active' | 'all';
    limit: number;
    cursor?: string;
  }): Promise<View> {
    const page = await this.grants.listGrants(query).catch((error: unknown) => {
      throw asInvalidRequest(error);
    });
    const now = Date.now();
    return { grants: page.grants.map((g) => grantView(g, now)), next_cursor: page.nextCursor };
  }

  async getGrant(grantId: string): Promise<View> {
    const grant = await this.grants.findGrant(grantId);
    if (!grant) throw notFound('grant');
    return grantView(grant);
  }

  /**
   * Revokes one live grant. Whether this call ended it comes from the store's own statement,
   * so of two concurrent calls exactly one is audited; a grant already ended is answered as is.
   */
  async revokeGrant(grantId: string, administrator: string): Promise<View> {
    const [revoked] = await this.grants.revokeGrantsWhere({ grantId }, 'revoked_by_administrator');
    if (revoked) {
      this.revocations.add('grant', grantId);
      this.audit.emit({
        type: 'admin.grant_revoked',
        administrator,
        revoked_count: 1,
        grant_ids: [grantId],
      });
      return grantView(revoked);
    }
    const grant = await this.grants.findGrant(grantId);
    if (!grant) throw notFound('grant');
    return grantView(grant);
  }

  /** Revokes the live grants of a subject and/or client; the answer names the first ones. */
  async revokeGrantsWhere(filter: GrantRevocationFilter, administrator: string): Promise<View> {
    const revoked = await this.grants.revokeGrantsWhere(filter, 'revoked_by_administrator');
    for (const grant of revoked) this.revocations.add('grant', grant.id);
    // A user of many clients may have thousands: count them all, list a bounded number.
    const ids = revoked.slice(0, LISTED_REVOKED_IDS).map((grant) => grant.id);
    this.audit.emit({
      type: 'admin.grant_revoked',
      administrator,
      revoked_count: revoked.length,
      grant_ids: ids,
      subject: filter.subject,
      client_id: filter.clientId,
    });
    return {
      revoked: revoked.length,
      grant_ids: ids,
      grant_ids_truncated: ids.length < revoked.length,
    };
  }

  async listSigningKeys(): Promise<View> {
    // Another instance may have rotated: read the store's key set first if ours is stale.
    await this.keys.refreshIfStale();
    const signing = this.keys.getSigningKey().kid;
    const now = Date.now();
    const keys = await this.keyStore.listUsable();
    return { keys: keys.map((key) => signingKeyView(key, signing, now)) };
  }

  /**
   * A new key signs from now on; the previous ones stop signing and keep verifying for the
   * access-token lifetime plus margins (`SigningKeyService`), so tokens they signed live on.
   */
  async rotateSigningKey(administrator: string): Promise<View> {
    // Keys that could still sign before: those this rotation retired.
    const signingBefore = new Set(
      (await this.keyStore.listUsable())
        .filter((key) => key.retiresAt === null || key.retiresAt.getTime() > Date.now())
        .map((key) => key.kid),
    );
    await this.keys.rotate();
    const kid = this.keys.getSigningKey().kid;
    const after = await this.keyStore.listUsable();
    const retired = after
      .filter((key) => key.kid !== kid && signingBefore.has(key.kid) && key.retiresAt !== null)
      .map((key) => key.kid);
    this.audit.emit({
      type: 'admin.signing_key_rotated',
      administrator,
      kid,
      retired_kids: retired,
    });
    const now = Date.now();
    return { kid, keys: after.map((key) => signingKeyView(key, kid, now)) };
  }

  /** The upstream (federation) and enterprise (ID-JAG) providers: identity and health, no secret. */
  identityProviders(): View {
    const federation = this.upstream.all().map((provider) => {
      const options = provider.options;
      return {
        kind: 'federation',
        id: provider.id,
        name: provider.name,
        type: options.type,
        issuer:
          options.type === 'oidc'
            ? options.issuer
            : (options.issuer ?? new URL(options.authorizationEndpoint).origin),
        ...contactView(provider.status),
      };
    });
    const enterprise = this.config.enterprise.trustedIdentityProviders.map((provider) => ({
      kind: 'enterprise',
      issuer: provider.issuer,
      jwks_uri: provider.jwksUri ?? null,
      ...contactView(this.trustedIssuers.status(provider.issuer)),
    }));
    return { providers: [...federation, ...enterprise] };
  }
}

function contactView(status: ContactStatus): View {
  return {
    status:
      status.lastSuccessAt === null && status.lastFailureAt === null
        ? 'not_contacted'
        : status.lastError === null
          ? 'ok'
          : 'failing',
    last_success_at: status.lastSuccessAt?.toISOString() ?? null,
    last_failure_at: status.lastFailureAt?.toISOString() ?? null,
    last_error: status.lastError,
  };
}
