import type { AccessTokenClaims } from '../../tokens/access-token-claims.interface';
import type { AccessTokenValidator } from '../../tokens/access-token.validator';
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
 *
 * A token the JWT verifier remembers (see `AccessTokenValidator`) yields the same frozen
 * claims object on every request, so the `VerifiedAccessToken` built from it for a resource is
 * kept alongside (weakly: it goes when the claims are forgotten) and answered again, frozen.
 * The deny-list is consulted on every request regardless.
 */
export class LocalIssuerTokenVerifier implements AccessTokenVerifier {
  /** `aud` is checked against the request's resource here (RS-7). */
  readonly checksAudience = true;
  private readonly built = new WeakMap<object, VerifiedAccessToken>();

  constructor(
    private readonly jwt: AccessTokenValidator,
    private readonly revocations: RevocationChecker | undefined,
  ) {}

  async verify(
    token: string,
    { resource }: AccessTokenVerificationContext,
  ): Promise<VerifiedAccessToken> {
    // Accepts any of our resources as `aud`; this request's resource is checked next.
    const claims = this.jwt.peekVerified(token) ?? (await this.jwt.verifyShared(token));
    return this.conclude(token, claims, resource);
  }

  /** `verify` for a token the JWT verifier remembers, answered synchronously. */
  verifyCached(
    token: string,
    { resource }: AccessTokenVerificationContext,
  ): VerifiedAccessToken | undefined {
    const claims = this.jwt.peekVerified(token);
    return claims === undefined ? undefined : this.conclude(token, claims, resource);
  }

  /** Audience for this resource, then the deny-list: on every request. */
  private conclude(
    token: string,
    claims: Readonly<AccessTokenClaims>,
    resource: string,
  ): VerifiedAccessToken {
    let verified = this.built.get(claims);
    if (verified === undefined || verified.resource !== resource) {
      verified = build(token, claims, resource);
      this.built.set(claims, verified);
    }
    if (this.revocations?.isRevoked(claims.jti, claims.gid)) {
      throw new InvalidAccessTokenError('token revoked');
    }
    return verified;
  }
}

function build(
  token: string,
  all: Readonly<AccessTokenClaims>,
  resource: string,
): VerifiedAccessToken {
  const { scopes, ...claims } = all;
  const audience = Object.freeze(audienceOf(claims.aud));
  // RS-7 / RS-10: a token for another resource of the same issuer is refused.
  assertAudience(audience, resource);
  return Object.freeze({
    token,
    issuer: claims.iss,
    clientId: claims.client_id,
    subject: claims.sub,
    scopes,
    expiresAt: claims.exp,
    audience,
    resource,
    jti: claims.jti,
    claims: Object.freeze(claims),
  });
}
