import { Logger } from '@nestjs/common';
import {
  jwtVerify,
  type CryptoKey,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
} from 'jose';
import { canonicalizeResourceUri } from '../oauth/resource-uri';
import { MAX_TOKEN_LENGTH } from '../oauth/token-length';
import { copyClaims, freezeClaims, toAccessTokenClaims } from './access-token-claims';
import type { AccessTokenClaims } from './access-token-claims.interface';
import { ACCESS_TOKEN_TYPE } from './access-token.issuer';
import { InvalidAccessTokenError } from './invalid-access-token.error';
import { toInvalidAccessTokenError } from './jose-verification-error';
import type { SigningKeyService } from './signing-key.service';
import { VerifiedTokenCache, type VerifiedEntry } from './verified-token.cache';

export type { AccessTokenClaims } from './access-token-claims.interface';
export { InvalidAccessTokenError } from './invalid-access-token.error';

export interface LocalAccessTokenVerifierConfig {
  /** Expected `iss`, compared exactly (AS-4). */
  issuer: string;
  /** Resource URIs this server answers for; `aud` must name one of them (RS-7). */
  audiences: readonly string[];
  /** Seconds of clock skew tolerated on `exp` and `nbf`. Default 5. */
  clockTolerance?: number;
  /**
   * Minimum seconds between key reloads caused by an unknown `kid`. Default 1: a key rotated by
   * another instance is picked up at once, and a flood of made-up kids costs one query a second.
   */
  unknownKidRefreshInterval?: number;
  /**
   * Most verified tokens remembered (see `AccessTokenValidator`), so a client's repeated
   * requests with one token pay for the signature check once. 0 disables. Default 10,000.
   */
  verifiedTokenCacheSize?: number;
}

const REQUIRED_CLAIMS = ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id'];

const DEFAULT_VERIFIED_TOKEN_CACHE_SIZE = 10_000;

/**
 * Verifies access tokens signed by this application's own keys (RS-6), in memory: no
 * database round trip per request. Revocation (deny-listed grants and `jti`s) is checked
 * by the caller.
 *
 * A client sends the same token with every request for its whole lifetime, so tokens that
 * passed are remembered (bounded, oldest dropped first) by their exact string: a repeat skips
 * the signature check and claim parsing, and only `exp`/`nbf` are checked again, together with
 * the key having verified it still being the published key of its `kid` (a retired or reloaded
 * key set invalidates the entry). Refused tokens are never remembered, so nobody without a
 * valid token can fill the cache. The caller's checks (audience per resource, revocation) run
 * on every request either way.
 */
export class AccessTokenValidator {
  private readonly logger = new Logger(AccessTokenValidator.name);
  private readonly audiences: ReadonlySet<string>;
  private readonly clockTolerance: number;
  private readonly unknownKidRefreshIntervalMs: number;
  private readonly verified: VerifiedTokenCache;
  private readonly verifyOptions: JWTVerifyOptions;
  private lastUnknownKidRefresh = Number.NEGATIVE_INFINITY;
  private unknownKidRefresh: Promise<boolean> | undefined;

  constructor(
    private readonly keys: SigningKeyService,
    config: LocalAccessTokenVerifierConfig,
  ) {
    if (config.audiences.length === 0) {
      throw new Error('mcp-auth: AccessTokenValidator needs at least one audience');
    }
    this.audiences = new Set(config.audiences.map(normalizeAudience));
    this.clockTolerance = config.clockTolerance ?? 5;
    this.unknownKidRefreshIntervalMs = (config.unknownKidRefreshInterval ?? 1) * 1000;
    this.verified = new VerifiedTokenCache(
      config.verifiedTokenCacheSize ?? DEFAULT_VERIFIED_TOKEN_CACHE_SIZE,
      (entry) => this.stillValid(entry),
    );
    // Built once: the same for every token.
    this.verifyOptions = {
      // Only our algorithm: refuses `alg: none` and HS256 keyed with a public key.
      algorithms: [keys.algorithm],
      // RFC 9068 §4: refuses ID tokens and other JWTs signed by the same keys.
      typ: ACCESS_TOKEN_TYPE,
      issuer: config.issuer,
      clockTolerance: this.clockTolerance,
      requiredClaims: REQUIRED_CLAIMS,
    };
  }

