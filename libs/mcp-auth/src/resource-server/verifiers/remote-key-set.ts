import { Logger } from '@nestjs/common';
import {
  createLocalJWKSet,
  errors,
  type CryptoKey,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWSHeaderParameters,
} from 'jose';
import { InvalidAccessTokenError } from '../../tokens/invalid-access-token.error';
import { AccessTokenVerifierUnavailableError } from '../access-token-verifier.interface';
import { fetchJson, isJsonObject } from './fetch-json';

export interface RemoteKeySetOptions {
  /** Minimum milliseconds between fetches caused by an unknown `kid`. */
  refetchCooldownMs: number;
  /** Milliseconds after which the keys are refreshed in the background. */
  maxAgeMs: number;
  timeoutMs: number;
}

type LocalKeySet = ReturnType<typeof createLocalJWKSet>;

/**
 * An issuer's JWKS, cached. Unlike jose's `createRemoteJWKSet`, stale keys keep verifying
 * while a refresh runs or fails (an identity-provider outage does not fail every request), and
 * the fetch count is observable.
 *
 * - Never fetched per request: only the first use, a background refresh after `maxAgeMs`, and
 *   an unknown `kid` (rotation), at most once per `refetchCooldownMs`.
 * - Concurrent callers share one fetch in flight.
 */
export class RemoteKeySet {
  private readonly logger = new Logger('McpAuthRemoteKeySet');
  private keys: LocalKeySet | undefined;
  private loadedAt = Number.NEGATIVE_INFINITY;
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private pending: Promise<void> | undefined;
  /** Number of JWKS fetches started, for tests and metrics. */
  fetchCount = 0;

  constructor(
    private readonly jwksUri: () => Promise<string>,
    private readonly options: RemoteKeySetOptions,
  ) {}

  /** A jose key resolver: `jwtVerify(token, keySet.getKey, ...)`. */
  readonly getKey = async (
    header: JWSHeaderParameters,
    token: FlattenedJWSInput,
  ): Promise<CryptoKey> => {
    if (!this.keys) {
      if (Date.now() - this.lastAttemptAt < this.options.refetchCooldownMs && !this.pending) {
        throw new AccessTokenVerifierUnavailableError('signing keys not available yet');
      }
      await this.reload();
    } else if (Date.now() - this.loadedAt > this.options.maxAgeMs) {
      void this.reload().catch(() => undefined);
    }
    try {
      return await this.select(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw mapKeyError(error);
      // Probably a rotation at the issuer; refetch unless we just did.
      if (Date.now() - this.lastAttemptAt < this.options.refetchCooldownMs && !this.pending) {
        throw new InvalidAccessTokenError('unknown signing key');
      }
      await this.reload().catch(() => undefined);
      return this.select(header, token).catch((retryError: unknown) => {
        throw mapKeyError(retryError);
      });
    }
  };

  private async select(header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey> {
    if (!this.keys) throw new AccessTokenVerifierUnavailableError('signing keys not available');
    return this.keys(header, token);
  }

  /** Fetches the key set; concurrent callers share the fetch. Keeps the old keys on failure. */
  private reload(): Promise<void> {
    this.pending ??= this.fetchKeys()
      .catch((error: unknown) => {
        this.logger.warn(`Fetching signing keys failed: ${(error as Error).message}`);
        throw error;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }

  private async fetchKeys(): Promise<void> {
    this.lastAttemptAt = Date.now();
    this.fetchCount += 1;
    const uri = await this.jwksUri();
    const { status, body } = await fetchJson(uri, { timeoutMs: this.options.timeoutMs });
    if (status !== 200 || !isJsonObject(body) || !Array.isArray(body.keys)) {
      throw new AccessTokenVerifierUnavailableError(`${uri} answered ${status} without a JWK Set`);
    }
    this.keys = createLocalJWKSet(body as unknown as JSONWebKeySet);
    this.loadedAt = Date.now();
  }
}

function mapKeyError(error: unknown): Error {
  if (error instanceof errors.JWKSNoMatchingKey) {
    return new InvalidAccessTokenError('unknown signing key');
  }
  if (error instanceof errors.JWKSMultipleMatchingKeys) {
    return new InvalidAccessTokenError('ambiguous signing key');
  }
  if (error instanceof errors.JOSENotSupported) {
    return new InvalidAccessTokenError('unsupported signing key');
  }
  return error instanceof Error ? error : new Error(String(error));
}
