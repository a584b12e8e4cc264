import { Logger } from '@nestjs/common';
import {
  errors,
  jwtVerify,
  type CryptoKey,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
} from 'jose';
import { canonicalizeResourceUri } from '../oauth/resource-uri';
import type { AccessTokenClaims } from './access-token-claims.interface';
import { ACCESS_TOKEN_TYPE } from './access-token.service';
import { InvalidAccessTokenError } from './invalid-access-token.error';
import type { SigningKeyService } from './signing-key.service';

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
   * Most verified tokens remembered (see `LocalAccessTokenVerifier`), so a client's repeated
   * requests with one token pay for the signature check once. 0 disables. Default 10,000.
   */
  verifiedTokenCacheSize?: number;
}

/** Far above any token we issue; refuses oversized input before any parsing work. */
const MAX_TOKEN_LENGTH = 8192;

const REQUIRED_CLAIMS = ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id'];

const DEFAULT_VERIFIED_TOKEN_CACHE_SIZE = 10_000;

/** A token whose signature and claims passed, with what must still hold for it to pass again. */
interface VerifiedEntry {
  /** Frozen: `verifyShared` answers it as is, `verify` a copy. */
  readonly claims: AccessTokenClaims;
  readonly kid: string;
  /** The key that verified the signature: the entry dies with it (rotation, retirement). */
  readonly key: CryptoKey;
  readonly exp: number;
  readonly nbf: number | undefined;
}

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
export class LocalAccessTokenVerifier {
  private readonly logger = new Logger(LocalAccessTokenVerifier.name);
  private readonly audiences: ReadonlySet<string>;
  private readonly clockTolerance: number;
  private readonly unknownKidRefreshIntervalMs: number;
  private readonly verified = new Map<string, VerifiedEntry>();
  private readonly verifiedCacheSize: number;
  private readonly verifyOptions: JWTVerifyOptions;
  private lastUnknownKidRefresh = Number.NEGATIVE_INFINITY;
  private unknownKidRefresh: Promise<boolean> | undefined;

  constructor(
    private readonly keys: SigningKeyService,
    config: LocalAccessTokenVerifierConfig,
  ) {
    if (config.audiences.length === 0) {
      throw new Error('mcp-auth: LocalAccessTokenVerifier needs at least one audience');
    }
    this.audiences = new Set(config.audiences.map(normalizeAudience));
    this.clockTolerance = config.clockTolerance ?? 5;
    this.unknownKidRefreshIntervalMs = (config.unknownKidRefreshInterval ?? 1) * 1000;
    this.verifiedCacheSize = config.verifiedTokenCacheSize ?? DEFAULT_VERIFIED_TOKEN_CACHE_SIZE;
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
    const claims = freezeClaims(toClaims(payload));
    this.remember(token, claims, header.kid as string, key);
    return claims;
  }

  /**
   * The frozen claims of a token that passed before and would pass again now, without
   * waiting; undefined when it must go through `verifyShared`.
   */
  peekVerified(token: string): Readonly<AccessTokenClaims> | undefined {
    const cached = this.verified.get(token);
    if (cached === undefined) return undefined;
    if (this.stillValid(cached)) return cached.claims;
    this.verified.delete(token);
    return undefined;
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

  private remember(token: string, claims: AccessTokenClaims, kid: string, key: CryptoKey): void {
    if (this.verifiedCacheSize <= 0) return;
    if (this.verified.size >= this.verifiedCacheSize) {
      // Oldest first: Map iteration follows insertion order.
      const oldest = this.verified.keys().next();
      if (!oldest.done) this.verified.delete(oldest.value);
    }
    const nbf = claims.nbf;
    this.verified.set(token, {
      claims,
      kid,
      key,
      exp: claims.exp,
      nbf: typeof nbf === 'number' ? nbf : undefined,
    });
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

/** A copy the caller may change without touching the remembered entry. */
function copyClaims(claims: AccessTokenClaims): AccessTokenClaims {
  return {
    ...claims,
    aud: Array.isArray(claims.aud) ? [...claims.aud] : claims.aud,
    scopes: [...claims.scopes],
  };
}

function freezeClaims(claims: AccessTokenClaims): AccessTokenClaims {
  if (Array.isArray(claims.aud)) Object.freeze(claims.aud);
  Object.freeze(claims.scopes);
  return Object.freeze(claims);
}

function toClaims(payload: JWTPayload): AccessTokenClaims {
  const { iss, sub, aud, iat, exp, jti } = payload;
  const { client_id: clientId, scope, gid } = payload;
  if (
    typeof iss !== 'string' ||
    typeof sub !== 'string' ||
    sub === '' ||
    (typeof aud !== 'string' && !Array.isArray(aud)) ||
    typeof iat !== 'number' ||
    typeof exp !== 'number' ||
    typeof jti !== 'string' ||
    typeof clientId !== 'string' ||
    (scope !== undefined && typeof scope !== 'string') ||
    (gid !== undefined && typeof gid !== 'string')
  ) {
    throw new InvalidAccessTokenError('malformed claims');
  }
  const scopeString = scope ?? '';
  return {
    ...payload,
    iss,
    sub,
    aud,
    client_id: clientId,
    scope: scopeString,
    scopes: scopeString.split(' ').filter((value) => value !== ''),
    iat,
    exp,
    jti,
    ...(gid !== undefined ? { gid } : {}),
  };
}

/** Maps jose's errors to a reason that names the failed check and nothing from the token. */
function toInvalidAccessTokenError(error: unknown): InvalidAccessTokenError {
  if (error instanceof InvalidAccessTokenError) return error;
  if (error instanceof errors.JWTExpired) return new InvalidAccessTokenError('token expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    return new InvalidAccessTokenError(`"${error.claim}" ${error.reason.replace(/_/g, ' ')}`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return new InvalidAccessTokenError('algorithm not allowed');
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new InvalidAccessTokenError('signature verification failed');
  }
  if (
    error instanceof errors.JWSInvalid ||
    error instanceof errors.JWTInvalid ||
    error instanceof errors.JOSENotSupported
  ) {
    return new InvalidAccessTokenError('malformed token');
  }
  return new InvalidAccessTokenError('verification failed');
}
