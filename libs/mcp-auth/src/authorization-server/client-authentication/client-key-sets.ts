import { Injectable, Logger } from '@nestjs/common';
import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { McpAuthConfig } from '../../mcp-auth.config';
import { cacheLifetimeSeconds } from '../../outbound/cache-lifetime';
import { JsonDocumentFetcher } from '../../outbound/json-document.fetcher';
import type { ClientRecord } from '../../storage/client-store.interface';
import { isPublicJwks } from '../registration/client-metadata.constraints';

/** A JWK Set of up to 10 keys fits comfortably; more is not a client's key set. */
const MAX_JWKS_BYTES = 16 * 1024;
/** A key set is fetched again for an unknown `kid` at most this often (key rotation). */
const REFETCH_AFTER_SECONDS = 60;
/** Remote key sets kept in memory; past it the oldest is dropped. */
const MAX_CACHED_KEY_SETS = 1000;

interface CachedKeySet {
  keys: JWTVerifyGetKey;
  fetchedAt: number;
  expiresAt: number;
}

/**
 * The public keys of `private_key_jwt` clients: the registered `jwks`, or the `jwks_uri`
 * fetched through the same safe fetcher as client metadata documents (public addresses only,
 * no redirects, small, time-limited), cached by its cache headers within the documents' bounds.
 */
@Injectable()
export class ClientKeySets {
  private readonly logger = new Logger('McpAuthClientKeys');
  private readonly fetcher: JsonDocumentFetcher;
  private readonly remote = new Map<string, CachedKeySet>();
  private readonly inFlight = new Map<string, Promise<CachedKeySet>>();

  constructor(private readonly config: McpAuthConfig) {
    const options = config.clientMetadataDocuments;
    this.fetcher = new JsonDocumentFetcher({
      resolver: options.resolver,
      timeoutMs: options.timeoutMs,
      maxBodyBytes: MAX_JWKS_BYTES,
      allowLoopbackHosts: options.allowLoopbackHosts,
      ca: options.ca,
      urlPolicy: options.urlPolicy,
    });
  }

  /**
   * The key resolver for a client's assertions, or null when it has no usable keys.
   * @param refresh fetch a remote key set again (an unknown `kid`), if not done lately
   */
  async keysOf(client: ClientRecord, refresh = false): Promise<JWTVerifyGetKey | null> {
    const { jwks, jwks_uri: uri } = client.metadata as { jwks?: unknown; jwks_uri?: unknown };
    if (isPublicJwks(jwks)) return createLocalJWKSet(jwks as JSONWebKeySet);
    if (typeof uri !== 'string') return null;
    const now = Date.now();
    const cached = this.remote.get(uri);
    const stale =
      !cached ||
      cached.expiresAt <= now ||
      (refresh && now - cached.fetchedAt >= REFETCH_AFTER_SECONDS * 1000);
    if (!stale) return cached.keys;
    try {
      return (await this.fetch(uri)).keys;
    } catch (error) {
      this.logger.warn(
        `jwks_uri of client ${client.clientId} refused: ${(error as Error).message}`,
      );
      return null;
    }
  }

  private fetch(uri: string): Promise<CachedKeySet> {
    let pending = this.inFlight.get(uri);
    if (!pending) {
      pending = this.load(uri).finally(() => this.inFlight.delete(uri));
      this.inFlight.set(uri, pending);
    }
    return pending;
  }

  private async load(uri: string): Promise<CachedKeySet> {
    const fetched = await this.fetcher.fetch(uri);
    if (!isPublicJwks(fetched.document)) {
      throw new Error(`${uri} is not a JWK Set of public keys`);
    }
    const now = Date.now();
    const lifetime = cacheLifetimeSeconds(
      fetched.cacheHeaders,
      new Date(now),
      this.config.clientMetadataDocuments.cache,
    );
    const entry: CachedKeySet = {
      keys: createLocalJWKSet(fetched.document as unknown as JSONWebKeySet),
      fetchedAt: now,
      expiresAt: now + lifetime * 1000,
    };
    this.remote.delete(uri);
    this.remote.set(uri, entry);
    if (this.remote.size > MAX_CACHED_KEY_SETS) {
      this.remote.delete(this.remote.keys().next().value as string);
    }
    return entry;
  }
}
