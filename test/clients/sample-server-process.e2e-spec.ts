import {
  Client,
  StreamableHTTPClientTransport,
  UnauthorizedError,
} from '@modelcontextprotocol/client';
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InMemoryOAuthClientProvider } from '../support/oauth-client-provider';
import { freePort } from '../support/test-app';
import { startChild, type RunningChild } from './support/child-process';
import { DEMO_USER } from './support/sample-app';
import { createScratchDatabase, type ScratchDatabase } from './support/scratch-database';

/**
 * The sample server as a process, started the way `npm start` starts it (main.ts unchanged;
 * compiled in memory by support/swc-register.cjs instead of the build, so nothing is written
 * to dist/): its start-up output, health, the landing page, the MCP endpoint's other methods
 * and what a browser sees there, a full flow with the MCP SDK v2 client, and a clean SIGTERM
 * shutdown that leaves the database consistent for the next start. All of it on Express (the
 * default) and on Fastify (`HTTP_ADAPTER=fastify`).
 */

jest.setTimeout(180_000);

const WORKSPACE = resolve(__dirname, '../..');

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A database URL as the server may print it: no password, no query. */
function withoutSecrets(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  url.password = '';
  url.search = '';
  return url.toString();
}

const ADAPTERS = ['express', 'fastify'] as const;

