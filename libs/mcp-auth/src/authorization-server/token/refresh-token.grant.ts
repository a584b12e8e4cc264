import { Injectable } from '@nestjs/common';
import { McpAuthAudit } from '../../audit/audit.service';
import { McpAuthConfig } from '../../mcp-auth.config';
import { OAuthError } from '../../oauth/oauth-error';
import { parseScope } from '../../oauth/scope';
import type { ClientRecord } from '../../storage/client-store.interface';
import { InjectGrantStore, type GrantStore } from '../../storage/grant-store.interface';
import { hashSecret } from '../../tokens/secret-hash';
import type { FormParameters } from '../client-authentication/form-parameters';
import { readRequestedResource } from './requested-resource';
import { ClientChangedError } from './client-changed.error';
import type { TokenGrant } from './token-grant.interface';
import { auditedTokens, TokenIssuanceService } from './token-issuance.service';
import type { TokenResponse } from './token-response.interface';

const INVALID_REFRESH_TOKEN = 'The refresh token is invalid, expired or revoked.';

/**
 * `grant_type=refresh_token` (OAuth 2.1 §4.3) with rotation on every use (AS-23).
 *
 * The scope and resource checks run in the store's rotation statement itself: a refused
 * request changes nothing, and a granted one is a single database round trip.
 *
 * Presenting an already rotated token is reuse: a stolen token or a client that lost a
 * response. Outside the configured grace window (`tokens.refreshReuseGraceSeconds`, default 2)
 * the whole grant is revoked, so the newest refresh token and every access token of the family
 * stop working too. Inside it the request is only refused (`invalid_grant`): a client that sent
 * two refreshes in parallel keeps the successor the winning one received, and a thief still
 * gets nothing. A client whose only response was lost must authorize again either way.
 */
@Injectable()
export class RefreshTokenGrant implements TokenGrant {
  readonly grantType = 'refresh_token';

  constructor(
    @InjectGrantStore() private readonly grants: GrantStore,
    private readonly issuance: TokenIssuanceService,
    private readonly config: McpAuthConfig,
    private readonly audit: McpAuthAudit,
  ) {}

  async exchange(client: ClientRecord, params: FormParameters): Promise<TokenResponse> {
    const presented = params.require('refresh_token');
    const requestedScopes = parseScope(params.get('scope'));
    const requestedResource = readRequestedResource(params, this.config);
    const successor = this.issuance.newRefreshToken();

    // One statement checks the token, judges the request against it, rotates it and stores
    // the successor (which keeps the old scope, RFC 6749 §6; only the access token narrows).
    const rotation = await this.grants.rotateRefreshToken({
      tokenHash: hashSecret(presented),
      clientId: client.clientId,
      requestedScopes,
      requestedResource,
      successorHash: successor.tokenHash,
      successorExpiresAt: successor.expiresAt,
      clientVersion: client.version,
    });

    switch (rotation.status) {
      case 'rotated': {
        const next = rotation.next;
        const subject = {
          grantId: next.grantId,
          clientId: next.clientId,
          subject: next.subject,
          scopes: requestedScopes.length > 0 ? requestedScopes : next.scopes,
          resource: next.resource,
        };
        const response = await this.issuance.respond(subject, successor.token);
        this.audit.emit({ type: 'token.refreshed', ...auditedTokens(subject) });
        return response;
      }
      case 'reused':
        await this.onReuse(client, rotation.grantId, rotation.rotatedAt);
        throw OAuthError.invalidGrant(INVALID_REFRESH_TOKEN);
      // AS-23 / OAuth 2.1 §4.3.1: a refresh may narrow the scope, never widen it.
      case 'invalid_scope':
        throw OAuthError.invalidScope('The requested scope exceeds the scope of the grant.');
      // AS-15: the resource of a refresh is the one the grant was made for.
      case 'invalid_target':
        throw OAuthError.invalidTarget('The resource does not match the grant.');
      case 'client_changed':
        throw new ClientChangedError();
      default:
        throw OAuthError.invalidGrant(INVALID_REFRESH_TOKEN);
    }
  }

  /** Revokes the family unless the reuse falls inside the grace window (see the class doc). */
  private async onReuse(client: ClientRecord, grantId: string, rotatedAt: Date): Promise<void> {
    const graceMs = this.config.refreshReuseGraceSeconds * 1000;
    // rotatedAt comes from the database clock; the grace is small and skew between the app
    // and database clocks only shifts the window by that skew.
    const revoke = !(graceMs > 0 && Date.now() - rotatedAt.getTime() <= graceMs);
    if (revoke) await this.grants.revokeGrant(grantId, 'refresh_token_reuse');
    const facts = { client_id: client.clientId, grant_id: grantId };
    this.audit.emit({ type: 'refresh_token.reused', ...facts, grant_revoked: revoke });
    if (revoke) {
      this.audit.emit({
        type: 'grant.revoked',
        ...facts,
        reason: 'refresh_token_reuse',
        actor: 'system',
      });
    }
  }
}
