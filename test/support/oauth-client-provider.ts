import type {
  OAuthClientProvider,
  OAuthDiscoveryState,
} from '@modelcontextprotocol/sdk/client/auth.js';
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { randomBytes } from 'node:crypto';
import { TestBrowser } from './browser';

/** Options of {@link InMemoryOAuthClientProvider}; every one may be left out. */
export interface InMemoryOAuthClientProviderOptions {
  /** Merged over the default client metadata (public client, code + refresh grants). */
  metadata?: Partial<OAuthClientMetadata>;
  /** A pre-registered client: returned by clientInformation() from the start. */
  preRegistered?: OAuthClientInformationMixed;
  /** SEP-991 / CIMD: the URL-based client_id the client would like to use. */
  clientMetadataUrl?: string;
  /** Who signs in at signIn(); the test browser's default user when left out. */
  user?: { username: string; password: string };
}

/**
 * The tests' `OAuthClientProvider` for the MCP SDK, the way a headless (CLI) client
 * implements one: it keeps everything in memory, and "opens the browser" by recording the
 * authorization URL. `signIn()` then plays the person in that browser (TestBrowser: cookies,
 * login form, consent form, CSRF) and returns the code the authorization server sent to the
 * redirect URI. What the SDK did is kept for the tests to inspect: every authorization URL,
 * the last state, the discovery state, every invalidateCredentials() call.
 */
export class InMemoryOAuthClientProvider implements OAuthClientProvider {
  /** Every URL the SDK asked us to open, in order. */
  readonly authorizationUrls: URL[] = [];
  /** SEP-991 / CIMD: the URL-based client_id the client would like to use. */
  clientMetadataUrl: string | undefined;
  private client: OAuthClientInformationMixed | undefined;
  private saved: OAuthTokens | undefined;
  private verifier: string | undefined;
  private discovery: OAuthDiscoveryState | undefined;
  private latestState: string | undefined;
  private readonly metadata: Partial<OAuthClientMetadata>;
  private readonly user: { username: string; password: string } | undefined;
  /** Calls to invalidateCredentials(), e.g. 'tokens' after invalid_grant. */
  readonly invalidated: string[] = [];

  constructor(
    readonly redirectUrl: string,
    options: InMemoryOAuthClientProviderOptions = {},
  ) {
    this.metadata = options.metadata ?? {};
    this.client = options.preRegistered;
    this.clientMetadataUrl = options.clientMetadataUrl;
    this.user = options.user;
  }

  /** The last URL the SDK asked us to open. */
  get authorizationUrl(): URL | undefined {
    return this.authorizationUrls.at(-1);
  }

  /** The last value state() returned. */
  get lastState(): string | undefined {
    return this.latestState;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'Headless SDK client (test)',
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      ...this.metadata,
    };
  }

  state(): string {
    this.latestState = randomBytes(16).toString('base64url');
    return this.latestState;
  }
  clientInformation(): OAuthClientInformationMixed | undefined {
    return this.client;
  }
  saveClientInformation(info: OAuthClientInformationMixed): void {
    this.client = info;
  }
  tokens(): OAuthTokens | undefined {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens): void {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL): void {
    this.authorizationUrls.push(url);
  }
  saveCodeVerifier(verifier: string): void {
    this.verifier = verifier;
  }
  codeVerifier(): string {
    if (!this.verifier) throw new Error('no code verifier saved');
    return this.verifier;
  }
  saveDiscoveryState(state: OAuthDiscoveryState): void {
    this.discovery = state;
  }
  discoveryState(): OAuthDiscoveryState | undefined {
    return this.discovery;
  }
  invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): void {
    this.invalidated.push(scope);
    if (scope === 'all' || scope === 'client') this.client = undefined;
    if (scope === 'all' || scope === 'tokens') this.saved = undefined;
    if (scope === 'all' || scope === 'verifier') this.verifier = undefined;
    if (scope === 'all' || scope === 'discovery') this.discovery = undefined;
  }

  /** Replaces the stored tokens (e.g. to spoil the access token and force a refresh). */
  setTokens(tokens: OAuthTokens | undefined): void {
    this.saved = tokens;
  }

  /**
   * The person signs in and consents in a fresh browser at the last recorded authorization
   * URL; returns the redirect the server ended on, after checking state and iss (RFC 9207).
   */
  async signIn(issuer: string): Promise<{ code: string; redirect: URL }> {
    const url = this.authorizationUrls.at(-1);
    if (!url) throw new Error('the SDK never asked to open an authorization URL');
    const redirect = await new TestBrowser(issuer).authorize(url.toString(), this.user ?? {});
    const expected = new URL(this.redirectUrl);
    if (redirect.origin + redirect.pathname !== expected.origin + expected.pathname) {
      throw new Error(`redirected to ${redirect.href}, not to ${this.redirectUrl}`);
    }
    const error = redirect.searchParams.get('error');
    if (error) throw new Error(`authorization failed: ${redirect.search}`);
    if (redirect.searchParams.get('state') !== url.searchParams.get('state')) {
      throw new Error('state does not match');
    }
    if (redirect.searchParams.get('iss') !== issuer) throw new Error('iss does not match');
    const code = redirect.searchParams.get('code');
    if (!code) throw new Error(`no code in ${redirect.href}`);
    return { code, redirect };
  }
}

/** One HTTP exchange as a client sent it. */
export interface Exchange {
  method: string;
  url: string;
  requestHeaders: Headers;
  body: string | undefined;
  status: number;
  responseHeaders: Headers;
}

/** A `fetch` that records every exchange (the SDK's `fetch` / `fetchFn` options). */
export function recordingFetch(log: Exchange[]): FetchLike {
  return async (url, init) => {
    const response = await fetch(url, init);
    const body = init?.body;
    log.push({
      method: init?.method ?? 'GET',
      url: String(url),
      requestHeaders: new Headers(init?.headers),
      body:
        typeof body === 'string'
          ? body
          : body instanceof URLSearchParams
            ? String(body)
            : undefined,
      status: response.status,
      responseHeaders: response.headers,
    });
    return response;
  };
}
