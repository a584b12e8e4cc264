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
  production: boolean;
}

export const DEFAULT_DEMO_USERNAME = 'demo';
export const DEFAULT_DEMO_PASSWORD = 'demo-password';

/** Reads the environment; throws one error listing every problem so the operator fixes all at once. */
export function loadAppConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const problems: string[] = [];

  const portText = env.PORT ?? '3000';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
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

  const databaseUrl = env.DATABASE_URL?.trim() || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push('DATABASE_URL must be a postgres:// or postgresql:// URL');
  }

  const allowedOrigins: string[] = [];
  try {
    allowedOrigins.push(new URL(issuerUrl).origin);
  } catch {
    problems.push(`ISSUER_URL must be an absolute URL such as https://mcp.example.com`);
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
    production: env.NODE_ENV === 'production',
  };
}
