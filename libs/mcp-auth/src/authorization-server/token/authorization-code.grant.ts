import { Injectable } from '@nestjs/common';
import { McpAuthAudit } from '../../audit/audit.service';
import { McpAuthConfig } from '../../mcp-auth.config';
import { OAuthError } from '../../oauth/oauth-error';
import { computeS256Challenge, isValidCodeVerifier, verifyPkceS256 } from '../../oauth/pkce';
import {
  InjectAuthorizationCodeStore,
  type AuthorizationCodeRecord,
  type AuthorizationCodeStore,
} from '../../storage/authorization-code-store.interface';
import type { ClientRecord } from '../../storage/client-store.interface';
import { InjectGrantStore, type GrantStore } from '../../storage/grant-store.interface';
import { hashSecret } from '../../tokens/secret-hash';
import type { FormParameters } from '../client-authentication/form-parameters';
import { isSameResource, readRequestedResource } from './requested-resource';
import { ClientChangedError } from './client-changed.error';
import type { TokenGrant } from './token-grant.interface';
import { auditedTokens, TokenIssuanceService } from './token-issuance.service';
import type { TokenResponse } from './token-response.interface';

const INVALID_CODE = 'The authorization code is invalid, expired or used.';

/** What the token request says about the code, read and checked before it is consumed. */
interface CodeRedemption {
  code: string;
  redirectUri: string | undefined;
  codeVerifier: string;
  resource: string | undefined;
}

/**
 * `grant_type=authorization_code` (OAuth 2.1 §4.1.3).
 *
 * Everything that can be judged without the code (parameters, verifier syntax, resource) is
 * checked first. The binding (client, redirect_uri, PKCE challenge, resource; AS-19) is then
 * checked by the same atomic statement that consumes the code, so a refused redemption
 * changes nothing: the code stays usable by the client it was issued to, and nobody can burn
 * or revoke someone else's authorization by guessing wrong.
 *
 * A replay by the client the code was issued to revokes the grant (AS-19): every token issued
 * from the code stops working. A used code presented by another client is only refused.
 */
@Injectable()
export class AuthorizationCodeGrant implements TokenGrant {
  readonly grantType = 'authorization_code';

  constructor(
    @InjectAuthorizationCodeStore() private readonly codes: AuthorizationCodeStore,
    @InjectGrantStore() private readonly grants: GrantStore,
    private readonly issuance: TokenIssuanceService,
    private readonly config: McpAuthConfig,
    private readonly audit: McpAuthAudit,
  ) {}

  async exchange(client: ClientRecord, params: FormParameters): Promise<TokenResponse> {
    const redemption = this.readRequest(params);
    // Minted up front so the statement that consumes the code also stores it: one round trip.
    const refresh = this.issuance.mayRefresh(client) ? this.issuance.newRefreshToken() : undefined;
    const consumption = await this.codes.consume(
      hashSecret(redemption.code),
      {
        clientId: client.clientId,
        codeChallenge: computeS256Challenge(redemption.codeVerifier),
        redirectUri: redemption.redirectUri,
        resource: redemption.resource,
        clientVersion: client.version,
      },
      refresh,
    );
    switch (consumption.status) {
      case 'consumed':
        break;
      case 'mismatch':
        // Says which binding failed; throws.
        this.checkBinding(consumption.code, client, redemption);
        throw OAuthError.invalidGrant(INVALID_CODE);
      case 'client_changed':
        throw new ClientChangedError();
      case 'replayed':
        await this.onReplay(client, consumption.grantId, consumption.clientId);
        throw OAuthError.invalidGrant(INVALID_CODE);
      default:
        throw OAuthError.invalidGrant(INVALID_CODE);
    }

    const record = consumption.code;
    const subject = {
      grantId: record.grantId,
      clientId: record.clientId,
      subject: record.subject,
      scopes: record.scopes,
      resource: record.resource,
    };
    const refreshToken = refresh?.token;
    const response = await this.issuance.respond(subject, refreshToken);
    this.audit.emit({
      type: 'token.issued',
      grant_type: this.grantType,
      ...auditedTokens(subject),
      refresh_token: refreshToken !== undefined,
    });
    return response;
  }

  /**
   * AS-19 (OAuth 2.1 §4.1.3): a second use by the client the code was issued to revokes every
   * token issued from the code. Another client's attempt is only refused (and audited).
   */
  private async onReplay(client: ClientRecord, grantId: string, codeClientId: string) {
    const revoke = codeClientId === client.clientId;
    if (revoke) await this.grants.revokeGrant(grantId, 'code_replay');
    const facts = { client_id: client.clientId, grant_id: grantId };
    this.audit.emit({ type: 'code.replayed', ...facts, grant_revoked: revoke });
    if (revoke) {
      this.audit.emit({ type: 'grant.revoked', ...facts, reason: 'code_replay', actor: 'system' });
    }
  }

  private readRequest(params: FormParameters): CodeRedemption {
    const code = params.require('code');
    const redirectUri = params.get('redirect_uri');
    // AS-13: PKCE is mandatory for every client; a request without a verifier cannot succeed.
    const codeVerifier = params.get('code_verifier');
    if (codeVerifier === undefined) {
      throw OAuthError.invalidRequest('The code_verifier parameter is required (PKCE).');
    }
    if (!isValidCodeVerifier(codeVerifier)) {
      throw OAuthError.invalidRequest('The code_verifier is not a valid RFC 7636 verifier.');
    }
    const resource = readRequestedResource(params, this.config);
    return { code, redirectUri, codeVerifier, resource };
  }

  /** AS-19: the code is bound to its client, redirect_uri, PKCE challenge and resource. */
  private checkBinding(
    record: AuthorizationCodeRecord,
    client: ClientRecord,
    redemption: CodeRedemption,
  ): void {
    if (record.clientId !== client.clientId) {
      // Same answer as an unknown code: another client learns nothing about it.
      throw OAuthError.invalidGrant(INVALID_CODE);
    }
    // OAuth 2.1 §4.1.3: redirect_uri must be repeated when the authorization request had one;
    // when it had none, a redirect_uri that is sent must still be the one the code went to.
    if (record.redirectUriProvided && redemption.redirectUri === undefined) {
      throw OAuthError.invalidGrant('The redirect_uri parameter is required for this code.');
    }
    if (redemption.redirectUri !== undefined && redemption.redirectUri !== record.redirectUri) {
      throw OAuthError.invalidGrant('The redirect_uri does not match the authorization request.');
    }
    // AS-13: RFC 7636 §4.6, in constant time.
    if (!verifyPkceS256(redemption.codeVerifier, record.codeChallenge)) {
      throw OAuthError.invalidGrant('The code_verifier does not match the code challenge.');
    }
    // AS-15: a token request may repeat the resource, never change it (RFC 8707 §2.2).
    if (
      redemption.resource !== undefined &&
      !isSameResource(redemption.resource, record.resource)
    ) {
      throw OAuthError.invalidTarget('The resource does not match the authorization request.');
    }
  }
}
