import { decodeJwt, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { InvalidAccessTokenError } from '../../tokens/invalid-access-token.error';
import { MAX_TOKEN_LENGTH } from '../../oauth/token-length';
import { toInvalidAccessTokenError } from '../../tokens/jose-verification-error';
import {
  AccessTokenVerifierUnavailableError,
  type AccessTokenVerificationContext,
  type AccessTokenVerifier,
  type VerifiedAccessToken,
} from '../access-token-verifier.interface';
import { DEFAULT_CLOCK_TOLERANCE } from '../resource-server.constants';
import type { JwksVerifierOptions } from '../resource-server-options.interface';
import { assertAudience, toVerifiedAccessToken } from './access-token-claims';
import { AuthorizationServerDiscovery } from './authorization-server-discovery';
import { RemoteKeySet } from './remote-key-set';

/** Asymmetric algorithms only: `none` and HMAC (keyed with a public key) are never accepted. */
export const DEFAULT_JWT_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'RS256', 'PS256', 'EdDSA'];

export interface RemoteJwksTokenVerifierConfig extends Omit<JwksVerifierOptions, 'type'> {
  /** Accepted issuers, compared exactly with `iss` (AS-4). */
  issuers: readonly string[];
  clockTolerance?: number;
}

/**
 * Verifies JWT access tokens of external issuers (RFC 9068) with their published keys:
 * `jwks_uri` discovered from RFC 8414 or OIDC metadata, keys cached (see `RemoteKeySet`).
 * Checks signature, the algorithm allow-list, `typ`, `iss`, `aud` (RS-7), `exp` and `nbf`.
 */
export class RemoteJwksTokenVerifier implements AccessTokenVerifier {
  /** `aud` is checked against the request's resource here (RS-7). */
  readonly checksAudience = true;
  private readonly keySets = new Map<string, RemoteKeySet>();
  private readonly discoveries = new Map<string, AuthorizationServerDiscovery>();
  private readonly algorithms: string[];
  private readonly tokenTypes: Set<string> | undefined;
  private readonly clockTolerance: number;

  constructor(config: RemoteJwksTokenVerifierConfig) {
    if (config.issuers.length === 0) throw new Error('mcp-auth: jwks verifier needs an issuer');
    if (config.jwksUri !== undefined && config.issuers.length !== 1) {
      throw new Error(
        'mcp-auth: verifier.jwksUri is only allowed with a single authorization server',
      );
    }
    this.algorithms = [...(config.algorithms ?? DEFAULT_JWT_ALGORITHMS)];
    if (this.algorithms.some((alg) => alg === 'none' || /^HS/i.test(alg))) {
      throw new Error('mcp-auth: verifier.algorithms must not contain none or HMAC algorithms');
    }
    const types = config.tokenTypes ?? ['at+jwt'];
    this.tokenTypes = types === false ? undefined : new Set(types.map(normalizeTyp));
    this.clockTolerance = config.clockTolerance ?? DEFAULT_CLOCK_TOLERANCE;
    const timeoutMs = (config.timeout ?? 5) * 1000;
    for (const issuer of config.issuers) {
      const discovery = new AuthorizationServerDiscovery(issuer, { timeoutMs });
      this.discoveries.set(issuer, discovery);
      const jwksUri = config.jwksUri;
      this.keySets.set(
        issuer,
        new RemoteKeySet(jwksUri !== undefined ? async () => jwksUri : () => jwksUriOf(discovery), {
          refetchCooldownMs: (config.refetchCooldown ?? 30) * 1000,
          maxAgeMs: (config.cacheMaxAge ?? 600) * 1000,
          timeoutMs,
        }),
      );
    }
  }

  /** The cached key set of an issuer (for tests and metrics). */
  keySet(issuer: string): RemoteKeySet | undefined {
    return this.keySets.get(issuer);
  }

  async verify(
    token: string,
    { resource }: AccessTokenVerificationContext,
  ): Promise<VerifiedAccessToken> {
    if (typeof token !== 'string' || token === '' || token.length > MAX_TOKEN_LENGTH) {
      throw new InvalidAccessTokenError('malformed token');
    }
    let claimedIssuer: unknown;
    let typ: unknown;
    try {
      claimedIssuer = decodeJwt(token).iss;
      typ = decodeProtectedHeader(token).typ;
    } catch {
      throw new InvalidAccessTokenError('malformed token');
    }
    // Chosen before verification only to pick the key set; jwtVerify then requires it.
    const keySet = typeof claimedIssuer === 'string' ? this.keySets.get(claimedIssuer) : undefined;
    if (!keySet) throw new InvalidAccessTokenError('"iss" claim check failed');
    // RFC 9068 §4: refuses ID tokens and other JWTs signed by the same keys.
    if (this.tokenTypes && (typeof typ !== 'string' || !this.tokenTypes.has(normalizeTyp(typ)))) {
      throw new InvalidAccessTokenError('unexpected "typ" JWT header value');
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keySet.getKey, {
        algorithms: this.algorithms,
        issuer: claimedIssuer as string,
        clockTolerance: this.clockTolerance,
        requiredClaims: ['iss', 'aud', 'exp'],
      }));
    } catch (error) {
      throw toVerificationError(error);
    }
    const verified = toVerifiedAccessToken(token, payload, resource);
    assertAudience(verified.audience, resource);
    return verified;
  }
}

async function jwksUriOf(discovery: AuthorizationServerDiscovery): Promise<string> {
  const metadata = await discovery.get();
  if (typeof metadata.jwks_uri !== 'string') {
    throw new AccessTokenVerifierUnavailableError(`${discovery.issuer} publishes no jwks_uri`);
  }
  return metadata.jwks_uri;
}

/** RFC 8725 §3.11: `typ` compares case-insensitively, `application/` is implied. */
function normalizeTyp(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
}

/** An unreachable JWKS stays "unavailable" (503), not a refused token (401). */
function toVerificationError(error: unknown): Error {
  if (error instanceof AccessTokenVerifierUnavailableError) return error;
  return toInvalidAccessTokenError(error);
}
