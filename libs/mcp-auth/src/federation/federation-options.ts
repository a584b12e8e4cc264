/**
 * Federation (sign-in at an upstream identity provider). This server stays the authorization
 * server of MCP clients: its own tokens, audience and refresh rules. The upstream provider
 * only proves who the user is.
 */

/** What an upstream provider said about the user, before the host's mapping. */
export interface UpstreamIdentity {
  /** The provider's `id` from the options. */
  provider: string;
  /** The user's stable id at the provider (OIDC `sub`, GitHub's numeric `id`). */
  upstreamSubject: string;
  /** Our subject: `<provider id>|<upstream subject>`, never the email. */
  subject: string;
  displayName: string | null;
  email: string | null;
  emailVerified: boolean | null;
  /** Every claim the provider sent (ID token, then userinfo, or the OAuth 2 user document). */
  claims: Readonly<Record<string, unknown>>;
}

/** The host's answer about a federated user: who they are here, or a refusal. */
export type FederatedIdentityDecision =
  | {
      action: 'accept';
      /** Replaces the default subject, e.g. a user id in the host's own tables. */
      subject?: string;
      displayName?: string | null;
    }
  | { action: 'refuse'; reason: string };

/**
 * Maps, enriches or refuses a user who signed in upstream: allowed email domains, a required
 * group claim, creating the user in the host's tables on first sign-in. The reason of a
 * refusal is shown to the user.
 */
export type FederatedIdentityHook = (
  identity: UpstreamIdentity,
) => FederatedIdentityDecision | Promise<FederatedIdentityDecision>;

/** What every upstream provider is configured with. */
export interface UpstreamProviderBase {
  /** Stable id, part of the callback URL and of subjects: letters, digits, `-` and `_`. */
  id: string;
  /** Shown on the sign-in page ("Continue with <name>"). */
  name: string;
  clientId: string;
  /** Sent with `client_secret_basic` (OIDC) or in the form (OAuth 2), as the provider expects. */
  clientSecret?: string;
  /** Scopes asked for upstream. */
  scopes?: string[];
  /** Extra authorization request parameters (e.g. `{ prompt: 'select_account' }`). */
  authorizationParams?: Record<string, string>;
  /**
   * DEVELOPMENT ONLY: allow `http:` endpoints (a local identity provider). Off by default; the
   * provider's URLs must otherwise be https.
   */
  allowInsecureHttp?: boolean;
  /** Time limit of each request to the provider, ms. Default 10 000. */
  timeoutMs?: number;
  /**
   * Keep the provider's access and refresh tokens, encrypted, per grant, so that tools can
   * call the provider's API for the user through `UpstreamTokens`. Never sent to MCP clients.
   * Needs `federation.tokenEncryptionKeys`. Default false.
   */
  keepTokens?: boolean;
}

/** An OpenID Connect provider, found by discovery from its issuer URL. */
export interface OidcUpstreamProviderOptions extends UpstreamProviderBase {
  type: 'oidc';
  /** The provider's issuer; `/.well-known/openid-configuration` is read from it. */
  issuer: string;
  /** Also read the userinfo endpoint (claims the ID token lacks). Default false. */
  userinfo?: boolean;
}

/** A plain OAuth 2 provider (no OpenID Connect): the user is read from a user endpoint. */
export interface OAuth2UpstreamProviderOptions extends UpstreamProviderBase {
  type: 'oauth2';
  authorizationEndpoint: string;
  tokenEndpoint: string;
  /** Answers the user as JSON for the access token (GitHub: `/user`). */
  userEndpoint: string;
  /**
   * The provider's issuer identifier, when it sends RFC 9207 `iss` in its responses; then
   * `iss` is checked. Default: none (the authorization endpoint's origin is used internally).
   */
  issuer?: string;
  /** Whether the provider supports PKCE (S256). Default true. */
  pkce?: boolean;
  /**
   * Token endpoint error codes that mean the refresh token is dead, like RFC 6749's
   * `invalid_grant` (GitHub: `bad_refresh_token`): our grant is then revoked.
   */
  invalidGrantErrors?: string[];
  /** Reads the user from the user endpoint's JSON. */
  profile: (user: Readonly<Record<string, unknown>>) => {
    subject: string;
    displayName?: string | null;
    email?: string | null;
  };
}

