import type * as OpenId from 'openid-client';
import { ContactRecorder, type ContactStatus } from '../oauth/contact-status';
import type {
  OAuth2UpstreamProviderOptions,
  OidcUpstreamProviderOptions,
  UpstreamIdentity,
  UpstreamProviderOptions,
} from './federation-options';

const DEFAULT_TIMEOUT_MS = 10_000;

/** openid-client is an optional peer, loaded when federation is configured. */
let library: Promise<typeof OpenId> | undefined;
function openIdClient(): Promise<typeof OpenId> {
  library ??= import('openid-client').catch((error: unknown) => {
    library = undefined;
    throw new Error(
      'mcp-auth: federation needs the openid-client package (npm install openid-client)',
      { cause: error },
    );
  });
  return library;
}

/** What the browser is sent upstream with, and must come back with. */
export interface UpstreamAuthorization {
  url: URL;
  state: string;
  nonce: string | null;
  codeVerifier: string | null;
}

/** The secrets of one upstream authorization, kept server side until the callback. */
export interface UpstreamChecks {
  state: string;
  nonce: string | null;
  codeVerifier: string | null;
}

/** Tokens the provider issued, for the host's server-side use only. */
export interface UpstreamTokenSet {
  accessToken: string;
  refreshToken: string | null;
  /** Seconds since the epoch; null when the provider did not say. */
  expiresAt: number | null;
  scope: string | null;
}

