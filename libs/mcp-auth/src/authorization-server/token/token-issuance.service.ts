import { Injectable } from '@nestjs/common';
import { McpAuthConfig } from '../../mcp-auth.config';
import { OAuthError } from '../../oauth/oauth-error';
import { formatScope } from '../../oauth/scope';
import type { ClientRecord } from '../../storage/client-store.interface';
import { AccessTokenIssuer } from '../../tokens/access-token.issuer';
import { randomToken } from '../../tokens/random-token';
import { hashSecret } from '../../tokens/secret-hash';
import type { TokenResponse } from './token-response.interface';

/** What tokens are issued for: one grant, narrowed to `scopes`, for one resource. */
export interface TokenSubject {
  grantId: string;
  clientId: string;
  subject: string;
  scopes: readonly string[];
  /** Canonical resource URI: the access token's `aud` (AS-15, RS-7). */
  resource: string;
}

/** What the `token.*` audit events tell of the tokens of a response. */
export function auditedTokens(subject: TokenSubject) {
  return {
    client_id: subject.clientId,
    subject: subject.subject,
    grant_id: subject.grantId,
    scopes: [...subject.scopes],
    resource: subject.resource,
  };
}

/** A refresh token not yet stored: the value goes to the client, only the hash to the store. */
export interface NewRefreshTokenValue {
  token: string;
  tokenHash: string;
  expiresAt: Date;
}

/**
 * Mints the tokens of a token response: JWT access tokens (RFC 9068) and opaque refresh tokens,
 * stored only as hashes (by the grant's own statement: see the code and refresh grants).
 */
@Injectable()
export class TokenIssuanceService {
  constructor(
    private readonly accessTokens: AccessTokenIssuer,
    private readonly config: McpAuthConfig,
  ) {}

  /**
   * AS-23: whether a client gets refresh tokens. We issue one whenever the client registered
   * the `refresh_token` grant type; gating on the `offline_access` scope as well is allowed
   * (MCP 2026-07-28) but would leave SDK clients that never ask for it without refresh.
   */
  mayRefresh(client: ClientRecord): boolean {
    return client.grantTypes.includes('refresh_token');
  }

  /** A fresh 256-bit refresh token with the configured lifetime (renewed at every rotation). */
  newRefreshToken(): NewRefreshTokenValue {
    const token = randomToken();
    return {
      token,
      tokenHash: hashSecret(token),
      expiresAt: new Date(Date.now() + this.config.refreshTokenTtl * 1000),
    };
  }

  /** AS-21: signs an access token and builds the response around it. */
  async respond(
    subject: TokenSubject,
    refreshToken: string | undefined,
    extraClaims?: Readonly<Record<string, string>>,
  ): Promise<TokenResponse> {
    // The administration API's audience only for a client acting for itself, whatever grant
    // got here (the grants refuse it earlier; this is the one place every token passes).
    if (
      this.config.findResource(subject.resource)?.administration &&
      extraClaims?.gty !== 'client_credentials'
    ) {
      throw OAuthError.invalidTarget(
        'The administration API takes client credentials tokens only.',
      );
    }
    const issued = await this.accessTokens.issue({
      subject: subject.subject,
      clientId: subject.clientId,
      audience: subject.resource,
      scopes: subject.scopes,
      grantId: subject.grantId,
      extraClaims,
    });
    const response: TokenResponse = {
      access_token: issued.token,
      token_type: 'Bearer',
      expires_in: issued.expiresIn,
    };
    if (subject.scopes.length > 0) response.scope = formatScope(subject.scopes);
    if (refreshToken !== undefined) response.refresh_token = refreshToken;
    return response;
  }
}
