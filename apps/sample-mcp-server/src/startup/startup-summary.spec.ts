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
});
