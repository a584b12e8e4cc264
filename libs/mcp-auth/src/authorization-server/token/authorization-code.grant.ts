import { Injectable, Logger } from '@nestjs/common';
import { McpAuthConfig } from '../../mcp-auth.config';
import { OAuthError } from '../../oauth/oauth-error';
import { isValidCodeVerifier, verifyPkceS256 } from '../../oauth/pkce';
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
import type { TokenGrant } from './token-grant.interface';
import { TokenIssuanceService } from './token-issuance.service';
import type { TokenResponse } from './token-response.interface';

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
 * Ordering: everything that can be judged without the code (parameters, verifier syntax,
 * resource) is checked first, so a malformed request never burns a code. The checks against
 * the stored binding (client, redirect_uri, PKCE, resource) can only run once the code has
 * been consumed atomically; when one fails the code stays burned, as OAuth intends (a code is
 * single-use whatever the outcome, AS-19), and its grant is revoked: the code has been
 * presented by someone who could not complete it, so it is treated as compromised.
 */
@Injectable()
export class AuthorizationCodeGrant implements TokenGrant {
  readonly grantType = 'authorization_code';
  private readonly logger = new Logger(AuthorizationCodeGrant.name);

  constructor(
    @InjectAuthorizationCodeStore() private readonly codes: AuthorizationCodeStore,
    @InjectGrantStore() private readonly grants: GrantStore,
    private readonly issuance: TokenIssuanceService,
    private readonly config: McpAuthConfig,
  ) {}

  async exchange(client: ClientRecord, params: FormParameters): Promise<TokenResponse> {
    const redemption = this.readRequest(params);
    const consumption = await this.codes.consume(hashSecret(redemption.code));
    switch (consumption.status) {
      case 'consumed':
        break;
      case 'replayed':
        // AS-19 (OAuth 2.1 §4.1.3): a second use revokes every token issued from the code.
        await this.grants.revokeGrant(consumption.grantId, 'code_replay');
        this.logger.warn(
          `Authorization code replayed; revoked grant ${consumption.grantId} of client ${consumption.clientId}`,
        );
        throw OAuthError.invalidGrant('The authorization code is invalid, expired or used.');
      default:
        throw OAuthError.invalidGrant('The authorization code is invalid, expired or used.');
    }

    const record = consumption.code;
    try {
      this.checkBinding(record, client, redemption);
    } catch (error) {
      await this.grants.revokeGrant(record.grantId, 'code_replay');
      throw error;
    }

    const subject = {
      grantId: record.grantId,
      clientId: record.clientId,
      subject: record.subject,
      scopes: record.scopes,
      resource: record.resource,
    };
    const refreshToken = this.issuance.mayRefresh(client)
      ? await this.issuance.issueRefreshToken(subject)
      : undefined;
    return this.issuance.respond(subject, refreshToken);
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
      throw OAuthError.invalidGrant('The authorization code was issued to another client.');
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