describe.each(ADAPTERS)('The sample server process on %s', (adapter) => {
  let database: ScratchDatabase;
  let dataDir: string;
  let port: number;
  let issuer: string;
  let server: RunningChild | undefined;

  beforeAll(async () => {
    database = await createScratchDatabase();
    dataDir = await mkdtemp(join(tmpdir(), 'mcp-sample-data-'));
    port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await server?.stop();
    await database?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  async function start(): Promise<RunningChild> {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.DATABASE_URL;
    delete env.NODE_ENV;
    // The demo defaults, which the start-up output is checked against.
    delete env.DEMO_USERNAME;
    delete env.DEMO_PASSWORD;
    const child = startChild(
      process.execPath,
      ['-r', './test/clients/support/swc-register.cjs', 'apps/sample-mcp-server/src/main.ts'],
      {
        cwd: WORKSPACE,
        env: {
          ...env,
          PORT: String(port),
          HOST: '127.0.0.1',
          ISSUER_URL: issuer,
          HTTP_ADAPTER: adapter,
          ...(database.url
            ? { DATABASE_URL: database.url }
            : { EMBEDDED_DATA_DIR: join(dataDir, 'pglite') }),
          NO_COLOR: '1',
        },
        timeoutMs: 150_000,
      },
    );
    await child.waitFor(/MCP endpoint: \S+\/mcp/, 90_000);
    return child;
  }

  const provider = new InMemoryOAuthClientProvider('http://127.0.0.1/callback', {
    user: DEMO_USER,
  });

  it('boots and answers /health with 200 while the database is up', async () => {
    server = await start();
    const health = await fetch(`${issuer}/health`);
    expect(health.status).toBe(200);
    expect(health.headers.get('x-powered-by')).toBeNull();
    // Which adapter answers shows: Express routes paths case-insensitively, Fastify does not.
    const upper = await fetch(`${issuer}/HEALTH`);
    await upper.body?.cancel();
    expect(upper.status).toBe(adapter === 'fastify' ? 404 : 200);
    expect(await health.json()).toMatchObject({
      status: 'ok',
      info: {
        'mcp-auth': {
          status: 'up',
          database: 'up',
          signingKey: 'present',
          revocations: expect.stringMatching(/^(listening|polling)$/),
        },
      },
    });
  });

  it('ends its start-up output with what to do next, without Nest’s route mapping', () => {
    const running = server as RunningChild;
    const output = running.stdout() + running.stderr();
    expect(output).not.toMatch(/RoutesResolver|RouterExplorer|Mapped \{|InstanceLoader/);
    const data = database.url
      ? `PostgreSQL at ${withoutSecrets(database.url)}`
      : `embedded PostgreSQL (PGlite) in ${join(dataDir, 'pglite')}`;
    // The block is the last thing printed, after Nest's own few lines.
    expect(running.stdout().trimEnd()).toMatch(
      new RegExp(
        `\\nSample MCP server is ready\\.\\n` +
          `  MCP endpoint: ${escapeRegExp(`${issuer}/mcp`)}\\n` +
          `  In a browser: ${escapeRegExp(`${issuer}/`)}\\n` +
          `  MCP Inspector \\(Node 22\\.19\\+\\): ${escapeRegExp(
            `npx @modelcontextprotocol/inspector --transport http --server-url ${issuer}/mcp`,
          )}\\n` +
          `  Demo sign-in: username "demo", password "demo-password"\\n` +
          `  Data: ${escapeRegExp(data)}$`,
      ),
    );
    expect(running.stdout().trim().split('\n').length).toBeLessThan(20);
  });

  it('serves a landing page at /: the MCP URL, the metadata documents, how to connect; no script', async () => {
    const page = await fetch(`${issuer}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toMatch(
      /^default-src 'none'; style-src 'sha256-/,
    );
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    const html = await page.text();
    expect(html).toContain(`${issuer}/mcp`);
    expect(html).toContain('<a href="/.well-known/oauth-authorization-server">');
    expect(html).toContain('<a href="/.well-known/oauth-protected-resource/mcp">');
    expect(html).toContain('npx @modelcontextprotocol/inspector --transport http --server-url');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('demo-password');
  });

  it('/mcp opened in a browser: a page saying what it is, with the same 401 challenge', async () => {
    const browser = await fetch(`${issuer}/mcp`, {
      headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' },
    });
    expect(browser.status).toBe(401);
    expect(browser.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${issuer}/.well-known/oauth-protected-resource/mcp", scope="mcp:tools"`,
    );
    expect(browser.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(browser.headers.get('content-security-policy')).toMatch(/^default-src 'none';/);
    expect(await browser.text()).toMatch(/This is an MCP endpoint[^]*<a href="\/">/);

    // What MCP clients ask for is answered as before: the challenge and a JSON body.
    for (const accept of ['text/event-stream', 'application/json, text/event-stream']) {
      const client = await fetch(`${issuer}/mcp`, { headers: { accept } });
      expect(client.status).toBe(401);
      expect(client.headers.get('www-authenticate')).toContain('resource_metadata=');
      expect(await client.json()).toEqual({});
    }
  });

  it('/mcp: GET and DELETE answer 405 (Allow: POST) to an authenticated client, 401 to anyone else', async () => {
    expect(await auth(provider, { serverUrl: `${issuer}/mcp` })).toBe('REDIRECT');
    const { code } = await provider.signIn(issuer);
    expect(await auth(provider, { serverUrl: `${issuer}/mcp`, authorizationCode: code })).toBe(
      'AUTHORIZED',
    );
    const token = provider.tokens()!.access_token;

    for (const method of ['GET', 'DELETE']) {
      const allowed = await fetch(`${issuer}/mcp`, {
        method,
        headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
      });
      expect({ method, status: allowed.status }).toEqual({ method, status: 405 });
      expect(allowed.headers.get('allow')).toBe('POST');
      expect(await allowed.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 } });

      const anonymous = await fetch(`${issuer}/mcp`, { method });
      expect({ method, status: anonymous.status }).toEqual({ method, status: 401 });
      expect(anonymous.headers.get('www-authenticate')).toContain('resource_metadata=');
    }
  });

  it('a full flow with the MCP SDK v2 client: 401, discovery, registration, sign-in; the tools see the token; step-up to mcp:admin', async () => {
    const mcpUrl = new URL(`${issuer}/mcp`);
    const v2 = new InMemoryOAuthClientProvider('http://127.0.0.1/v2-callback', { user: DEMO_USER });
    const connect = async (): Promise<{
      client: Client;
      transport: StreamableHTTPClientTransport;
    }> => {
      const transport = new StreamableHTTPClientTransport(mcpUrl, { authProvider: v2 });
      const client = new Client({ name: `process-proof-${adapter}`, version: '1.0.0' });
      await client.connect(transport);
      return { client, transport };
    };
    const first = new StreamableHTTPClientTransport(mcpUrl, { authProvider: v2 });
    await expect(
      new Client({ name: `process-proof-${adapter}`, version: '1.0.0' }).connect(first),
    ).rejects.toBeInstanceOf(UnauthorizedError);
    expect(v2.authorizationUrl?.searchParams.get('resource')).toBe(mcpUrl.href);
    await first.finishAuth((await v2.signIn(issuer)).redirect.searchParams);

    const { client, transport } = await connect();
    try {
      const whoami = (await client.callTool({ name: 'whoami' })) as {
        structuredContent?: Record<string, unknown>;
      };
      expect(whoami.structuredContent).toMatchObject({
        subject: 'demo|demo',
        clientId: v2.clientInformation()?.client_id,
        scopes: ['mcp:tools', 'offline_access'],
        resource: mcpUrl.href,
      });

      // 403 insufficient_scope → a new authorization for the larger scope → the call works.
      await expect(client.callTool({ name: 'server_stats' })).rejects.toBeInstanceOf(
        UnauthorizedError,
      );
      expect(v2.authorizationUrl?.searchParams.get('scope')).toBe(
        'mcp:tools offline_access mcp:admin',
      );
      await transport.finishAuth((await v2.signIn(issuer)).redirect.searchParams);
      const stats = (await client.callTool({ name: 'server_stats' })) as {
        structuredContent?: Record<string, unknown>;
      };
      expect(stats.structuredContent).toMatchObject({ toolCalls: expect.any(Number) });
    } finally {
      await client.close();
    }
  });

  it('shuts down cleanly on SIGTERM: exits promptly, logs no error, frees the port', async () => {
    const running = server as RunningChild;
    const started = Date.now();
    running.child.kill('SIGTERM');
    // Nest's shutdown hooks close the app (and the database), then re-raise the signal.
    expect(await running.exited).toBe('SIGTERM');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(running.stderr()).not.toMatch(/ERROR|Unhandled|Error:/);
    expect(running.stdout()).not.toMatch(/\bERROR\b/);
    await expect(fetch(`${issuer}/health`)).rejects.toThrow();
    server = undefined;
  });

  it('starts again on the same database: the client registered before the shutdown and its grant are still there', async () => {
    server = await start();
    // A refresh proves the client, the grant and the refresh-token family all survived.
    expect(await auth(provider, { serverUrl: `${issuer}/mcp` })).toBe('AUTHORIZED');
    const whoami = await fetch(`${issuer}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${provider.tokens()!.access_token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'whoami', arguments: {} },
      }),
    });
    expect(whoami.status).toBe(200);
    await server.stop();
    expect(await server.exited).toBe('SIGTERM');
    server = undefined;
  });
});
