import { validateIssuer } from '@app/mcp-auth';
import {
  HTTP_ADAPTERS,
  type HttpAdapterName,
  parseTrustProxy,
  type TrustProxy,
} from '../http/http-adapter';

/** The sample server's configuration, read once from the environment and checked at boot. */
export interface AppConfig {
  port: number;
  issuerUrl: string;
  databaseUrl: string | undefined;
  embeddedDataDir: string;
  demoUsername: string;
  demoPassword: string;
  /** Raw JSON of MCP_AUTH_STATIC_CLIENTS, parsed and checked by the module. */
  staticClients: unknown[];
  /** Browser origins allowed to call /mcp (RS-11: DNS-rebinding protection); the issuer's own always is. */
  allowedOrigins: string[];
  /** Encrypts the signing keys at rest (`tokens.keyEncryptionSecret`); required in production. */
  keyEncryptionSecret: string | undefined;
  production: boolean;
  /** The Nest HTTP platform (`HTTP_ADAPTER`): Express (the default) or Fastify. */
  httpAdapter: HttpAdapterName;
  /** `TRUST_PROXY`: Express's `trust proxy`, Fastify's `trustProxy`; unset trusts no proxy. */
  trustProxy: TrustProxy | undefined;
  /** `MCP_AUTH_DYNAMIC_REGISTRATION`: serve RFC 7591 `/register` (default true). */
  dynamicRegistration: boolean;
  /**
   * `MCP_AUTH_CIMD_ALLOW_LOOPBACK_HOSTS`: development only, refused in production. Host names
   * whose Client ID Metadata Documents may be fetched from this machine.
   */
  cimdAllowLoopbackHosts: string[];
  /** `MCP_AUTH_CIMD_CA_FILE`: PEM of an extra CA trusted for metadata document fetches only. */
  cimdCaFile: string | undefined;
  /** Sign-in at upstream identity providers, beside the demo password. */
  federation: FederationConfig;
  /**
   * `MCP_AUTH_TRUSTED_IDPS`: enterprise identity providers whose ID-JAGs clients redeem at
   * /token (enterprise-managed authorization). Empty when unset: the grant is off.
   */
  trustedIdentityProviders: TrustedIdpConfig[];
}

/** One entry of `MCP_AUTH_TRUSTED_IDPS`: `{ "issuer": ..., "jwks_uri": ... }`. */
export interface TrustedIdpConfig {
  /** The ID-JAG `iss`, compared exactly. */
  issuer: string;
  /** `jwks_uri`; unset: found by the provider's discovery document. */
  jwksUri: string | undefined;
}

/** `UPSTREAM_OIDC_*`: an OpenID Connect provider found by discovery (provider id `oidc`). */
export interface UpstreamOidcConfig {
  issuer: string;
  clientId: string;
  /** Unset for a public client (PKCE only). */
  clientSecret: string | undefined;
  scopes: string[];
  /** Shown on the sign-in page: "Approve and continue with <name>". */
  name: string;
  /** An http issuer: development only, refused in production, warned about at boot. */
  allowInsecureHttp: boolean;
}

/** `GITHUB_CLIENT_ID` / `GITHUB_CLIENT_SECRET`: the GitHub preset (provider id `github`). */
export interface GitHubConfig {
  clientId: string;
  clientSecret: string;
}

export interface FederationConfig {
  oidc: UpstreamOidcConfig | undefined;
  github: GitHubConfig | undefined;
  /**
   * `MCP_AUTH_UPSTREAM_TOKEN_KEYS`: the secrets sealing kept upstream tokens, newest first.
   * Empty when unset.
   */
  tokenKeys: string[];
  /**
   * Whether providers keep the upstream tokens (for tools such as `upstream_profile`): always
   * with `tokenKeys`; without them only outside production, under a key generated at start.
   */
  keepTokens: boolean;
}

/** Host names of the loopback interface, as `URL.hostname` spells them. */
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

export const DEFAULT_DEMO_USERNAME = 'demo';
export const DEFAULT_UPSTREAM_OIDC_SCOPES = ['openid', 'profile', 'email'];
export const DEFAULT_UPSTREAM_OIDC_NAME = 'Single sign-on';
/** The library's minimum for `federation.tokenEncryptionKeys`. */
export const MIN_UPSTREAM_TOKEN_KEY_LENGTH = 32;
export const DEFAULT_DEMO_PASSWORD = 'demo-password';
/** The module's minimum for `tokens.keyEncryptionSecret`. */
export const MIN_KEY_ENCRYPTION_SECRET_LENGTH = 32;

