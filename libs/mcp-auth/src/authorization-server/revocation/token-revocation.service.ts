import { Injectable } from '@nestjs/common';
import { McpAuthAudit } from '../../audit/audit.service';
import type { ClientRecord } from '../../storage/client-store.interface';
import { InjectGrantStore, type GrantStore } from '../../storage/grant-store.interface';
import type { AccessTokenClaims } from '../../tokens/access-token-claims.interface';
import { AccessTokenValidator } from '../../tokens/access-token.validator';
import { InvalidAccessTokenError } from '../../tokens/invalid-access-token.error';
import { hashSecret } from '../../tokens/secret-hash';

/** What a revocation did; the endpoint answers 200 either way (RFC 7009 §2.2). */
export type RevocationOutcome = 'refresh_token' | 'access_token' | 'ignored';

/**
 * RFC 7009 token revocation (AS-26) for the authenticated client's own tokens.
 *
 * The token's shape decides where to look: our access tokens are JWTs (three dot-separated
 * parts) and our refresh tokens are opaque base64url without dots, so one lookup finds either
 * kind and `token_type_hint` is not needed (RFC 7009 §2.1 lets the server ignore it).
 */
@Injectable()
export class TokenRevocationService {
  constructor(
    @InjectGrantStore() private readonly grants: GrantStore,
    private readonly verifier: AccessTokenValidator,
    private readonly audit: McpAuthAudit,
  ) {}

  /** Revokes `token` if it is a live token of `client`; anything else is silently ignored. */
  async revoke(client: ClientRecord, token: string): Promise<RevocationOutcome> {
    return isJwtShaped(token)
      ? this.revokeAccessToken(client, token)
      : this.revokeRefreshToken(client, token);
  }

  /**
   * AS-26: revoking a refresh token revokes its grant, which also ends the access tokens
   * issued under it (they carry the grant id, and the resource server deny-lists it).
   */
  private async revokeRefreshToken(
    client: ClientRecord,
    token: string,
  ): Promise<RevocationOutcome> {
    const found = await this.grants.findRefreshToken(hashSecret(token));
    // RFC 7009 §2.1: a token of another client is not revoked, and the answer says nothing.
    if (!found || found.clientId !== client.clientId) {
      return 'ignored';
    }
    await this.grants.revokeGrant(found.grantId, 'revoked_by_client');
    if (!found.grantRevoked) {
      this.audit.emit({
        type: 'grant.revoked',
        grant_id: found.grantId,
        client_id: client.clientId,
        subject: found.subject,
        reason: 'revoked_by_client',
        actor: 'client',
      });
    }
    return 'refresh_token';
  }

  /** Only this access token is revoked; its refresh token family stays (RFC 7009 §2.1 MAY). */
  private async revokeAccessToken(client: ClientRecord, token: string): Promise<RevocationOutcome> {
    let claims: AccessTokenClaims;
    try {
      claims = await this.verifier.verify(token);
    } catch (error) {
      // Not ours, forged or already expired: nothing to revoke.
      if (error instanceof InvalidAccessTokenError) return 'ignored';
      throw error;
    }
    if (claims.client_id !== client.clientId) {
      return 'ignored';
    }
    await this.grants.revokeAccessToken(claims.jti, new Date(claims.exp * 1000));
    this.audit.emit({
      type: 'token.revoked',
      token_type: 'access_token',
      client_id: client.clientId,
      subject: claims.sub,
      grant_id: claims.gid ?? null,
      jti: claims.jti,
      actor: 'client',
    });
    return 'access_token';
  }
}

/** A compact JWS has exactly three dot-separated parts; our refresh tokens have no dot. */
function isJwtShaped(token: string): boolean {
  return token.split('.').length === 3;
}
