/** The development identity provider's settings, read once from the environment. */
export interface DevIdpConfig {
  /** Where the server listens: `HOST` (default 0.0.0.0, like the sample) and `PORT` (4000). */
  host: string;
  port: number;
  /**
   * `DEV_IDP_ISSUER`: the one URL browsers and relying parties both reach the provider at
   * (default `http://localhost:<PORT>`). Left undefined, it is derived from the port bound,
   * which lets a test listen on port 0.
   */
  issuer: string | undefined;
  /** The one pre-registered confidential client: the sample MCP server. */
  client: {
    /** `DEV_IDP_CLIENT_ID` (default `sample-mcp-server`). */
    clientId: string;
    /** `DEV_IDP_CLIENT_SECRET` (default public: this is a development provider). */
    clientSecret: string;
    /** `DEV_IDP_REDIRECT_URIS`: comma-separated, default the sample's `oidc` callback. */
    redirectUris: string[];
  };
  /** `DEV_IDP_ACCESS_TOKEN_TTL`: access token lifetime in seconds (default 600). */
  accessTokenTtlSeconds: number;
  /** `DEV_IDP_JWKS`: a JSON Web Key Set of private signing keys; generated at start if unset. */
  jwks: { keys: Record<string, unknown>[] } | undefined;
  /** `DEV_IDP_COOKIE_KEYS`: comma-separated keys signing cookies; random at start if unset. */
  cookieKeys: string[] | undefined;
}

export const DEFAULT_PORT = 4000;
export const DEFAULT_CLIENT_ID = 'sample-mcp-server';
export const DEFAULT_CLIENT_SECRET = 'dev-identity-provider-secret';
export const DEFAULT_REDIRECT_URI = 'http://localhost:3000/federation/oidc/callback';

/** Reads the environment; throws one error listing every problem. */
export function loadDevIdpConfig(env: NodeJS.ProcessEnv = process.env): DevIdpConfig {
  const problems: string[] = [];
  const text = (name: string) => env[name]?.trim() || undefined;
  const list = (name: string) =>
    (text(name) ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);

  const portText = text('PORT') ?? String(DEFAULT_PORT);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) {
    problems.push(`PORT must be a TCP port number (0-65535), got "${portText}"`);
  }

  // PORT=0 (any free port): the issuer follows the port bound, unless given.
  const issuer = text('DEV_IDP_ISSUER') ?? (port === 0 ? undefined : `http://localhost:${port}`);
  const issuerProblem = issuer === undefined ? undefined : urlProblem(issuer, { bareOrigin: true });
  if (issuerProblem) problems.push(`DEV_IDP_ISSUER ${issuerProblem}`);

  const redirectUris = text('DEV_IDP_REDIRECT_URIS') ? list('DEV_IDP_REDIRECT_URIS') : [];
  if (redirectUris.length === 0) redirectUris.push(DEFAULT_REDIRECT_URI);
  for (const uri of redirectUris) {
    const problem = urlProblem(uri, { bareOrigin: false });
    if (problem) problems.push(`DEV_IDP_REDIRECT_URIS: "${uri}" ${problem}`);
  }

  const ttlText = text('DEV_IDP_ACCESS_TOKEN_TTL') ?? '600';
  const accessTokenTtlSeconds = Number(ttlText);
  if (!/^\d+$/.test(ttlText) || accessTokenTtlSeconds < 1) {
    problems.push(`DEV_IDP_ACCESS_TOKEN_TTL must be a number of seconds, got "${ttlText}"`);
  }

  let jwks: DevIdpConfig['jwks'];
  const jwksText = text('DEV_IDP_JWKS');
  if (jwksText) {
    try {
      const parsed = JSON.parse(jwksText) as { keys?: unknown };
      if (!Array.isArray(parsed.keys) || parsed.keys.length === 0) {
        problems.push('DEV_IDP_JWKS must be a JSON Web Key Set: {"keys": [private keys]}');
      } else {
        jwks = { keys: parsed.keys as Record<string, unknown>[] };
      }
    } catch {
      // Not echoed: it holds private keys.
      problems.push('DEV_IDP_JWKS is not valid JSON');
    }
  }

  const cookieKeys = list('DEV_IDP_COOKIE_KEYS');

  if (problems.length) {
    throw new Error(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
  return {
    host: text('HOST') ?? '0.0.0.0',
    port,
    issuer,
    client: {
      clientId: text('DEV_IDP_CLIENT_ID') ?? DEFAULT_CLIENT_ID,
      clientSecret: text('DEV_IDP_CLIENT_SECRET') ?? DEFAULT_CLIENT_SECRET,
      redirectUris,
    },
    accessTokenTtlSeconds,
    jwks,
    cookieKeys: cookieKeys.length ? cookieKeys : undefined,
  };
}

function urlProblem(value: string, { bareOrigin }: { bareOrigin: boolean }): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http(s) URL';
  if (url.search || url.hash) return 'must have no query or fragment';
  if (bareOrigin && value !== url.origin) return `must be a bare origin such as ${url.origin}`;
  return undefined;
}
