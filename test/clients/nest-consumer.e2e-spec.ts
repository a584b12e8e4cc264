import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { TestBrowser } from '../support/browser';
import {
  InMemoryOAuthClientProvider,
  recordingFetch,
  type Exchange,
} from '../support/oauth-client-provider';
import { freePort } from '../support/test-app';
import { childNpmEnvironment, run, startChild, type RunningChild } from './support/child-process';
import {
  consumerFiles,
  consumerManifest,
  MCP_CONTROLLER_V1,
  MCP_CONTROLLER_V2,
  NEST_CONSUMERS,
  stepTimer,
  type NestConsumer,
} from './support/nest-consumer-app';
import { buildAndPackLibrary } from './support/packed-library';
import { createScratchDatabase, type ScratchDatabase } from './support/scratch-database';

/**
 * Client proof 5: adding the module to an existing Nest backend, from the README alone.
 * The library is built (`nest build mcp-auth`) and packed (`npm pack`) like a release, once;
 * then, for each supported shape of backend (Nest 12 as an ESM app, Nest 11 as a CommonJS
 * app: `support/nest-consumer-app.ts`), a minimal Nest app (what `nest new` gives, trimmed)
 * is written in a temp folder outside the workspace, so nothing resolves from the
 * workspace's node_modules; it installs the tarball and the README's peers from the
 * registry, follows the README's "Using the module in your own Nest app"
 * (McpAuthModule.forRootAsync with ConfigService, the embedded database, an MCP controller
 * handing the request to the MCP SDK's Streamable HTTP transport behind BearerGuard +
 * @RequiredScopes), is compiled with the workspace's TypeScript (`tsc`, type check and
 * emit), boots, and an MCP SDK client goes through the whole flow and calls a tool.
 *
 * The MCP controller is README's, word for word (checked against README first): on SDK v2
 * (`@modelcontextprotocol/server` + `@modelcontextprotocol/node`, what README's install line
 * installs) in the Nest 12 ESM and the latest Nest 11 consumers; the lowest-versions Nest 11
 * consumer runs README's v1 variant instead (`@modelcontextprotocol/sdk`), so both SDK lines
 * are proven without a fourth install. Each consumer installs only its own line: the library
 * needs neither (its `AuthInfo` is its own). The client is the workspace's MCP SDK client, in
 * the test process.
 */

jest.setTimeout(600_000);

const WORKSPACE = resolve(__dirname, '../..');

