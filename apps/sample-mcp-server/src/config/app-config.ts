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
}

export const DEFAULT_DEMO_USERNAME = 'demo';
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
  };
}
