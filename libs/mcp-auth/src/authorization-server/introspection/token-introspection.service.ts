import { Injectable } from '@nestjs/common';
import { formatScope } from '../../oauth/scope';
import type { ClientRecord } from '../../storage/client-store.interface';
import { InjectGrantStore, type GrantStore } from '../../storage/grant-store.interface';
import type { AccessTokenClaims } from '../../tokens/access-token-claims.interface';
import { AccessTokenValidator } from '../../tokens/access-token.validator';
import { InvalidAccessTokenError } from '../../tokens/invalid-access-token.error';
import { hashSecret } from '../../tokens/secret-hash';
import type {
  AccessTokenIntrospection,
  IntrospectionResponse,
  RefreshTokenIntrospection,
} from './introspection-response.interface';

const INACTIVE = { active: false } as const;

/**
 * RFC 7662 token introspection (AS-27), always answered from the database: unlike the
 * resource server's in-memory deny-list it sees a revocation the moment it is committed.
 */
@Injectable()
export class TokenIntrospectionService {
  constructor(
    @InjectGrantStore() private readonly grants: GrantStore,
    private readonly verifier: AccessTokenValidator,
  ) {}

  /**
   * @param caller the authenticated confidential client asking
   * @param token the presented token, of either kind (the shape tells them apart: our access
   *   tokens are JWTs, our refresh tokens opaque values without dots)
   */
  async introspect(caller: ClientRecord, token: string): Promise<IntrospectionResponse> {
    return token.split('.').length === 3
      ? this.introspectAccessToken(token)
      : this.introspectRefreshToken(caller, token);
  }

  /**
   * Active when the signature, issuer, audience and expiry hold, its `jti` was not revoked
   * and its grant still stands. Any resource server registered as a confidential client may
   * ask about any access token: that is what introspection is for.
   */
  private async introspectAccessToken(token: string): Promise<IntrospectionResponse> {
    let claims: AccessTokenClaims;
    try {
      claims = await this.verifier.verify(token);
    } catch (error) {
      if (error instanceof InvalidAccessTokenError) return INACTIVE;
      throw error;
    }
    // The verifier tolerates a little clock skew; introspection answers for this instant.
    if (claims.exp * 1000 <= Date.now()) return INACTIVE;
    // Every token we issue names its grant; one that does not cannot be checked for revocation.
    if (claims.gid === undefined) return INACTIVE;
    const [revoked, grant] = await Promise.all([
      this.grants.isAccessTokenRevoked(claims.jti),
      this.grants.findGrant(claims.gid),
    ]);
    if (revoked || !grant || grant.revokedAt !== null) return INACTIVE;

    const response: AccessTokenIntrospection = {
      active: true,
      client_id: claims.client_id,
      sub: claims.sub,
      aud: claims.aud,
      iss: claims.iss,
      exp: claims.exp,
      iat: claims.iat,
      jti: claims.jti,
      token_type: 'Bearer',
    };
    if (claims.scope !== '') response.scope = claims.scope;
    return response;
  }

  /**
   * Active when it exists, was not rotated, has not expired and its grant stands. Only the
   * client that holds a refresh token learns about it: no resource server ever receives one,
   * so telling others would only help someone holding a stolen token check it.
   */
  private async introspectRefreshToken(
    caller: ClientRecord,
    token: string,
  ): Promise<IntrospectionResponse> {
    const found = await this.grants.findRefreshToken(hashSecret(token));
    if (
      !found ||
      found.clientId !== caller.clientId ||
      found.rotatedAt !== null ||
      found.grantRevoked ||
      found.expiresAt.getTime() <= Date.now()
    ) {
      return INACTIVE;
    }
    const response: RefreshTokenIntrospection = {
      active: true,
      client_id: found.clientId,
      sub: found.subject,
      exp: Math.floor(found.expiresAt.getTime() / 1000),
      token_type: 'refresh_token',
    };
    if (found.scopes.length > 0) response.scope = formatScope(found.scopes);
    return response;
  }
}
