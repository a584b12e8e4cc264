import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { TestBrowser } from '../support/browser';
import {
  InMemoryOAuthClientProvider,
  recordingFetch,
  type Exchange,
} from '../support/oauth-client-provider';
import { freePort } from '../support/test-app';
import { childNpmEnvironment, run, startChild, type RunningChild } from './support/child-process';
import { buildAndPackLibrary } from './support/packed-library';
import { createScratchDatabase, type ScratchDatabase } from './support/scratch-database';

/**
 * Client proof 5: adding the module to an existing Nest backend, from the README alone.
 * The library is built (`nest build mcp-auth`) and packed (`npm pack`) like a release; a
 * minimal Nest app (what `nest new` gives, trimmed) is written in a temp folder outside the
 * workspace, so nothing resolves from the workspace's node_modules; it installs the tarball
 * and the README's peers from the registry, follows the README's "Using the module in your
 * own Nest app" (McpAuthModule.forRootAsync with ConfigService, BearerGuard +
 * @RequiredScopes on one controller, the embedded database), is type-checked with the
 * workspace's TypeScript, boots, and an MCP client goes through the whole flow.
 */

jest.setTimeout(600_000);

const WORKSPACE = resolve(__dirname, '../..');

/** The consumer's dependencies, at the ranges of the workspace's package.json. */
const CONSUMER_DEPENDENCIES = [
  '@nestjs/common',
  '@nestjs/throttler',
  '@nestjs/core',
  '@nestjs/platform-express',
  '@nestjs/config',
  '@nestjs/typeorm',
  '@nestjs/passport',
  'typeorm',
  'pg',
  '@electric-sql/pglite',
  'reflect-metadata',
  'rxjs',
  'passport',
  'class-validator',
  'class-transformer',
];
const CONSUMER_DEV_DEPENDENCIES = ['@types/node', '@types/express'];

/** The consumer application, as the README describes it. */
const CONSUMER_FILES: Record<string, string> = {
  'src/main.ts': `import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';

async function bootstrap() {
  const app = await NestFactory.create(AppModule);
  app.enableShutdownHooks();
  await app.listen(process.env.PORT ?? 3000, '127.0.0.1');
  console.log(\`Listening on \${await app.getUrl()}\`);
}
void bootstrap();
`,
  'src/users-authenticator.ts': `import { Injectable } from '@nestjs/common';
import type {
  AuthenticatedResourceOwner,
  ResourceOwnerAuthenticator,
} from 'nestjs-mcp-auth';

/** The backend's own users (one, for the test). */
@Injectable()
export class UsersAuthenticator implements ResourceOwnerAuthenticator {
  async authenticate(username: string, password: string): Promise<AuthenticatedResourceOwner | null> {
    return username === 'carol' && password === 'carol-password-1'
      ? { subject: 'user-carol', displayName: 'Carol' }
      : null;
  }
}
`,
  'src/app.module.ts': `import { Controller, HttpCode, Module, Post, UseGuards } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  AccessToken,
  BearerGuard,
  createPostgresDataSource,
  MCP_AUTH_MIGRATIONS,
  McpAuthModule,
  RequiredScopes,
  ResourceOwnerAuthenticator,
  type PostgresDataSourceOptions,
  type VerifiedAccessToken,
} from 'nestjs-mcp-auth';
import { UsersAuthenticator } from './users-authenticator';

@Controller('mcp')
@UseGuards(BearerGuard)
@RequiredScopes('mcp:tools')
class McpController {
  @Post()
  @HttpCode(200)
  handle(@AccessToken() token: VerifiedAccessToken) {
    return { subject: token.subject, clientId: token.clientId, scopes: token.scopes };
  }
}

@Module({
  imports: [
    ConfigModule.forRoot(),
    TypeOrmModule.forRootAsync({
      useFactory: () => ({ type: 'postgres', autoLoadEntities: true, migrations: [...MCP_AUTH_MIGRATIONS] }),
      dataSourceFactory: (options) =>
        createPostgresDataSource(
          { url: process.env.DATABASE_URL, embeddedDataDir: '.data/pglite' },
          options as PostgresDataSourceOptions,
        ),
    }),
    McpAuthModule.forRootAsync({
      imports: [ConfigModule],
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        issuer: config.getOrThrow('ISSUER_URL'),
        resources: [{ path: '/mcp', scopes: ['mcp:tools'] }],
        scopes: { 'mcp:tools': 'Call tools', offline_access: 'Stay signed in' },
        migrationsRun: true,
      }),
      extraProviders: [{ provide: ResourceOwnerAuthenticator, useClass: UsersAuthenticator }],
    }),
  ],
  controllers: [McpController],
})
export class AppModule {}
`,
  // What \`nest new\` writes, less \`baseUrl\` (TypeScript 6 rejects it) and incremental builds.
  'tsconfig.json': `${JSON.stringify(
    {
      compilerOptions: {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        resolvePackageJsonExports: true,
        esModuleInterop: true,
        isolatedModules: true,
        declaration: false,
        removeComments: true,
        emitDecoratorMetadata: true,
        experimentalDecorators: true,
        allowSyntheticDefaultImports: true,
        target: 'ES2023',
        sourceMap: false,
        outDir: './dist',
        skipLibCheck: true,
        strictNullChecks: true,
        forceConsistentCasingInFileNames: true,
        noImplicitAny: false,
        strictBindCallApply: false,
        noFallthroughCasesInSwitch: false,
      },
      include: ['src/**/*.ts'],
    },
    null,
    2,
  )}\n`,
};

