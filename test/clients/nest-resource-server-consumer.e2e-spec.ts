import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { JsonServer } from '../support/json-server';
import { freePort } from '../support/test-app';
import { childNpmEnvironment, run, startChild, type RunningChild } from './support/child-process';
import { consumerTsconfig, stepTimer } from './support/nest-consumer-app';
import { buildAndPackLibrary } from './support/packed-library';

/**
 * A resource server on its own, from the packed library: `nestjs-mcp-auth/resource-server`
 * in a Nest app that has no database and installs neither TypeORM nor the throttler. The
 * library is built (`nest build mcp-auth`) and packed (`npm pack`) like a release; a minimal
 * Nest app in a temp folder outside the workspace installs the tarball and only the Nest,
 * Passport and RxJS peers from the registry (the optional peers stay out), is type-checked
 * with the workspace's TypeScript, and boots with `McpResourceServerModule.forRoot()`
 * verifying JWT access tokens against a JWKS served by this test. The guarded endpoint then
 * answers 401 with its challenge, serves its protected resource metadata, accepts a token
 * of the key, and refuses a foreign audience (401) and a missing scope (403).
 */

jest.setTimeout(600_000);

const WORKSPACE = resolve(__dirname, '../..');

/** The consumer's dependencies, at the ranges of the workspace's package.json. */
const CONSUMER_DEPENDENCIES = [
  '@nestjs/common',
  '@nestjs/core',
  '@nestjs/platform-express',
  '@nestjs/passport',
  'passport',
  'reflect-metadata',
  'rxjs',
];
const CONSUMER_DEV_DEPENDENCIES = ['@types/node', '@types/express'];

/** Optional peers of the library that a resource-server-only app must not need. */
const ABSENT_PACKAGES = ['typeorm', '@nestjs/typeorm', 'pg', '@nestjs/throttler'];

/** The consumer application: the resource-server entry only. */
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
  'src/app.module.ts': `import { Controller, HttpCode, Module, Post, UseGuards } from '@nestjs/common';
import {
  AccessToken,
  BearerGuard,
  McpResourceServerModule,
  RequiredScopes,
  type VerifiedAccessToken,
} from 'nestjs-mcp-auth/resource-server';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(\`\${name} is not set\`);
  return value;
}

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
    McpResourceServerModule.forRoot({
      resources: [{ uri: \`http://127.0.0.1:\${env('PORT')}/mcp\`, scopes: ['mcp:tools'] }],
      authorizationServers: [env('ISSUER')],
      verifier: { type: 'jwks', jwksUri: env('JWKS_URI') },
    }),
  ],
  controllers: [McpController],
})
export class AppModule {}
`,
  'tsconfig.json': consumerTsconfig(),
};

