import { AccessTokenVerifierUnavailableError } from '../access-token-verifier.interface';
import { fetchJson, isJsonObject } from './fetch-json';

/** The members of RFC 8414 / OIDC Discovery metadata a resource server uses. */
export interface DiscoveredAuthorizationServer {
  issuer: string;
  jwks_uri?: string;
  introspection_endpoint?: string;
  [member: string]: unknown;
}

/**
 * Where an issuer's metadata may live, in the order MCP clients try them (AS-3): RFC 8414
 * with the path inserted, then OIDC Discovery inserted (issuers with a path) and appended.
 */
export function discoveryUrls(issuer: string): string[] {
  const url = new URL(issuer);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  const urls = [
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
    `${url.origin}/.well-known/openid-configuration${path}`,
    `${url.origin}${path}/.well-known/openid-configuration`,
  ];
  return [...new Set(urls)];
}

/**
 * Fetches and caches one issuer's metadata. A failure is not cached, but retried at most once
 * per `retryIntervalMs`: a down identity provider must not turn every request into a fetch.
 */
export class AuthorizationServerDiscovery {
  private metadata: DiscoveredAuthorizationServer | undefined;
  private pending: Promise<DiscoveredAuthorizationServer> | undefined;
  private lastFailure: { at: number; error: Error } | undefined;

  constructor(
    readonly issuer: string,
    private readonly options: { timeoutMs: number; retryIntervalMs?: number },
  ) {}

  async get(): Promise<DiscoveredAuthorizationServer> {
    if (this.metadata) return this.metadata;
    const retryIntervalMs = this.options.retryIntervalMs ?? 10_000;
    if (this.lastFailure && Date.now() - this.lastFailure.at < retryIntervalMs) {
      throw this.lastFailure.error;
    }
    this.pending ??= this.discover()
      .then(
        (metadata) => {
          this.metadata = metadata;
          this.lastFailure = undefined;
          return metadata;
        },
        (error: Error) => {
          this.lastFailure = { at: Date.now(), error };
          throw error;
        },
      )
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }

  private async discover(): Promise<DiscoveredAuthorizationServer> {
    for (const url of discoveryUrls(this.issuer)) {
      const { status, body } = await fetchJson(url, { timeoutMs: this.options.timeoutMs });
      if (status !== 200 || !isJsonObject(body)) continue;
      // RFC 8414 §3.3 / OIDC Discovery §4.3: the document must be about this very issuer.
      if (body.issuer !== this.issuer) {
        throw new AccessTokenVerifierUnavailableError(
          `metadata at ${url} names issuer ${JSON.stringify(body.issuer)}, not ${this.issuer}`,
        );
      }
      return body as DiscoveredAuthorizationServer;
    }
    throw new AccessTokenVerifierUnavailableError(
      `no authorization server metadata for ${this.issuer}`,
    );
  }
}