/**
 * Emits the consumer's JavaScript with the workspace's TypeScript, file by file (the
 * consumer uses `isolatedModules`, so this is what `tsc` would write); the type check is the
 * separate `tsc --noEmit` run.
 */
async function transpile(project: string): Promise<void> {
  const configFile = join(project, 'tsconfig.json');
  const { config } = ts.readConfigFile(configFile, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, project);
  for (const file of parsed.fileNames) {
    const output = ts.transpileModule(await readFile(file, 'utf8'), {
      compilerOptions: parsed.options,
      fileName: file,
    });
    const target = join(project, 'dist', relative(join(project, 'src'), file)).replace(
      /\.ts$/,
      '.js',
    );
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, output.outputText);
  }
}

describe('Adding McpAuthModule to an existing Nest backend (packed library, README instructions)', () => {
  let project: string;
  let database: ScratchDatabase;
  let server: RunningChild | undefined;
  let issuer: string;
  const timings: Record<string, number> = {};

  async function timed<T>(step: string, work: () => Promise<T>): Promise<T> {
    const started = Date.now();
    try {
      return await work();
    } finally {
      timings[step] = Date.now() - started;
    }
  }

  beforeAll(async () => {
    project = await mkdtemp(join(tmpdir(), 'mcp-auth-consumer-'));
    database = await createScratchDatabase();
  });
  afterAll(async () => {
    await server?.stop();
    await database?.drop();
    if (project) await rm(project, { recursive: true, force: true });
    console.info(`nest consumer proof, milliseconds per step: ${JSON.stringify(timings)}`);
  });

  let tarball: string;

  it('builds the library (nest build mcp-auth) and packs it; the tarball holds the compiled module and its manifest', async () => {
    const packed = await buildAndPackLibrary(project, timed);
    tarball = packed.tarball;
    expect(tarball).toMatch(/nestjs-mcp-auth-\d+\.\d+\.\d+\.tgz$/);
    const { files } = packed;
    expect(files).toEqual(
      expect.arrayContaining([
        'package/package.json',
        'package/dist/index.js',
        'package/dist/index.d.ts',
      ]),
    );
    // Only the build: no sources, specs or test helpers.
    expect(files.filter((f) => /\.ts$/.test(f) && !f.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((f) => /\.spec\.|spec-helper/.test(f))).toEqual([]);
  });

  it('a minimal Nest app outside the workspace installs the tarball and the README peers from the registry', async () => {
    const workspace = JSON.parse(await readFile(join(WORKSPACE, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    const version = (name: string) => {
      const range = workspace.dependencies[name] ?? workspace.devDependencies[name];
      if (!range) throw new Error(`${name} is not in the workspace package.json`);
      return range;
    };
    const manifest = {
      name: 'existing-nest-backend',
      version: '0.0.1',
      private: true,
      scripts: { start: 'node dist/main.js' },
      dependencies: {
        'nestjs-mcp-auth': `file:${tarball}`,
        ...Object.fromEntries(CONSUMER_DEPENDENCIES.map((name) => [name, version(name)])),
      },
      devDependencies: Object.fromEntries(
        CONSUMER_DEV_DEPENDENCIES.map((name) => [name, version(name)]),
      ),
    };
    expect(relative(WORKSPACE, project).startsWith('..')).toBe(true);
    await writeFile(join(project, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    for (const [file, text] of Object.entries(CONSUMER_FILES)) {
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
    // The README's peers for the authorization server (optional peers: npm adds none itself).
    await expect(
      readFile(join(project, 'node_modules/@nestjs/throttler/package.json'), 'utf8'),
    ).resolves.toContain('"name": "@nestjs/throttler"');
  });

  it('type-checks with the workspace TypeScript (tsc --noEmit) and compiles', async () => {
    await timed('tsc --noEmit', () =>
      run(
        process.execPath,
        [
          join(WORKSPACE, 'node_modules/typescript/bin/tsc'),
          '-p',
          join(project, 'tsconfig.json'),
          '--noEmit',
        ],
        { cwd: project, timeoutMs: 120_000 },
      ),
    );
    await transpile(project);
    expect(await readdir(join(project, 'dist'))).toEqual(
      expect.arrayContaining(['main.js', 'app.module.js', 'users-authenticator.js']),
    );
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
    expect(server.stdout()).toContain('applied McpAuthInitialSchema');
  });

  it('401 challenge → PRM → AS metadata → registration → authorization (login + consent) → token → the guarded call answers 200', async () => {
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

    const guarded = await fetch(mcpUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${provider.tokens()!.access_token}` },
    });
    expect(guarded.status).toBe(200);
    expect(await guarded.json()).toEqual({
      subject: 'user-carol',
      clientId: provider.clientInformation()?.client_id,
      scopes: ['mcp:tools'],
    });
  });

  it('stops cleanly on SIGTERM', async () => {
    await server!.stop();
    expect(await server!.exited).toBe('SIGTERM');
    expect(server!.stderr()).not.toMatch(/ERROR|Error:/);
    server = undefined;
  });
});