describe('A resource server alone from nestjs-mcp-auth/resource-server (packed library, no TypeORM, no throttler)', () => {
  let project: string;
  let keys: JsonServer;
  let privateKey: CryptoKey;
  let server: RunningChild | undefined;
  let origin: string;
  const { timings, timed } = stepTimer();

  beforeAll(async () => {
    project = await mkdtemp(join(tmpdir(), 'mcp-auth-rs-consumer-'));
    // The authorization server, as far as the resource server sees it: its signing key's JWKS.
    const pair = await generateKeyPair('ES256');
    privateKey = pair.privateKey;
    const publicJwk = {
      ...(await exportJWK(pair.publicKey)),
      kid: 'as-key-1',
      alg: 'ES256',
      use: 'sig',
    };
    keys = await new JsonServer().start();
    keys.routes.set('/jwks', () => ({ status: 200, body: { keys: [publicJwk] } }));
  });
  afterAll(async () => {
    await server?.stop();
    await keys?.stop();
    if (project) await rm(project, { recursive: true, force: true });
    console.info(
      `nest resource-server consumer proof, milliseconds per step: ${JSON.stringify(timings)}`,
    );
  });

  const issuer = () => keys.origin;

  /** An RFC 9068 access token signed by the authorization server's key. */
  function sign(claims: JWTPayload = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      iss: issuer(),
      aud: `${origin}/mcp`,
      sub: 'user-dana',
      client_id: 'client-inspector',
      scope: 'mcp:tools',
      iat: now,
      exp: now + 300,
      ...claims,
    })
      .setProtectedHeader({ alg: 'ES256', kid: 'as-key-1', typ: 'at+jwt' })
      .sign(privateKey);
  }

  let tarball: string;

  it('builds the library (nest build mcp-auth) and packs it; the tarball holds the resource-server entry', async () => {
    const packed = await buildAndPackLibrary(project, timed);
    tarball = packed.tarball;
    expect(tarball).toMatch(/nestjs-mcp-auth-\d+\.\d+\.\d+\.tgz$/);
    expect(packed.files).toEqual(
      expect.arrayContaining([
        'package/package.json',
        'package/dist/resource-server/index.js',
        'package/dist/resource-server/index.d.ts',
      ]),
    );
  });

  it('a minimal Nest app outside the workspace installs the tarball and only the Nest, Passport and RxJS peers; the optional peers stay out', async () => {
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
      name: 'mcp-resource-server',
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
    const installed = await readdir(
      join(project, 'node_modules/nestjs-mcp-auth/dist/resource-server'),
    );
    expect(installed).toEqual(expect.arrayContaining(['index.js', 'index.d.ts']));
    // Optional peers are not installed with the library.
    expect(
      ABSENT_PACKAGES.filter((name) => existsSync(join(project, 'node_modules', name))),
    ).toEqual([]);
  });

  it('compiles with the workspace TypeScript (tsc: type check and emit)', async () => {
    await timed('tsc', () =>
      run(
        process.execPath,
        [join(WORKSPACE, 'node_modules/typescript/bin/tsc'), '-p', join(project, 'tsconfig.json')],
        { cwd: project, timeoutMs: 120_000 },
      ),
    );
    expect(await readdir(join(project, 'dist'))).toEqual(
      expect.arrayContaining(['main.js', 'app.module.js']),
    );
  });

  it('boots with McpResourceServerModule.forRoot() (issuer and jwks_uri from the environment)', async () => {
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    server = startChild(process.execPath, ['dist/main.js'], {
      cwd: project,
      env: {
        ...process.env,
        PORT: String(port),
        ISSUER: issuer(),
        JWKS_URI: `${issuer()}/jwks`,
        NO_COLOR: '1',
      },
      timeoutMs: 300_000,
    });
    await timed('boot', () => server!.waitFor(/Listening on http/, 120_000));
  });

  it('no token → 401 with the challenge naming the metadata and the scope', async () => {
    const anonymous = await fetch(`${origin}/mcp`, { method: 'POST' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${origin}/.well-known/oauth-protected-resource/mcp", scope="mcp:tools"`,
    );
  });

  it('serves the protected resource metadata naming the authorization server', async () => {
    const metadata = await fetch(`${origin}/.well-known/oauth-protected-resource/mcp`);
    expect(metadata.status).toBe(200);
    expect(await metadata.json()).toMatchObject({
      resource: `${origin}/mcp`,
      authorization_servers: [issuer()],
    });
  });

  it('a token signed by the JWKS key for this resource and scope → 200 with the token it verified', async () => {
    const response = await fetch(`${origin}/mcp`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${await sign()}` },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      subject: 'user-dana',
      clientId: 'client-inspector',
      scopes: ['mcp:tools'],
    });
    expect(keys.requestsTo('/jwks').length).toBeGreaterThanOrEqual(1);
  });

  it('the same token for another audience → 401 invalid_token', async () => {
    const response = await fetch(`${origin}/mcp`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${await sign({ aud: 'https://other.example/mcp' })}` },
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
    expect(await response.json()).toMatchObject({ error: 'invalid_token' });
  });

  it('a token for another scope → 403 insufficient_scope', async () => {
    const response = await fetch(`${origin}/mcp`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${await sign({ scope: 'mcp:resources' })}` },
    });
    expect(response.status).toBe(403);
    const challenge = response.headers.get('www-authenticate');
    expect(challenge).toMatch(/^Bearer error="insufficient_scope"/);
    expect(challenge).toContain('scope="mcp:tools"');
    expect(await response.json()).toMatchObject({ error: 'insufficient_scope' });
  });

  it('SIGTERM stops it cleanly', async () => {
    await server!.stop();
    expect(await server!.exited).toBe('SIGTERM');
    expect(server!.stderr()).not.toMatch(/ERROR|Error:/);
    server = undefined;
  });
});
