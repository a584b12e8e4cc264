import { SignJWT } from 'jose';
import { randomToken } from './random-token';
import type { SigningKeyService } from './signing-key.service';

export interface AccessTokenIssuerConfig {
  /** The `iss` claim: the authorization server's issuer identifier. */
  issuer: string;
  /** Lifetime in seconds (AS-22: keep it short). */
  accessTokenTtl: number;
}

export interface AccessTokenRequest {
  /** The resource owner. */
  subject: string;
  clientId: string;
  /** Canonical resource URI the token is for (AS-15, RS-7). */
  audience: string;
  scopes: readonly string[];
  /** Grant the token belongs to, so revoking the grant can also refuse its access tokens. */
  grantId: string;
  /** Further claims (e.g. `gty`); they cannot replace the registered and core ones. */
  extraClaims?: Readonly<Record<string, string>>;
}

export interface IssuedAccessToken {
  token: string;
  jti: string;
  expiresAt: Date;
  /** Seconds, for the token response's `expires_in`. */
  expiresIn: number;
}

/** RFC 9068 `typ` header of JWT access tokens. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

/**
 * Issues JWT access tokens (RFC 9068) that any resource server can verify against the JWKS,
 * without a database round trip.
 */
export class AccessTokenIssuer {
  constructor(
    private readonly keys: SigningKeyService,
    private readonly config: AccessTokenIssuerConfig,
  ) {
    if (!Number.isInteger(config.accessTokenTtl) || config.accessTokenTtl <= 0) {
      throw new Error('mcp-auth: accessTokenTtl must be a positive whole number of seconds');
    }
  }

  async issue(request: AccessTokenRequest): Promise<IssuedAccessToken> {
    for (const scope of request.scopes) {
      // The claim is space-separated (RFC 9068 §2.2.3, RFC 6749 §3.3).
      if (scope === '' || /\s/.test(scope)) {
        throw new Error(`mcp-auth: invalid scope token ${JSON.stringify(scope)}`);
      }
    }
    // Picks up a rotation done by another instance before signing.
    await this.keys.refreshIfStale();
    const { kid, alg, key } = this.keys.getSigningKey();

    const issuedAt = Math.floor(Date.now() / 1000);
    const expiresAtSeconds = issuedAt + this.config.accessTokenTtl;
    const jti = randomToken(16);
    const claims: Record<string, string> = {
      ...request.extraClaims,
      client_id: request.clientId,
      gid: request.grantId,
    };
    if (request.scopes.length > 0) claims.scope = request.scopes.join(' ');

    // jose signs with the key's CryptoKey, imported once per key by the keystore. Signing
    // outside jose (node:crypto directly) saved about 35 µs per token, but JWS serialization
    // is not something this library writes itself.
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg, kid, typ: ACCESS_TOKEN_TYPE })
      .setIssuer(this.config.issuer)
      .setSubject(request.subject)
      .setAudience(request.audience)
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAtSeconds)
      .setJti(jti)
      .sign(key);

    return {
      token,
      jti,
      expiresAt: new Date(expiresAtSeconds * 1000),
      expiresIn: this.config.accessTokenTtl,
    };
  }
}