/** The provider answered, but not in a way that signs anyone in. */
export class UpstreamRefusedError extends Error {
  override readonly name = 'UpstreamRefusedError';
  constructor(
    /** The OAuth error code the provider sent (e.g. `access_denied`), if any. */
    readonly error: string | null,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The provider could not be reached, or did not answer in time. */
export class UpstreamUnavailableError extends Error {
  override readonly name = 'UpstreamUnavailableError';
}

/**
 * One upstream identity provider, spoken to through openid-client: discovery (OIDC), the
 * authorization request with PKCE, `state` and `nonce`, the code exchange with every check
 * openid-client makes (state, RFC 9207 `iss`, ID token signature, issuer, audience, nonce,
 * expiry), then the user's claims. Nothing of the OIDC validation is written here.
 */
export class UpstreamProvider {
  private configuration: Promise<OpenId.Configuration> | undefined;
  private readonly contact = new ContactRecorder();

  constructor(
    readonly options: UpstreamProviderOptions,
    /** Our callback URL for this provider, registered at the provider. */
    readonly callbackUrl: string,
  ) {}

  get id(): string {
    return this.options.id;
  }

  get name(): string {
    return this.options.name;
  }

  /** How the last discovery (OIDC) or configuration went, for the administration API. */
  get status(): ContactStatus {
    return this.contact.status;
  }

  private get isOidc(): boolean {
    return this.options.type === 'oidc';
  }

  private get usesPkce(): boolean {
    return this.options.type === 'oidc' || this.options.pkce !== false;
  }

  /** Builds the authorization request the browser is redirected to. */
  async authorization(options: { forceLogin?: boolean } = {}): Promise<UpstreamAuthorization> {
    const client = await openIdClient();
    const config = await this.config();
    const state = client.randomState();
    const nonce = this.isOidc ? client.randomNonce() : null;
    const codeVerifier = this.usesPkce ? client.randomPKCECodeVerifier() : null;
    const parameters: Record<string, string> = {
      ...(this.options.authorizationParams ?? {}),
      redirect_uri: this.callbackUrl,
      scope: (this.options.scopes ?? (this.isOidc ? ['openid', 'profile', 'email'] : [])).join(' '),
      state,
    };
    if (nonce) parameters.nonce = nonce;
    // The MCP client asked for a fresh sign-in (prompt=login): the provider must not reuse its
    // session either (OIDC Core §3.1.2.1).
    if (options.forceLogin && this.isOidc) parameters.prompt = 'login';
    if (codeVerifier) {
      parameters.code_challenge = await client.calculatePKCECodeChallenge(codeVerifier);
      parameters.code_challenge_method = 'S256';
    }
    return { url: client.buildAuthorizationUrl(config, parameters), state, nonce, codeVerifier };
  }

  /**
   * Redeems the code of the callback at `currentUrl` and reads who signed in.
   * @throws UpstreamRefusedError for an error response or any failed check
   * @throws UpstreamUnavailableError when the provider cannot be reached in time
   */
  async signIn(
    currentUrl: URL,
    checks: UpstreamChecks,
  ): Promise<{ identity: UpstreamIdentity; tokens: UpstreamTokenSet }> {
    const client = await openIdClient();
    const config = await this.config();
    let response: Awaited<ReturnType<typeof OpenId.authorizationCodeGrant>>;
    try {
      response = await client.authorizationCodeGrant(config, currentUrl, {
        expectedState: checks.state,
        ...(checks.nonce ? { expectedNonce: checks.nonce } : {}),
        ...(checks.codeVerifier ? { pkceCodeVerifier: checks.codeVerifier } : {}),
        idTokenExpected: this.isOidc,
      });
    } catch (error) {
      throw this.translate(client, error, 'sign-in');
    }
    const tokens: UpstreamTokenSet = {
      accessToken: response.access_token,
      refreshToken: response.refresh_token ?? null,
      expiresAt:
        typeof response.expires_in === 'number'
          ? Math.floor(Date.now() / 1000) + response.expires_in
          : null,
      scope: response.scope ?? null,
    };
    const identity =
      this.options.type === 'oidc'
        ? await this.oidcIdentity(client, config, this.options, response)
        : await this.oauth2Identity(client, config, this.options, response.access_token);
    return { identity, tokens };
  }

  /** Exchanges an upstream refresh token (for the host's tools). */
  async refresh(refreshToken: string): Promise<UpstreamTokenSet> {
    const client = await openIdClient();
    const config = await this.config();
    try {
      const response = await client.refreshTokenGrant(config, refreshToken);
      return {
        accessToken: response.access_token,
        refreshToken: response.refresh_token ?? refreshToken,
        expiresAt:
          typeof response.expires_in === 'number'
            ? Math.floor(Date.now() / 1000) + response.expires_in
            : null,
        scope: response.scope ?? null,
      };
    } catch (error) {
      throw this.translate(client, error, 'refresh');
    }
  }

  /** RFC 7009 revocation at the provider, when it has a revocation endpoint; else nothing. */
  async revoke(token: string): Promise<void> {
    const client = await openIdClient();
    const config = await this.config();
    if (!config.serverMetadata().revocation_endpoint) return;
    try {
      await client.tokenRevocation(config, token);
    } catch (error) {
      throw this.translate(client, error, 'revocation');
    }
  }

  private async oidcIdentity(
    client: typeof OpenId,
    config: OpenId.Configuration,
    options: OidcUpstreamProviderOptions,
    response: Awaited<ReturnType<typeof OpenId.authorizationCodeGrant>>,
  ): Promise<UpstreamIdentity> {
    const idToken = response.claims();
    if (!idToken) throw new UpstreamRefusedError(null, `${this.name} sent no ID token.`);
    let claims: Record<string, unknown> = { ...idToken };
    if (options.userinfo) {
      try {
        // The subject must match the ID token's (OIDC Core §5.3.2).
        const info = await client.fetchUserInfo(config, response.access_token, idToken.sub);
        claims = { ...info, ...idToken };
      } catch (error) {
        throw this.translate(client, error, 'userinfo');
      }
    }
    const text = (value: unknown) => (typeof value === 'string' && value ? value : null);
    return this.identity(idToken.sub, claims, {
      displayName: text(claims.name) ?? text(claims.preferred_username) ?? text(claims.email),
      email: text(claims.email),
      emailVerified: typeof claims.email_verified === 'boolean' ? claims.email_verified : null,
    });
  }

  private async oauth2Identity(
    client: typeof OpenId,
    config: OpenId.Configuration,
    options: OAuth2UpstreamProviderOptions,
    accessToken: string,
  ): Promise<UpstreamIdentity> {
    let user: Record<string, unknown>;
    try {
      const response = await client.fetchProtectedResource(
        config,
        accessToken,
        new URL(options.userEndpoint),
        'GET',
        undefined,
        new Headers({ accept: 'application/json' }),
      );
      if (!response.ok) {
        throw new UpstreamRefusedError(
          null,
          `${this.name} answered ${response.status} for the user.`,
        );
      }
      const body: unknown = await response.json();
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new UpstreamRefusedError(null, `${this.name} sent no user document.`);
      }
      user = body as Record<string, unknown>;
    } catch (error) {
      throw this.translate(client, error, 'user');
    }
    let profile: ReturnType<OAuth2UpstreamProviderOptions['profile']>;
    try {
      profile = options.profile(user);
    } catch (error) {
      throw new UpstreamRefusedError(null, `${this.name}'s user could not be read.`, {
        cause: error,
      });
    }
    if (typeof profile?.subject !== 'string' || profile.subject === '') {
      throw new UpstreamRefusedError(null, `${this.name}'s user has no stable id.`);
    }
    return this.identity(profile.subject, user, {
      displayName: profile.displayName ?? null,
      email: profile.email ?? null,
      emailVerified: null,
    });
  }

  private identity(
    upstreamSubject: string,
    claims: Record<string, unknown>,
    details: Pick<UpstreamIdentity, 'displayName' | 'email' | 'emailVerified'>,
  ): UpstreamIdentity {
    return {
      provider: this.id,
      upstreamSubject,
      subject: `${this.id}|${upstreamSubject}`,
      claims: Object.freeze({ ...claims }),
      ...details,
    };
  }

  /** The provider's configuration: discovered once (OIDC), retried after a failure. */
  private config(): Promise<OpenId.Configuration> {
    this.configuration ??= this.loadConfig().then(
      (config) => {
        this.contact.succeeded();
        return config;
      },
      (error: unknown) => {
        this.configuration = undefined;
        this.contact.failed(error);
        throw error;
      },
    );
    return this.configuration;
  }

  private async loadConfig(): Promise<OpenId.Configuration> {
    const client = await openIdClient();
    const options = this.options;
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    // Every request to the provider has a deadline: a slow provider is an error, not a hang.
    const fetchWithDeadline: OpenId.CustomFetch = async (url, init) => {
      const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
      return options.type === 'oauth2' && url === new URL(options.tokenEndpoint).href
        ? errorStatusFor(response)
        : response;
    };
    const auth = options.clientSecret
      ? options.type === 'oidc'
        ? client.ClientSecretBasic(options.clientSecret)
        : client.ClientSecretPost(options.clientSecret)
      : client.None();
    let config: OpenId.Configuration;
    if (options.type === 'oidc') {
      try {
        config = await client.discovery(
          new URL(options.issuer),
          options.clientId,
          undefined,
          auth,
          {
            [client.customFetch]: fetchWithDeadline,
            ...(options.allowInsecureHttp ? { execute: [client.allowInsecureRequests] } : {}),
          },
        );
      } catch (error) {
        throw new UpstreamUnavailableError(
          `${options.name} could not be discovered at ${options.issuer}.`,
          { cause: error },
        );
      }
    } else {
      config = new client.Configuration(
        {
          issuer: options.issuer ?? new URL(options.authorizationEndpoint).origin,
          authorization_endpoint: options.authorizationEndpoint,
          token_endpoint: options.tokenEndpoint,
        },
        options.clientId,
        undefined,
        auth,
      );
      if (options.allowInsecureHttp) client.allowInsecureRequests(config);
    }
    config[client.customFetch] = fetchWithDeadline;
    // openid-client trusts an ID token from the token endpoint on the strength of TLS unless
    // told otherwise; its signature is checked against the provider's keys all the same.
    if (options.type === 'oidc') client.enableNonRepudiationChecks(config);
    return config;
  }

  /** Maps what openid-client threw to refused (a bad answer) or unavailable (no answer). */
  private translate(client: typeof OpenId, error: unknown, step: string): Error {
    if (error instanceof UpstreamRefusedError || error instanceof UpstreamUnavailableError) {
      return error;
    }
    if (error instanceof client.AuthorizationResponseError) {
      return new UpstreamRefusedError(error.error, `${this.name} answered ${error.error}.`, {
        cause: error,
      });
    }
    if (error instanceof client.ResponseBodyError) {
      // Providers name a dead refresh token their own way (GitHub: bad_refresh_token).
      const code =
        this.options.type === 'oauth2' && this.options.invalidGrantErrors?.includes(error.error)
          ? 'invalid_grant'
          : error.error;
      return new UpstreamRefusedError(code, `${this.name} refused the ${step}: ${error.error}.`, {
        cause: error,
      });
    }
    if (isNetworkError(error)) {
      return new UpstreamUnavailableError(`${this.name} did not answer the ${step} in time.`, {
        cause: error,
      });
    }
    return new UpstreamRefusedError(null, `${this.name}'s ${step} answer failed a check.`, {
      cause: error,
    });
  }
}

/**
 * Some OAuth 2 providers (GitHub) answer token errors with HTTP 200 and an `error` member;
 * RFC 6749 §5.2 says 400. Restated as 400, they reach openid-client as the OAuth errors they
 * are instead of as a malformed success.
 */
async function errorStatusFor(response: Response): Promise<Response> {
  if (response.status !== 200) return response;
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const isError =
    typeof body === 'object' &&
    body !== null &&
    typeof (body as { error?: unknown }).error === 'string';
  return new Response(text, {
    status: isError ? 400 : 200,
    statusText: isError ? 'Bad Request' : response.statusText,
    headers: response.headers,
  });
}

/** fetch failures and deadlines, as opposed to answers that failed a check. */
function isNetworkError(error: unknown): boolean {
  // By shape, not `instanceof`: fetch's errors may come from another realm (a test runner's VM).
  if (typeof error !== 'object' || error === null) return false;
  const { name, message, cause } = error as { name?: unknown; message?: unknown; cause?: unknown };
  if (name === 'TimeoutError' || name === 'AbortError') return true;
  if (name === 'TypeError' && message === 'fetch failed') return true;
  return cause !== undefined && cause !== error && isNetworkError(cause);
}