/** A range of the workspace's package.json. */
async function workspaceRanges(): Promise<(name: string) => string> {
  const workspace = JSON.parse(await readFile(join(WORKSPACE, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  return (name) => {
    const range = workspace.dependencies[name] ?? workspace.devDependencies[name];
    if (!range) throw new Error(`${name} is not in the workspace package.json`);
    return range;
  };
}

describe('Adding McpAuthModule to an existing Nest backend (packed library, README instructions)', () => {
  let packDirectory: string;
  let tarball: string;
  const packTimings: Record<string, number> = {};

  beforeAll(async () => {
    packDirectory = await mkdtemp(join(tmpdir(), 'mcp-auth-pack-'));
  });
  afterAll(async () => {
    if (packDirectory) await rm(packDirectory, { recursive: true, force: true });
    console.info(`library build and pack, milliseconds per step: ${JSON.stringify(packTimings)}`);
  });

  it("the consumers' MCP controllers are README's: the v2 one word for word, the v1 variant's lines in the v1 one", async () => {
    const readme = await readFile(join(WORKSPACE, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Using the module in your own Nest app'));
    const [v2, v1] = [...section.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
    expect(MCP_CONTROLLER_V2).toBe(v2);
    expect(v2.startsWith('// src/mcp.controller.ts\n')).toBe(true);
    // README's v1 variant: its imports and transport, and v1's tool signature.
    const v1Code = v1.split('\n').filter((line) => line.startsWith('import '));
    expect(v1Code).toHaveLength(2);
    for (const line of v1Code) expect(MCP_CONTROLLER_V1).toContain(line);
    expect(v1).toContain('(extra) =>');
    expect(v1).toContain('extra.authInfo');
    expect(v1).toContain(
      'new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true })',
    );
    expect(MCP_CONTROLLER_V1).toMatch(/\(extra\) => \{\n\s+const auth = extra\.authInfo;/);
    expect(MCP_CONTROLLER_V1).toMatch(
      /new StreamableHTTPServerTransport\(\{\s+sessionIdGenerator: undefined,\s+enableJsonResponse: true,\s+\}\)/,
    );
    expect(MCP_CONTROLLER_V1).not.toMatch(/ctx|@modelcontextprotocol\/(server|node)/);
  });

  it('builds the library (nest build mcp-auth) and packs it; the tarball holds the compiled module and its manifest', async () => {
    const packed = await buildAndPackLibrary(packDirectory, async (step, work) => {
      const started = Date.now();
      try {
        return await work();
      } finally {
        packTimings[step] = Date.now() - started;
      }
    });
    tarball = packed.tarball;
    expect(tarball).toMatch(/nestjs-mcp-auth-\d+\.\d+\.\d+\.tgz$/);
    const { files } = packed;
    expect(files).toEqual(
      expect.arrayContaining([
        'package/package.json',
        'package/dist/index.js',
        'package/dist/index.d.ts',
        'package/dist/resource-server/index.js',
        'package/dist/resource-server/index.d.ts',
      ]),
    );
    // Only the build: no sources, specs or test helpers, and no source maps (they would point
    // to sources the tarball does not hold).
    expect(files.filter((f) => /\.ts$/.test(f) && !f.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((f) => /\.spec\.|spec-helper/.test(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
  });

  describe.each(NEST_CONSUMERS)('$name app', (consumer: NestConsumer) => {
    let project: string;
    let database: ScratchDatabase;
    let server: RunningChild | undefined;
    let issuer: string;
    const { timings, timed } = stepTimer();

    beforeAll(async () => {
      project = await mkdtemp(join(tmpdir(), 'mcp-auth-consumer-'));
      database = await createScratchDatabase();
    });
    afterAll(async () => {
      await server?.stop();
      await database?.drop();
      if (project) await rm(project, { recursive: true, force: true });
      console.info(
        `nest consumer proof (${consumer.name}), milliseconds per step: ${JSON.stringify(timings)}`,
      );
    });

    it(`installs the tarball and the README peers from the registry (Nest ${consumer.nestMajor}, "type": "${consumer.moduleType}", MCP SDK ${consumer.mcpSdk})`, async () => {
      expect(tarball).toBeDefined();
      const manifest = consumerManifest(consumer, tarball, await workspaceRanges());
      expect(relative(WORKSPACE, project).startsWith('..')).toBe(true);
      await writeFile(join(project, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
      for (const [file, text] of Object.entries(consumerFiles(consumer))) {
        await mkdir(dirname(join(project, file)), { recursive: true });
        await writeFile(join(project, file), text);
      }

      await timed('npm install', () =>
        run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], {
          cwd: project,
          env: childNpmEnvironment(),
          timeoutMs: 300_000,
        }),
      );
      const installed = await readdir(join(project, 'node_modules/nestjs-mcp-auth/dist'));
      expect(installed).toContain('index.js');
      const versionOf = async (name: string) =>
        (
          JSON.parse(
            await readFile(join(project, 'node_modules', name, 'package.json'), 'utf8'),
          ) as { version: string }
        ).version;
      const nestPackages = [
        '@nestjs/common',
        '@nestjs/core',
        '@nestjs/platform-express',
        '@nestjs/typeorm',
        '@nestjs/passport',
      ];
      for (const nest of nestPackages) {
        const installedVersion = await versionOf(nest);
        expect(installedVersion).toMatch(new RegExp(`^${consumer.nestMajor}\\.`));
        // An exact version in the consumer's manifest (the lowest peers) is what runs.
        const declared = consumer.dependencies[nest];
        if (/^\d+\.\d+\.\d+$/.test(declared)) expect(installedVersion).toBe(declared);
      }
      // The README's peers for the authorization server (optional peers: npm adds none itself).
      await expect(versionOf('@nestjs/throttler')).resolves.toMatch(/^\d/);
      // The consumer's MCP SDK line, and only that one: the library pulls in neither.
      const [mine, other] =
        consumer.mcpSdk === 'v2'
          ? [
              ['@modelcontextprotocol/server', '@modelcontextprotocol/node'],
              ['@modelcontextprotocol/sdk'],
            ]
          : [
              ['@modelcontextprotocol/sdk'],
              ['@modelcontextprotocol/server', '@modelcontextprotocol/node'],
            ];
      for (const name of mine) {
        await expect(versionOf(name)).resolves.toMatch(consumer.mcpSdk === 'v2' ? /^2\./ : /^1\./);
      }
      for (const name of other) await expect(versionOf(name)).rejects.toThrow(/ENOENT/);
    });

    it('compiles with the workspace TypeScript (tsc: type check and emit) to the package type', async () => {
      await timed('tsc', () =>
        run(
          process.execPath,
          [
            join(WORKSPACE, 'node_modules/typescript/bin/tsc'),
            '-p',
            join(project, 'tsconfig.json'),
          ],
          { cwd: project, timeoutMs: 120_000 },
        ),
      );
      expect(await readdir(join(project, 'dist'))).toEqual(
        expect.arrayContaining([
          'main.js',
          'app.module.js',
          'mcp.controller.js',
          'users-authenticator.js',
        ]),
      );
      const main = await readFile(join(project, 'dist/main.js'), 'utf8');
      if (consumer.moduleType === 'module') {
        expect(main).toContain(`import { AppModule } from './app.module.js';`);
        expect(main).not.toMatch(/\brequire\(/);
      } else {
        expect(main).toContain('require("./app.module")');
        expect(main).not.toMatch(/^import /m);
      }
    });

    it('boots on the embedded database (or DATABASE_URL) with the module migrating it', async () => {
      const port = await freePort();
      issuer = `http://127.0.0.1:${port}`;
      const env: NodeJS.ProcessEnv = { ...process.env };
      delete env.DATABASE_URL;
      server = startChild(process.execPath, ['dist/main.js'], {
        cwd: project,
        env: {
          ...env,
          PORT: String(port),
          ISSUER_URL: issuer,
          ...(database.url ? { DATABASE_URL: database.url } : {}),
          NO_COLOR: '1',
        },
        timeoutMs: 300_000,
      });
      await timed('boot', () => server!.waitFor(/Listening on http/, 120_000));
      expect(server.stdout()).toMatch(/applied \d+ migration\(s\): McpAuthInitialSchema/);
    });

    it('401 challenge → PRM → AS metadata → registration → authorization (login + consent) → token → the MCP SDK client calls a tool', async () => {
      const mcpUrl = `${issuer}/mcp`;
      const anonymous = await fetch(mcpUrl, { method: 'POST' });
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toBe(
        `Bearer resource_metadata="${issuer}/.well-known/oauth-protected-resource/mcp", scope="mcp:tools"`,
      );

      const log: Exchange[] = [];
      const provider = new InMemoryOAuthClientProvider(
        `http://127.0.0.1:${await freePort()}/callback`,
      );
      const fetchFn = recordingFetch(log);
      expect(
        await auth(provider, {
          serverUrl: mcpUrl,
          resourceMetadataUrl: new URL(`${issuer}/.well-known/oauth-protected-resource/mcp`),
          scope: 'mcp:tools',
          fetchFn,
        }),
      ).toBe('REDIRECT');
      expect(log.map((e) => `${e.method} ${new URL(e.url).pathname} ${e.status}`)).toEqual([
        'GET /.well-known/oauth-protected-resource/mcp 200',
        'GET /.well-known/oauth-authorization-server 200',
        'POST /register 201',
      ]);
      expect(provider.discoveryState()?.resourceMetadata).toMatchObject({
        resource: mcpUrl,
        authorization_servers: [issuer],
      });

      // The backend's own user signs in on the built-in pages.
      const authorizationUrl = provider.authorizationUrls[0];
      const redirect = await new TestBrowser(issuer).authorize(authorizationUrl.toString(), {
        username: 'carol',
        password: 'carol-password-1',
      });
      expect(redirect.searchParams.get('iss')).toBe(issuer);
      const code = redirect.searchParams.get('code') as string;
      expect(await auth(provider, { serverUrl: mcpUrl, authorizationCode: code, fetchFn })).toBe(
        'AUTHORIZED',
      );
      expect(log.at(-1)).toMatchObject({ method: 'POST', status: 200 });

      // The README's controller: the SDK's transport behind BearerGuard, the verified token
      // reaching the tool as ctx.http.authInfo (v2) or extra.authInfo (v1).
      const client = new Client({ name: 'nest-consumer-proof', version: '1.0.0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(mcpUrl), {
          authProvider: provider,
          fetch: fetchFn,
        }),
      );
      try {
        const whoami = (await client.callTool({ name: 'whoami' })) as {
          content: { type: string; text: string }[];
        };
        expect(JSON.parse(whoami.content[0].text)).toEqual({
          subject: 'user-carol',
          clientId: provider.clientInformation()?.client_id,
          scopes: ['mcp:tools'],
        });
      } finally {
        await client.close();
      }
      const mcpCalls = log.filter((e) => e.url === mcpUrl);
      expect(mcpCalls.length).toBeGreaterThan(0);
      expect(mcpCalls.every((e) => e.status < 400 || e.status === 405)).toBe(true);
    });

    it('stops cleanly on SIGTERM', async () => {
      await server!.stop();
      expect(await server!.exited).toBe('SIGTERM');
      expect(server!.stderr()).not.toMatch(/ERROR|Error:/);
      server = undefined;
    });
  });
});