  /** The token's claims (a copy the caller may change), or InvalidAccessTokenError. */
  async verify(token: string): Promise<AccessTokenClaims> {
    return copyClaims(await this.verifyShared(token));
  }

  /**
   * Like `verify`, but the claims are frozen and shared: while the token stays remembered,
   * every call answers the same object (the resource server's hot path builds on that).
   */
  async verifyShared(token: string): Promise<Readonly<AccessTokenClaims>> {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
      throw new InvalidAccessTokenError('malformed token');
    }
    const cached = this.peekVerified(token);
    if (cached !== undefined) return cached;
    let payload: JWTPayload;
    let header: { kid?: unknown };
    let key: CryptoKey;
    try {
      ({
        payload,
        protectedHeader: header,
        key,
      } = await jwtVerify(token, this.resolveKey, this.verifyOptions));
    } catch (error) {
      throw toInvalidAccessTokenError(error);
    }
    // RS-7, RS-10: only tokens issued for this server.
    if (!this.hasAcceptedAudience(payload.aud)) {
      throw new InvalidAccessTokenError('audience not accepted');
    }
    const claims = freezeClaims(toAccessTokenClaims(payload));
    this.verified.remember(token, claims, header.kid as string, key);
    return claims;
  }

  /**
   * The frozen claims of a token that passed before and would pass again now, without
   * waiting; undefined when it must go through `verifyShared`.
   */
  peekVerified(token: string): Readonly<AccessTokenClaims> | undefined {
    return this.verified.get(token);
  }

  /** Number of tokens remembered as verified (for tests and metrics). */
  get verifiedCacheEntries(): number {
    return this.verified.size;
  }

  /** What jwtVerify checked and time can change: `exp`, `nbf`, and the key still published. */
  private stillValid(entry: VerifiedEntry): boolean {
    // The same arithmetic as jose's claim checks.
    const now = Math.floor(Date.now() / 1000);
    return (
      entry.exp > now - this.clockTolerance &&
      (entry.nbf === undefined || entry.nbf <= now + this.clockTolerance) &&
      this.keys.getVerificationKey(entry.kid) === entry.key
    );
  }

  private readonly resolveKey: JWTVerifyGetKey<CryptoKey> = async (header) => {
    const kid = header.kid;
    if (typeof kid !== 'string' || kid === '') {
      throw new InvalidAccessTokenError('missing kid');
    }
    let key = this.keys.getVerificationKey(kid);
    // Another instance may have rotated keys since our last load.
    if (!key && (await this.refreshForUnknownKid())) {
      key = this.keys.getVerificationKey(kid);
    }
    if (!key) throw new InvalidAccessTokenError('unknown signing key');
    return key;
  };

  /**
   * Reloads the key set, at most once per interval: tokens with made-up `kid`s must not
   * turn into a database query each. Concurrent callers share the reload in flight.
   */
  private refreshForUnknownKid(): Promise<boolean> {
    if (this.unknownKidRefresh) return this.unknownKidRefresh;
    const now = Date.now();
    if (now - this.lastUnknownKidRefresh < this.unknownKidRefreshIntervalMs) {
      return Promise.resolve(false);
    }
    this.lastUnknownKidRefresh = now;
    this.unknownKidRefresh = this.keys
      .refresh()
      .then(
        () => true,
        (error: unknown) => {
          this.logger.warn(`Reloading signing keys failed: ${String(error)}`);
          return false;
        },
      )
      .finally(() => {
        this.unknownKidRefresh = undefined;
      });
    return this.unknownKidRefresh;
  }

  private hasAcceptedAudience(aud: unknown): boolean {
    const values = Array.isArray(aud) ? aud : [aud];
    return values.some(
      (value) => typeof value === 'string' && this.audiences.has(normalizeAudience(value)),
    );
  }
}

/**
 * The project's one resource-URI rule (AS-15, RS-7): scheme and host compare
 * case-insensitively, the default port and a trailing slash are dropped, the path compares
 * exactly. Values that are not http(s) URIs (e.g. a URN audience) compare byte for byte.
 */
function normalizeAudience(value: string): string {
  return canonicalizeResourceUri(value) ?? value;
}
