import { loadAppConfig } from '../config/app-config';
import { startupSummary } from './startup-summary';

const PRODUCTION = {
  NODE_ENV: 'production',
  DEMO_PASSWORD: 'my own password 1234',
  MCP_AUTH_KEY_ENCRYPTION_SECRET: 'k'.repeat(32),
};

describe('startupSummary', () => {
  it('in development: the MCP URL, the Inspector command, the demo sign-in and the data directory', () => {
    const summary = startupSummary(
      loadAppConfig({ PORT: '4000', EMBEDDED_DATA_DIR: '/var/lib/sample/pglite' }),
    );
    expect(summary).toEqual([
      'MCP endpoint: http://localhost:4000/mcp',
      'In a browser: http://localhost:4000/',
      'MCP Inspector (Node 22.19+): npx @modelcontextprotocol/inspector --transport http --server-url http://localhost:4000/mcp',
      'Demo sign-in: username "demo", password "demo-password"',
      'Data: embedded PostgreSQL (PGlite) in /var/lib/sample/pglite',
    ]);
  });

  it('in production: no sign-in line and no secret, the database URL without its password', () => {
    const summary = startupSummary(
      loadAppConfig({
        ...PRODUCTION,
        ISSUER_URL: 'https://mcp.example.com',
        DATABASE_URL: 'postgres://app:db-secret-pw@db.internal:5432/mcp?password=db-secret-pw',
      }),
    );
    expect(summary).toEqual([
      'MCP endpoint: https://mcp.example.com/mcp',
      'In a browser: https://mcp.example.com/',
      'MCP Inspector (Node 22.19+): npx @modelcontextprotocol/inspector --transport http --server-url https://mcp.example.com/mcp',
      'Data: PostgreSQL at postgres://app@db.internal:5432/mcp',
    ]);
    const text = summary.join('\n');
    for (const secret of ['my own password 1234', 'k'.repeat(32), 'db-secret-pw']) {
      expect(text).not.toContain(secret);
    }
  });

  it('with identity providers: the callback URL to register at each, and whether upstream tokens are kept', () => {
    const providers = {
      UPSTREAM_OIDC_ISSUER: 'https://login.example.com/tenant/v2.0',
      UPSTREAM_OIDC_CLIENT_ID: 'mcp-server',
      UPSTREAM_OIDC_CLIENT_SECRET: 'oidc-client-secret',
      UPSTREAM_OIDC_NAME: 'Acme SSO',
      GITHUB_CLIENT_ID: 'Iv1.abc',
      GITHUB_CLIENT_SECRET: 'github-client-secret',
    };
    const development = startupSummary(loadAppConfig({ PORT: '4000', ...providers }));
    expect(development.slice(3, -1)).toEqual([
      'Demo sign-in: username "demo", password "demo-password"',
      'Sign-in with Acme SSO: register the callback URL http://localhost:4000/federation/oidc/callback',
      'Sign-in with GitHub: register the callback URL http://localhost:4000/federation/github/callback',
      'Upstream tokens: kept, sealed with a key made at start (lost at restart)',
    ]);

    const key = 'u'.repeat(32);
    const production = startupSummary(
      loadAppConfig({
        ...PRODUCTION,
        ...providers,
        ISSUER_URL: 'https://mcp.example.com',
        MCP_AUTH_UPSTREAM_TOKEN_KEYS: key,
      }),
    );
    expect(production.slice(3, -1)).toEqual([
      'Sign-in with Acme SSO: register the callback URL https://mcp.example.com/federation/oidc/callback',
      'Sign-in with GitHub: register the callback URL https://mcp.example.com/federation/github/callback',
      'Upstream tokens: kept, sealed with MCP_AUTH_UPSTREAM_TOKEN_KEYS',
    ]);
    const text = production.join('\n');
    for (const secret of [key, 'oidc-client-secret', 'github-client-secret']) {
      expect(text).not.toContain(secret);
    }

    const notKept = startupSummary(
      loadAppConfig({ ...PRODUCTION, ...providers, ISSUER_URL: 'https://mcp.example.com' }),
    );
    expect(notKept).toContain(
      'Upstream tokens: not kept (set MCP_AUTH_UPSTREAM_TOKEN_KEYS for the upstream_profile tool)',
    );
  });
});
