import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { createPostgresDataSource } from '@app/mcp-auth';
import { freePort } from '../support/test-app';
import { exitedOrReady, startChild, type RunningChild } from './support/child-process';
import { createScratchDatabase, type ScratchDatabase } from './support/scratch-database';

/**
 * The sample server process (main.ts, as `npm start` runs it) in production mode: it refuses
 * to boot with the public demo password or without a key-encryption secret, reports a bad
 * ISSUER_URL in the same list as every other problem, and, once configured, logs what to do
 * next without any secret, stores its signing keys encrypted and does not advertise Express.
 */

jest.setTimeout(180_000);

const WORKSPACE = resolve(__dirname, '../..');
const KEY_SECRET = randomBytes(32).toString('base64');
const DEMO_PASSWORD = `pw-${randomBytes(9).toString('hex')}`;
/** A line of a Node stack trace. */
const STACK_LINE = /^\s+at /m;

function startSample(env: NodeJS.ProcessEnv): RunningChild {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const name of [
    'DATABASE_URL',
    'NODE_ENV',
    'ISSUER_URL',
    'DEMO_PASSWORD',
    'MCP_AUTH_KEY_ENCRYPTION_SECRET',
  ]) {
    delete base[name];
  }
  return startChild(
    process.execPath,
    ['-r', './test/clients/support/swc-register.cjs', 'apps/sample-mcp-server/src/main.ts'],
    {
      cwd: WORKSPACE,
      env: { ...base, HOST: '127.0.0.1', NO_COLOR: '1', ...env },
      timeoutMs: 150_000,
    },
  );
}

describe('The sample server in production mode', () => {
  it('refuses to boot with the default demo password and no key-encryption secret, naming both', async () => {
    const sample = startSample({
      NODE_ENV: 'production',
      PORT: String(await freePort()),
      EMBEDDED_DATA_DIR: 'memory://',
    });
    expect(await exitedOrReady(sample, /MCP endpoint: /, 60_000)).toBe(1);
    const output = sample.stderr() + sample.stdout();
    expect(output).toMatch(
      /Invalid configuration:\n {2}- DEMO_PASSWORD must be set to a password of your own in production[^\n]*\n {2}- MCP_AUTH_KEY_ENCRYPTION_SECRET must be set in production/,
    );
    expect(output).not.toMatch(STACK_LINE);
  });

  it('reports a bad ISSUER_URL in the list of configuration problems, without a stack trace', async () => {
    const sample = startSample({
      PORT: String(await freePort()),
      ISSUER_URL: 'https://mcp.example.com/mcp',
      DEMO_PASSWORD: 'short',
      EMBEDDED_DATA_DIR: 'memory://',
    });
    expect(await exitedOrReady(sample, /MCP endpoint: /, 60_000)).toBe(1);
    const output = sample.stderr() + sample.stdout();
    expect(output).toMatch(
      /Invalid configuration:\n {2}- DEMO_PASSWORD must be at least 8 characters\n {2}- ISSUER_URL must be the bare origin[^\n]*must not contain a path/,
    );
    expect(output).not.toMatch(STACK_LINE);
  });

  describe('configured with its secrets', () => {
    let database: ScratchDatabase;
    let dataDir: string;
    let issuer: string;
    let server: RunningChild | undefined;

    beforeAll(async () => {
      database = await createScratchDatabase();
      dataDir = await mkdtemp(join(tmpdir(), 'mcp-sample-production-'));
      const port = await freePort();
      issuer = `http://127.0.0.1:${port}`;
      server = startSample({
        NODE_ENV: 'production',
        PORT: String(port),
        ISSUER_URL: issuer,
        DEMO_PASSWORD,
        MCP_AUTH_KEY_ENCRYPTION_SECRET: KEY_SECRET,
        ...(database.url
          ? { DATABASE_URL: database.url }
          : { EMBEDDED_DATA_DIR: join(dataDir, 'pglite') }),
      });
      await server.waitFor(/MCP endpoint: \S+\/mcp/, 90_000);
    });
    afterAll(async () => {
      await server?.stop();
      await database?.drop();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    });

    it('sends no X-Powered-By header', async () => {
      for (const path of ['/health', '/.well-known/oauth-authorization-server', '/mcp']) {
        const response = await fetch(`${issuer}${path}`);
        expect({ path, status: response.status < 500 }).toEqual({ path, status: true });
        expect({ path, poweredBy: response.headers.get('x-powered-by') }).toEqual({
          path,
          poweredBy: null,
        });
      }
    });

    it('prints neither the demo password nor the key-encryption secret', () => {
      const output = (server as RunningChild).stdout() + (server as RunningChild).stderr();
      expect(output).not.toContain(DEMO_PASSWORD);
      expect(output).not.toContain(KEY_SECRET);
    });

    it('ends its start-up log with the MCP URL, the Inspector command and the data location, in JSON, without a sign-in line', () => {
      const messages = (server as RunningChild)
        .stdout()
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { message: string }).message);
      // The database URL as it may be printed: no password, no query.
      const printable = database.url ? new URL(database.url) : undefined;
      if (printable) Object.assign(printable, { password: '', search: '' });
      const data = printable
        ? `Data: PostgreSQL at ${printable.toString()}`
        : `Data: embedded PostgreSQL (PGlite) in ${join(dataDir, 'pglite')}`;
      expect(messages.slice(-4)).toEqual([
        `MCP endpoint: ${issuer}/mcp`,
        `In a browser: ${issuer}/`,
        `MCP Inspector (Node 22.19+): npx @modelcontextprotocol/inspector --transport http --server-url ${issuer}/mcp`,
        data,
      ]);
      expect(messages.join('\n')).not.toMatch(/Demo sign-in|Mapped \{/);
    });

    it('stores its signing keys encrypted (JWE), not as plain JWK', async () => {
      const jwks = (await (await fetch(`${issuer}/.well-known/jwks.json`)).json()) as {
        keys: unknown[];
      };
      expect(jwks.keys.length).toBeGreaterThan(0);
      await server?.stop();
      server = undefined;

      const rows = await signingKeyRows();
      expect(rows.length).toBe(jwks.keys.length);
      for (const { private_key: stored } of rows) {
        // Compact JWE: five base64url parts, the header naming direct AES-GCM encryption.
        expect(stored.split('.')).toHaveLength(5);
        expect(JSON.parse(Buffer.from(stored.split('.')[0], 'base64url').toString())).toMatchObject(
          { alg: 'dir', enc: 'A256GCM' },
        );
        expect(stored).not.toContain('"d"');
      }
    });

    async function signingKeyRows(): Promise<{ private_key: string }[]> {
      const sql = 'SELECT private_key FROM mcp_auth_signing_keys';
      if (database.url) {
        const client = new Client({ connectionString: database.url });
        await client.connect();
        try {
          return (await client.query<{ private_key: string }>(sql)).rows;
        } finally {
          await client.end();
        }
      }
      // The sample's embedded database, opened the way a host opens it (the server is stopped).
      const embedded = await createPostgresDataSource(
        { embeddedDataDir: join(dataDir, 'pglite') },
        {},
      );
      await embedded.initialize();
      try {
        return await embedded.query<{ private_key: string }[]>(sql);
      } finally {
        await embedded.destroy();
      }
    }
  });
});
