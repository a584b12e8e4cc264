import { Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { InvalidAccessTokenError } from '../../tokens/invalid-access-token.error';
import {
  AccessTokenVerifierUnavailableError,
  type AccessTokenVerificationContext,
  type AccessTokenVerifier,
  type VerifiedAccessToken,
} from '../access-token-verifier.interface';
import { DEFAULT_CLOCK_TOLERANCE } from '../resource-server.constants';
import type { IntrospectionVerifierOptions } from '../resource-server-options.interface';
import { assertAudience, toVerifiedAccessToken } from './access-token-claims';
import { AuthorizationServerDiscovery } from './authorization-server-discovery';
import { fetchJson, isJsonObject } from './fetch-json';

const MAX_TOKEN_LENGTH = 8192;

export interface IntrospectionTokenVerifierConfig extends Omit<
  IntrospectionVerifierOptions,
  'type'
> {
  /** Accepted issuers: the first one's metadata names the endpoint when none is configured. */
  issuers: readonly string[];
  clockTolerance?: number;
}

/** A positive answer, kept until `until` (epoch ms). Keyed by the token's SHA-256. */
interface CachedAnswer {
  claims: Readonly<Record<string, unknown>>;
  until: number;
}

/**
 * Asks the authorization server about each token (RFC 7662), authenticating as this resource
 * server's client. Positive answers are cached for at most `cacheTtl` and never past the
 * token's `exp`; negative ones never, so a token that just became valid is not refused. The
 * answer must name this resource in `aud` (RS-7) and one of the configured issuers in `iss`
 * when it has one.
 */
export class IntrospectionTokenVerifier implements AccessTokenVerifier {
  /** `aud` is checked against the request's resource here (RS-7). */
  readonly checksAudience = true;
  private readonly logger = new Logger('McpAuthIntrospection');
  private readonly cache = new Map<string, CachedAnswer>();
  private readonly inFlight = new Map<string, Promise<Readonly<Record<string, unknown>>>>();
  private readonly discovery: AuthorizationServerDiscovery;
  private readonly timeoutMs: number;
  private readonly cacheTtlMs: number;
  private readonly maxEntries: number;
  private readonly clockTolerance: number;
  /** Number of calls made to the introspection endpoint, for tests and metrics. */
  requestCount = 0;

  constructor(private readonly config: IntrospectionTokenVerifierConfig) {
    if (!config.clientId || !config.clientSecret) {
      throw new Error('mcp-auth: the introspection verifier needs clientId and clientSecret');
    }
    this.timeoutMs = (config.timeout ?? 5) * 1000;
    this.cacheTtlMs = (config.cacheTtl ?? 30) * 1000;
    this.maxEntries = config.cacheMaxEntries ?? 10_000;
    this.clockTolerance = config.clockTolerance ?? DEFAULT_CLOCK_TOLERANCE;
    this.discovery = new AuthorizationServerDiscovery(config.issuers[0], {
      timeoutMs: this.timeoutMs,
    });
  }

  async verify(
    token: string,
    { resource }: AccessTokenVerificationContext,
  ): Promise<VerifiedAccessToken> {
    if (typeof token !== 'string' || token === '' || token.length > MAX_TOKEN_LENGTH) {
      throw new InvalidAccessTokenError('malformed token');
    }
    const key = createHash('sha256').update(token).digest('base64url');
    const claims = this.cached(key) ?? (await this.introspectOnce(key, token));
    const verified = toVerifiedAccessToken(token, claims, resource);
    assertAudience(verified.audience, resource);
    return verified;
  }

  private cached(key: string): Readonly<Record<string, unknown>> | undefined {
    const hit = this.cache.get(key);
    if (!hit) return undefined;
    if (hit.until > Date.now()) return hit.claims;
    this.cache.delete(key);
    return undefined;
  }

  /** Concurrent requests with the same token share one call. */
  private introspectOnce(key: string, token: string): Promise<Readonly<Record<string, unknown>>> {
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.introspect(token)
        .then((claims) => {
          this.remember(key, claims);
          return claims;
        })
        .finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  private async introspect(token: string): Promise<Readonly<Record<string, unknown>>> {
    const endpoint = this.config.endpoint ?? (await this.discoveredEndpoint());
    const form = new URLSearchParams({ token, token_type_hint: 'access_token' });
    const headers: Record<string, string> = {
      'Content-Type': 'application/x-www-form-urlencoded',
    };
    if ((this.config.clientAuthMethod ?? 'client_secret_basic') === 'client_secret_basic') {
      // RFC 6749 §2.3.1: each part is form-urlencoded before the Basic encoding.
      const credentials = `${formEncode(this.config.clientId)}:${formEncode(this.config.clientSecret)}`;
      headers.Authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
    } else {
      form.set('client_id', this.config.clientId);
      form.set('client_secret', this.config.clientSecret);
    }
    this.requestCount += 1;
    const { status, body } = await fetchJson(endpoint, {
      method: 'POST',
      headers,
      body: form.toString(),
      timeoutMs: this.timeoutMs,
    });
    if (status !== 200 || !isJsonObject(body) || typeof body.active !== 'boolean') {
      if (status === 401 || status === 403) {
        this.logger.error(`${endpoint} refused this resource server's client credentials`);
      }
      throw new AccessTokenVerifierUnavailableError(`${endpoint} answered ${status}`);
    }
    return this.validate(body);
  }

  /** RFC 7662 §2.2 fields, checked as a JWT's would be (RS-6). */
  private validate(answer: Record<string, unknown>): Readonly<Record<string, unknown>> {
    if (answer.active !== true) throw new InvalidAccessTokenError('token not active');
    const now = Date.now() / 1000;
    const { exp, nbf, iss, token_type: tokenType } = answer;
    if (exp !== undefined && (typeof exp !== 'number' || exp + this.clockTolerance <= now)) {
      throw new InvalidAccessTokenError('token expired');
    }
    if (nbf !== undefined && (typeof nbf !== 'number' || nbf - this.clockTolerance > now)) {
      throw new InvalidAccessTokenError('"nbf" claim timestamp check failed');
    }
    // Refresh tokens and sender-constrained (DPoP) tokens are not bearer access tokens.
    if (
      tokenType !== undefined &&
      !(
        typeof tokenType === 'string' &&
        ['bearer', 'access_token'].includes(tokenType.toLowerCase())
      )
    ) {
      throw new InvalidAccessTokenError('not a bearer access token');
    }
    if (iss !== undefined && !(typeof iss === 'string' && this.config.issuers.includes(iss))) {
      throw new InvalidAccessTokenError('"iss" claim check failed');
    }
    // The answer comes from the issuer we trust, so it stands in for a missing `iss`.
    return iss === undefined ? { ...answer, iss: this.config.issuers[0] } : answer;
  }

  private remember(key: string, claims: Readonly<Record<string, unknown>>): void {
    if (this.cacheTtlMs <= 0) return;
    const exp = typeof claims.exp === 'number' ? claims.exp * 1000 : Number.POSITIVE_INFINITY;
    const until = Math.min(Date.now() + this.cacheTtlMs, exp);
    if (until <= Date.now()) return;
    if (this.cache.size >= this.maxEntries) {
      // Map order is insertion order: drop the oldest entry.
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(key, { claims, until });
  }

  private async discoveredEndpoint(): Promise<string> {
    const metadata = await this.discovery.get();
    if (typeof metadata.introspection_endpoint !== 'string') {
      throw new AccessTokenVerifierUnavailableError(
        `${this.discovery.issuer} publishes no introspection_endpoint`,
      );
    }
    return metadata.introspection_endpoint;
  }
}

/** application/x-www-form-urlencoded, as RFC 6749 Appendix B defines it. */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}
