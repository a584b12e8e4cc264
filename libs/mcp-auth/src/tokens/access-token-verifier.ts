import { Logger } from '@nestjs/common';
import { errors, jwtVerify, type CryptoKey, type JWTPayload, type JWTVerifyGetKey } from 'jose';
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
}

/** Far above any token we issue; refuses oversized input before any parsing work. */
const MAX_TOKEN_LENGTH = 8192;

const REQUIRED_CLAIMS = ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id'];

/**
 * Verifies access tokens signed by this application's own keys (RS-6), in memory: no
 * database round trip per request. Revocation (deny-listed grants and `jti`s) is checked
 * by the caller.
 */
export class LocalAccessTokenVerifier {
  private readonly logger = new Logger(LocalAccessTokenVerifier.name);
  private readonly audiences: ReadonlySet<string>;
  private readonly clockTolerance: number;
  private readonly unknownKidRefreshIntervalMs: number;
  private lastUnknownKidRefresh = Number.NEGATIVE_INFINITY;
  private unknownKidRefresh: Promise<boolean> | undefined;

  constructor(
    private readonly keys: SigningKeyService,
    private readonly config: LocalAccessTokenVerifierConfig,
  ) {
    if (config.audiences.length === 0) {
      throw new Error('mcp-auth: LocalAccessTokenVerifier needs at least one audience');
    }
    this.audiences = new Set(config.audiences.map(normalizeAudience));
    this.clockTolerance = config.clockTolerance ?? 5;
    this.unknownKidRefreshIntervalMs = (config.unknownKidRefreshInterval ?? 1) * 1000;
  }

  async verify(token: string): Promise<AccessTokenClaims> {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
      throw new InvalidAccessTokenError('malformed token');
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.resolveKey, {
        // Only our algorithm: refuses `alg: none` and HS256 keyed with a public key.
        algorithms: [this.keys.algorithm],
        // RFC 9068 §4: refuses ID tokens and other JWTs signed by the same keys.
        typ: ACCESS_TOKEN_TYPE,
        issuer: this.config.issuer,
        clockTolerance: this.clockTolerance,
        requiredClaims: REQUIRED_CLAIMS,
      }));
    } catch (error) {
      throw toInvalidAccessTokenError(error);
    }
    // RS-7, RS-10: only tokens issued for this server.
    if (!this.hasAcceptedAudience(payload.aud)) {
      throw new InvalidAccessTokenError('audience not accepted');
    }
    return toClaims(payload);
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
