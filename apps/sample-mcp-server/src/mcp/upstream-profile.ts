import {
  type AuthInfo,
  type UpstreamAccessToken,
  type UpstreamProviderOptions,
  UpstreamTokenUnavailableError,
} from '@app/mcp-auth';

/** What `upstream_profile` answers: the profile, or why there is none (a tool error). */
export type UpstreamProfileResult =
  { ok: true; provider: string; profile: Record<string, unknown> } | { ok: false; message: string };

/** The subset of `UpstreamTokens` the reader uses (a stand-in in unit specs). */
export interface UpstreamAccessTokenSource {
  getAccessToken(reference: AuthInfo): Promise<UpstreamAccessToken>;
}

/** Each request to the provider has this long at most. */
const TIMEOUT_MS = 10_000;
/** GitHub's REST API refuses requests without a User-Agent. */
const USER_AGENT = 'sample-mcp-server';

/**
 * Reads the signed-in user's profile at the identity provider they signed in with, with the
 * upstream access token the server keeps for the caller's grant (never the MCP client's
 * token: no passthrough). OpenID Connect providers: the `userinfo_endpoint` of their
 * discovery document; OAuth 2 providers (GitHub): their user endpoint (`/user`).
 */
export class UpstreamProfileReader {
  private readonly providers: ReadonlyMap<string, UpstreamProviderOptions>;
  /** Discovered userinfo endpoints by provider id; a failed discovery is tried again. */
  private readonly endpoints = new Map<string, Promise<URL>>();

  constructor(
    private readonly tokens: UpstreamAccessTokenSource,
    providers: readonly UpstreamProviderOptions[],
    private readonly fetchImpl: typeof fetch = fetch,
  ) {
    this.providers = new Map(providers.map((provider) => [provider.id, provider]));
  }

  async read(auth: AuthInfo | undefined): Promise<UpstreamProfileResult> {
    if (!auth) return failure('This call carries no verified access token.');
    let upstream: UpstreamAccessToken;
    try {
      upstream = await this.tokens.getAccessToken(auth);
    } catch (error) {
      return failure(tokenProblem(error));
    }
    const provider = this.providers.get(upstream.provider);
    if (!provider) {
      return failure(`The identity provider "${upstream.provider}" is no longer configured.`);
    }
    try {
      const endpoint = await this.userEndpoint(provider);
      const response = await this.fetchImpl(endpoint, {
        headers: {
          authorization: `Bearer ${upstream.accessToken}`,
          ...(provider.type === 'oidc'
            ? { accept: 'application/json' }
            : {
                accept: 'application/vnd.github+json, application/json',
                'user-agent': USER_AGENT,
              }),
        },
        redirect: 'error',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      if (!response.ok) {
        await response.body?.cancel();
        return failure(`${provider.name} answered ${response.status} for your profile.`);
      }
      const type = response.headers.get('content-type') ?? '';
      const body: unknown = /^application\/([\w.+-]*\+)?json\b/i.test(type)
        ? await response.json()
        : undefined;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        return failure(`${provider.name} did not answer with a JSON profile.`);
      }
      return { ok: true, provider: provider.id, profile: body as Record<string, unknown> };
    } catch (error) {
      return failure(`${provider.name} could not be asked for your profile: ${describe(error)}.`);
    }
  }

  /** Where the user's profile is: discovery's `userinfo_endpoint`, or the OAuth 2 user endpoint. */
  private userEndpoint(provider: UpstreamProviderOptions): Promise<URL> {
    if (provider.type === 'oauth2') return Promise.resolve(new URL(provider.userEndpoint));
    let endpoint = this.endpoints.get(provider.id);
    if (!endpoint) {
      endpoint = this.discoverUserinfo(provider).catch((error: unknown) => {
        this.endpoints.delete(provider.id);
        throw error;
      });
      this.endpoints.set(provider.id, endpoint);
    }
    return endpoint;
  }

  private async discoverUserinfo(
    provider: Extract<UpstreamProviderOptions, { type: 'oidc' }>,
  ): Promise<URL> {
    const discovery = `${provider.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    const response = await this.fetchImpl(discovery, {
      headers: { accept: 'application/json' },
      redirect: 'error',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`its discovery document answered ${response.status}`);
    }
    const metadata = (await response.json()) as { userinfo_endpoint?: unknown };
    if (typeof metadata?.userinfo_endpoint !== 'string') {
      throw new Error('it has no userinfo endpoint');
    }
    const endpoint = new URL(metadata.userinfo_endpoint);
    const secure =
      endpoint.protocol === 'https:' ||
      (endpoint.protocol === 'http:' && provider.allowInsecureHttp === true);
    if (!secure) throw new Error('its userinfo endpoint is not https');
    return endpoint;
  }
}

function failure(message: string): UpstreamProfileResult {
  return { ok: false, message };
}

/** The user-facing reason no upstream access token could be had. */
function tokenProblem(error: unknown): string {
  if (!(error instanceof UpstreamTokenUnavailableError)) {
    // E.g. tokens sealed with a key the server no longer has (a development key made at start).
    return `The upstream tokens kept for this sign-in cannot be used: ${describe(error)}. Sign in again.`;
  }
  switch (error.reason) {
    case 'not_kept':
      return 'No upstream access token is kept for this sign-in: sign in with an identity provider (not with a password), on a server that keeps upstream tokens (MCP_AUTH_UPSTREAM_TOKEN_KEYS).';
    case 'grant_revoked':
      return 'This authorization has been revoked. Sign in again.';
    case 'upstream_revoked':
      return 'The identity provider refused to renew access, so this authorization has been revoked. Sign in again.';
    case 'expired':
      return 'The identity provider gave no way to renew access, and it has expired. Sign in again.';
    case 'unavailable':
      return 'The identity provider could not renew access just now. Try again in a moment.';
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError') return 'no answer in time';
  return error.message.replace(/\.$/, '');
}
