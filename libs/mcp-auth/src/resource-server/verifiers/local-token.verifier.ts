import type { LocalAccessTokenVerifier } from '../../tokens/access-token-verifier';
import { InvalidAccessTokenError } from '../../tokens/invalid-access-token.error';
import type {
  AccessTokenVerificationContext,
  AccessTokenVerifier,
  VerifiedAccessToken,
} from '../access-token-verifier.interface';
import type { RevocationChecker } from '../revocation/revocation-list';
import { assertAudience, audienceOf } from './access-token-claims';

/**
 * Verifies tokens of this application's own authorization server: signature, `typ`, `iss`,
 * `exp`/`nbf` by our keys in memory (rotated keys are picked up on an unknown `kid`), the
 * route's resource as `aud`, and the revocation deny-list. No database round trip.
 */
export class LocalTokenVerifier implements AccessTokenVerifier {
  constructor(
    private readonly jwt: LocalAccessTokenVerifier,
    private readonly revocations: RevocationChecker | undefined,
  ) {}

  async verify(
    token: string,
    { resource }: AccessTokenVerificationContext,
  ): Promise<VerifiedAccessToken> {
    // Accepts any of our resources as `aud`; this request's resource is checked next.
    const { scopes, ...claims } = await this.jwt.verify(token);
    const audience = audienceOf(claims.aud);
    // RS-7 / RS-10: a token for another resource of the same issuer is refused.
    assertAudience(audience, resource);
    if (this.revocations?.isRevoked(claims.jti, claims.gid)) {
      throw new InvalidAccessTokenError('token revoked');
    }
    return {
      token,
      issuer: claims.iss,
      clientId: claims.client_id,
      subject: claims.sub,
      scopes,
      expiresAt: claims.exp,
      audience,
      resource,
      jti: claims.jti,
      claims,
    };
  }
}