/** Reads the environment; throws one error listing every problem so the operator fixes all at once. */
export function loadAppConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const problems: string[] = [];
  const production = env.NODE_ENV === 'production';

  const portText = env.PORT ?? '3000';
  const port = Number(portText);
  const portValid = /^\d+$/.test(portText) && port >= 1 && port <= 65535;
  if (!portValid) {
    problems.push(`PORT must be a TCP port number (1-65535), got "${portText}"`);
  }

  const issuerUrl = env.ISSUER_URL ?? `http://localhost:${portText}`;

  let staticClients: unknown[] = [];
  if (env.MCP_AUTH_STATIC_CLIENTS?.trim()) {
    try {
      const parsed: unknown = JSON.parse(env.MCP_AUTH_STATIC_CLIENTS);
      if (!Array.isArray(parsed)) {
        problems.push('MCP_AUTH_STATIC_CLIENTS must be a JSON array of client metadata objects');
      } else {
        staticClients = parsed;
      }
    } catch (error) {
      problems.push(`MCP_AUTH_STATIC_CLIENTS is not valid JSON: ${(error as Error).message}`);
    }
  }

  const demoUsername = env.DEMO_USERNAME ?? DEFAULT_DEMO_USERNAME;
  const demoPassword = env.DEMO_PASSWORD ?? DEFAULT_DEMO_PASSWORD;
  if (!demoUsername.trim()) problems.push('DEMO_USERNAME must not be empty');
  if (demoPassword.length < 8) problems.push('DEMO_PASSWORD must be at least 8 characters');
  // The default password is published in the README: anyone could sign in with it.
  if (production && demoPassword === DEFAULT_DEMO_PASSWORD) {
    problems.push(
      `DEMO_PASSWORD must be set to a password of your own in production (NODE_ENV=production): the default "${DEFAULT_DEMO_PASSWORD}" is public`,
    );
  }

  // Never echo the secret itself: only whether it is there and long enough.
  const keyEncryptionSecret = env.MCP_AUTH_KEY_ENCRYPTION_SECRET || undefined;
  if (keyEncryptionSecret === undefined) {
    if (production) {
      problems.push(
        `MCP_AUTH_KEY_ENCRYPTION_SECRET must be set in production (NODE_ENV=production): at least ${MIN_KEY_ENCRYPTION_SECRET_LENGTH} characters of random data (e.g. openssl rand -base64 32), which encrypt the signing keys stored in the database`,
      );
    }
  } else if (keyEncryptionSecret.length < MIN_KEY_ENCRYPTION_SECRET_LENGTH) {
    problems.push(
      `MCP_AUTH_KEY_ENCRYPTION_SECRET must be at least ${MIN_KEY_ENCRYPTION_SECRET_LENGTH} characters of random data (e.g. openssl rand -base64 32), got ${keyEncryptionSecret.length}`,
    );
  }

  const databaseUrl = env.DATABASE_URL?.trim() || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push('DATABASE_URL must be a postgres:// or postgresql:// URL');
  }

  const allowedOrigins: string[] = [];
  // The module's own rules, checked here so that a bad issuer joins this list instead of
  // failing later inside Nest with a stack trace. An issuer derived from a bad PORT would only
  // repeat that problem. The value is not echoed: it could carry user:password@.
  const issuerChecked = env.ISSUER_URL !== undefined || portValid;
  const issuerProblems = issuerChecked ? validateIssuer(issuerUrl) : [];
  if (issuerProblems.length) {
    problems.push(
      `ISSUER_URL must be the bare origin clients reach the server at, such as https://mcp.example.com: ${issuerProblems.join('; ')}`,
    );
  } else if (issuerChecked) {
    allowedOrigins.push(new URL(issuerUrl).origin);
  }
  for (const origin of (env.MCP_ALLOWED_ORIGINS ?? '').split(',').map((o) => o.trim())) {
    if (!origin) continue;
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (!parsed || parsed.origin !== origin) {
      problems.push(
        `MCP_ALLOWED_ORIGINS: "${origin}" is not an origin such as http://localhost:6274`,
      );
    } else {
      allowedOrigins.push(origin);
    }
  }

  const registration = (env.MCP_AUTH_DYNAMIC_REGISTRATION?.trim() || 'true').toLowerCase();
  if (registration !== 'true' && registration !== 'false') {
    problems.push(
      `MCP_AUTH_DYNAMIC_REGISTRATION must be true or false, got "${env.MCP_AUTH_DYNAMIC_REGISTRATION}"`,
    );
  }
  const cimdAllowLoopbackHosts = (env.MCP_AUTH_CIMD_ALLOW_LOOPBACK_HOSTS ?? '')
    .split(',')
    .map((host) => host.trim())
    .filter(Boolean);
  if (production && cimdAllowLoopbackHosts.length > 0) {
    problems.push(
      'MCP_AUTH_CIMD_ALLOW_LOOPBACK_HOSTS is for development only and must be unset in production (NODE_ENV=production)',
    );
  }

  const httpAdapter = (env.HTTP_ADAPTER?.trim() || 'express').toLowerCase();
  if (!HTTP_ADAPTERS.includes(httpAdapter as HttpAdapterName)) {
    problems.push(`HTTP_ADAPTER must be ${HTTP_ADAPTERS.join(' or ')}, got "${env.HTTP_ADAPTER}"`);
  }

  const federation = loadFederationConfig(env, production, problems);
  const trustedIdentityProviders = loadTrustedIdps(env.MCP_AUTH_TRUSTED_IDPS, problems);

  if (problems.length) {
    throw new Error(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
  return {
    port,
    issuerUrl,
    databaseUrl,
    embeddedDataDir: env.EMBEDDED_DATA_DIR ?? '.data/pglite',
    demoUsername,
    demoPassword,
    staticClients,
    allowedOrigins,
    keyEncryptionSecret,
    production,
    httpAdapter: httpAdapter as HttpAdapterName,
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
    dynamicRegistration: registration !== 'false',
    cimdAllowLoopbackHosts,
    cimdCaFile: env.MCP_AUTH_CIMD_CA_FILE?.trim() || undefined,
    federation,
    trustedIdentityProviders,
  };
}

const TRUSTED_IDP_MEMBERS = ['issuer', 'jwks_uri'];
const TRUSTED_IDPS_SHAPE =
  'a JSON array of { "issuer": "https://idp.example.com", "jwks_uri": "https://idp.example.com/keys" } objects';

/**
 * `MCP_AUTH_TRUSTED_IDPS`, its problems added to `problems` (the module's rules: https, or
 * http on loopback only). URLs are never echoed: one could carry user:password@.
 */
function loadTrustedIdps(text: string | undefined, problems: string[]): TrustedIdpConfig[] {
  if (!text?.trim()) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // JSON.parse quotes the text around the error: not echoed either.
    problems.push(`MCP_AUTH_TRUSTED_IDPS is not valid JSON: it must be ${TRUSTED_IDPS_SHAPE}`);
    return [];
  }
  if (!Array.isArray(parsed)) {
    problems.push(`MCP_AUTH_TRUSTED_IDPS must be ${TRUSTED_IDPS_SHAPE}`);
    return [];
  }
  const before = problems.length;
  const providers: TrustedIdpConfig[] = [];
  const issuers = new Set<string>();
  for (const [index, entry] of parsed.entries()) {
    const where = `MCP_AUTH_TRUSTED_IDPS[${index}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      problems.push(`${where} must be an object with "issuer" and "jwks_uri"`);
      continue;
    }
    const record = entry as Record<string, unknown>;
    const unknown = Object.keys(record).filter((name) => !TRUSTED_IDP_MEMBERS.includes(name));
    if (unknown.length) {
      problems.push(
        `${where} has unknown member${unknown.length > 1 ? 's' : ''} ${unknown.map((name) => JSON.stringify(name)).join(', ')}: only "issuer" and "jwks_uri"`,
      );
    }
    const issuerProblem = trustedIdpUrlProblem(record.issuer, 'issuer');
    if (issuerProblem) problems.push(`${where}.issuer ${issuerProblem}`);
    else if (issuers.has(record.issuer as string)) {
      problems.push(`${where}.issuer is listed twice`);
    }
    const jwksProblem =
      record.jwks_uri === undefined ? undefined : trustedIdpUrlProblem(record.jwks_uri, 'jwks_uri');
    if (jwksProblem) problems.push(`${where}.jwks_uri ${jwksProblem}`);
    if (!issuerProblem) issuers.add(record.issuer as string);
    providers.push({
      issuer: record.issuer as string,
      jwksUri: record.jwks_uri as string | undefined,
    });
  }
  return problems.length === before ? providers : [];
}

/**
 * Why an identity provider URL is refused, or undefined: https, or http on loopback only; an
 * issuer has no query or fragment (RFC 8414 §2), a key set URL no fragment.
 */
function trustedIdpUrlProblem(value: unknown, kind: 'issuer' | 'jwks_uri'): string | undefined {
  if (value === undefined) return 'is required';
  if (typeof value !== 'string') return 'must be a URL string';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.username || url.password) return 'must not contain user information';
  if (kind === 'issuer' && (url.search || url.hash)) return 'must have no query or fragment';
  if (url.hash) return 'must have no fragment';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return undefined;
  return 'must be https (http only on localhost, 127.0.0.1 or [::1])';
}

/**
 * `UPSTREAM_OIDC_*`, `GITHUB_*` and `MCP_AUTH_UPSTREAM_TOKEN_KEYS`, their problems added to
 * `problems`. Secrets and URLs are never echoed (an issuer could carry user:password@).
 */
function loadFederationConfig(
  env: NodeJS.ProcessEnv,
  production: boolean,
  problems: string[],
): FederationConfig {
  const text = (name: string) => env[name]?.trim() || undefined;

  let oidc: UpstreamOidcConfig | undefined;
  const issuer = text('UPSTREAM_OIDC_ISSUER');
  const clientId = text('UPSTREAM_OIDC_CLIENT_ID');
  const clientSecret = text('UPSTREAM_OIDC_CLIENT_SECRET');
  const scopeText = text('UPSTREAM_OIDC_SCOPES');
  const name = text('UPSTREAM_OIDC_NAME');
  if (issuer === undefined) {
    const orphans = [
      ['UPSTREAM_OIDC_CLIENT_ID', clientId],
      ['UPSTREAM_OIDC_CLIENT_SECRET', clientSecret],
      ['UPSTREAM_OIDC_SCOPES', scopeText],
      ['UPSTREAM_OIDC_NAME', name],
    ].filter(([, value]) => value !== undefined);
    if (orphans.length) {
      problems.push(
        `${orphans.map(([variable]) => variable).join(', ')} ${orphans.length > 1 ? 'are' : 'is'} set without UPSTREAM_OIDC_ISSUER, the provider's issuer URL`,
      );
    }
  } else {
    const before = problems.length;
    const issuerProblem = upstreamIssuerProblem(issuer, production);
    if (issuerProblem) problems.push(`UPSTREAM_OIDC_ISSUER ${issuerProblem}`);
    if (clientId === undefined) {
      problems.push(
        'UPSTREAM_OIDC_CLIENT_ID is required with UPSTREAM_OIDC_ISSUER: the client id this server was registered with at the provider',
      );
    }
    const scopes = scopeText
      ? scopeText.split(/[\s,]+/).filter(Boolean)
      : [...DEFAULT_UPSTREAM_OIDC_SCOPES];
    if (!scopes.includes('openid')) {
      problems.push('UPSTREAM_OIDC_SCOPES must include openid (an OpenID Connect sign-in)');
    }
    if (problems.length === before) {
      oidc = {
        issuer,
        clientId: clientId as string,
        clientSecret,
        scopes: [...new Set(scopes)],
        name: name ?? DEFAULT_UPSTREAM_OIDC_NAME,
        allowInsecureHttp: new URL(issuer).protocol === 'http:',
      };
    }
  }

  let github: GitHubConfig | undefined;
  const githubId = text('GITHUB_CLIENT_ID');
  const githubSecret = text('GITHUB_CLIENT_SECRET');
  if (githubId !== undefined && githubSecret !== undefined) {
    github = { clientId: githubId, clientSecret: githubSecret };
  } else if (githubId !== undefined || githubSecret !== undefined) {
    const [missing, given] =
      githubId === undefined
        ? ['GITHUB_CLIENT_ID', 'GITHUB_CLIENT_SECRET']
        : ['GITHUB_CLIENT_SECRET', 'GITHUB_CLIENT_ID'];
    problems.push(
      `${missing} is required with ${given}: GitHub signs users in for an OAuth app or GitHub App, by its client id and secret`,
    );
  }

  const tokenKeys = (env.MCP_AUTH_UPSTREAM_TOKEN_KEYS ?? '')
    .split(',')
    .map((key) => key.trim())
    .filter(Boolean);
  // Never echoed: only which of them is too short, and how long it is.
  for (const [index, key] of tokenKeys.entries()) {
    if (key.length < MIN_UPSTREAM_TOKEN_KEY_LENGTH) {
      problems.push(
        `MCP_AUTH_UPSTREAM_TOKEN_KEYS: secret ${index + 1} must be at least ${MIN_UPSTREAM_TOKEN_KEY_LENGTH} characters of random data (e.g. openssl rand -base64 32), got ${key.length}`,
      );
    }
  }
  const keepTokens =
    (oidc !== undefined || github !== undefined) && (tokenKeys.length > 0 || !production);
  return { oidc, github, tokenKeys, keepTokens };
}

/** Why an upstream issuer URL is refused, or undefined. An http one only outside production. */
function upstreamIssuerProblem(value: string, production: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "must be the provider's issuer URL, such as https://login.example.com/tenant";
  }
  if (url.username || url.password) return 'must not contain user information';
  if (url.search || url.hash) return 'must have no query or fragment';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol !== 'http:') return 'must be an https URL';
  return production
    ? 'must be https in production (NODE_ENV=production): http is for a local development provider only'
    : undefined;
}