export type UpstreamProviderOptions = OidcUpstreamProviderOptions | OAuth2UpstreamProviderOptions;

export interface FederationOptions {
  /** The providers the sign-in page offers, in order. */
  providers: UpstreamProviderOptions[];
  /** Maps, enriches or refuses each federated user. Default: accept with the default subject. */
  identity?: FederatedIdentityHook;
  /**
   * Secrets (32+ characters of random data each) the kept upstream tokens are encrypted with
   * (AES-256-GCM). The first encrypts; every one decrypts, so a new key goes first and an old
   * one stays listed until the tokens it sealed are refreshed or gone.
   */
  tokenEncryptionKeys?: string[];
}

const PROVIDER_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Problems with `federation`, worded like the module's other option errors. */
export function validateFederationOptions(options: FederationOptions | undefined): string[] {
  if (options === undefined) return [];
  if (typeof options !== 'object' || options === null || !Array.isArray(options.providers)) {
    return ['federation.providers must be a list of upstream providers'];
  }
  const problems: string[] = [];
  if (options.identity !== undefined && typeof options.identity !== 'function') {
    problems.push('federation.identity must be a function');
  }
  const keys = options.tokenEncryptionKeys;
  if (keys !== undefined) {
    if (!Array.isArray(keys) || keys.length === 0) {
      problems.push('federation.tokenEncryptionKeys must list at least one secret');
    } else if (keys.some((key) => typeof key !== 'string' || key.length < 32)) {
      problems.push(
        'federation.tokenEncryptionKeys: each secret must be at least 32 characters of random data',
      );
    }
  }
  const ids = new Set<string>();
  for (const [index, provider] of options.providers.entries()) {
    const where = `federation.providers[${index}]`;
    if (typeof provider.id !== 'string' || !PROVIDER_ID.test(provider.id)) {
      problems.push(`${where}.id must be 1 to 64 letters, digits, - or _`);
    } else if (ids.has(provider.id)) {
      problems.push(`${where}.id "${provider.id}" is configured twice`);
    } else {
      ids.add(provider.id);
    }
    if (typeof provider.name !== 'string' || provider.name.trim() === '') {
      problems.push(`${where}.name is required (it is shown on the sign-in page)`);
    }
    if (typeof provider.clientId !== 'string' || provider.clientId === '') {
      problems.push(`${where}.clientId is required`);
    }
    const urls: [string, unknown][] =
      provider.type === 'oidc'
        ? [['issuer', provider.issuer]]
        : provider.type === 'oauth2'
          ? [
              ['authorizationEndpoint', provider.authorizationEndpoint],
              ['tokenEndpoint', provider.tokenEndpoint],
              ['userEndpoint', provider.userEndpoint],
            ]
          : [];
    if (provider.type !== 'oidc' && provider.type !== 'oauth2') {
      problems.push(`${where}.type must be "oidc" or "oauth2"`);
    }
    if (provider.type === 'oauth2' && typeof provider.profile !== 'function') {
      problems.push(`${where}.profile must be a function reading the user endpoint's answer`);
    }
    for (const [name, value] of urls) {
      const problem = urlProblem(value, provider.allowInsecureHttp === true);
      if (problem) problems.push(`${where}.${name} ${problem}`);
    }
    if (provider.keepTokens && !keys?.length) {
      problems.push(`${where}.keepTokens needs federation.tokenEncryptionKeys to encrypt them`);
    }
    if (
      provider.timeoutMs !== undefined &&
      !(Number.isInteger(provider.timeoutMs) && provider.timeoutMs > 0)
    ) {
      problems.push(`${where}.timeoutMs must be a positive whole number of milliseconds`);
    }
  }
  return problems;
}

function urlProblem(value: unknown, allowHttp: boolean): string | undefined {
  if (typeof value !== 'string') return 'is required';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && allowHttp) return undefined;
  return url.protocol === 'http:'
    ? 'must be https (allowInsecureHttp is for a local development provider only)'
    : 'must be an https URL';
}
