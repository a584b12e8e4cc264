import {
  type ConfigurableModuleOptionsFactory,
  type DynamicModule,
  type INestApplication,
  Injectable,
  Logger,
  Module,
  type ModuleMetadata,
} from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  discoverAuthorizationServerMetadata,
  exchangeAuthorization,
  registerClient,
  startAuthorization,
} from '@modelcontextprotocol/sdk/client/auth.js';
import type {
  OAuthClientInformationFull,
  OAuthMetadata as AuthorizationServerMetadata,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { lookup } from 'node:dns/promises';
import type { Server } from 'node:http';
import request from 'supertest';
import {
  ResourceOwnerAuthenticator,
  McpAuthModule,
  type McpAuthModuleOptions,
} from '@app/mcp-auth';
import { TestBrowser } from './support/browser';
import { defaultAuthOptions, freePort, TEST_RESOURCE_SERVER } from './support/test-app';
import { TestAuthenticator } from './support/test-authenticator';
import { DATABASE_TARGETS, openTestDatabase, type TestDatabase } from './support/test-database';

/**
 * How McpAuthModule is instantiated: the three `forRootAsync` styles, and several instances in
 * one application (MCP-Nest#138: no instance may see or shadow another's settings, routes,
 * clients or keys).
 *
 * `createTestApp` mounts exactly one instance, so these tests build the TestingModule
 * themselves on the same test database helpers.
 */

const METADATA_PATH = '/.well-known/oauth-authorization-server';
const AUTHENTICATOR = { provide: ResourceOwnerAuthenticator, useClass: TestAuthenticator };

interface RunningApp {
  app: INestApplication;
  close(): Promise<void>;
}

let db: TestDatabase;
/** Where to listen so that both `localhost` and `127.0.0.1` reach the app. */
let listenHost: string | undefined;

beforeAll(async () => {
  db = await openTestDatabase(DATABASE_TARGETS[DATABASE_TARGETS.length - 1]);
  // Both loopback names must reach the app; if `localhost` is not 127.0.0.1 here (e.g. ::1
  // first), listen on every interface instead of loopback IPv4 only.
  listenHost = (await lookup('localhost')).address === '127.0.0.1' ? '127.0.0.1' : undefined;
  Logger.overrideLogger(['error']);
});
afterAll(() => db?.close());

/** Boots the given imports on the shared test database, listening on `port`. */
async function boot(port: number, imports: ModuleMetadata['imports']): Promise<RunningApp> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      TypeOrmModule.forRootAsync({
        useFactory: () => ({ type: 'postgres' }),
        dataSourceFactory: async () => db.dataSource,
      }),
      ...(imports ?? []),
    ],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: ['error'] });
  try {
    await app.listen(port, listenHost as string);
  } catch (error) {
    // Stop whatever started before the boot failed (timers, LISTEN connections).
    await closeKeepingDatabase(app).catch(() => undefined);
    throw error;
  }
  return { app, close: () => closeKeepingDatabase(app) };
}

/** `app.close()` would destroy the shared DataSource through TypeOrmModule's shutdown hook. */
async function closeKeepingDatabase(app: INestApplication): Promise<void> {
  const destroy = db.dataSource.destroy.bind(db.dataSource);
  db.dataSource.destroy = async () => undefined;
  try {
    await app.close();
  } finally {
    db.dataSource.destroy = destroy;
  }
}

async function getMetadata(origin: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${origin}${METADATA_PATH}`);
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------
// forRootAsync
// ---------------------------------------------------------------------------------------------

/** The `mcpAuth` section a host app would load through @nestjs/config. */
function configSection(origin: string): () => { mcpAuth: McpAuthModuleOptions } {
  return () => ({
    mcpAuth: { ...defaultAuthOptions(origin), routePrefix: '/oauth' },
  });
}

/** `useClass` / `useExisting` target: builds the options from the ConfigService. */
@Injectable()
class McpAuthOptionsFromConfig implements ConfigurableModuleOptionsFactory<
  McpAuthModuleOptions,
  'createMcpAuthOptions'
> {
  constructor(private readonly config: ConfigService) {}

  createMcpAuthOptions(): McpAuthModuleOptions {
    return this.config.getOrThrow<McpAuthModuleOptions>('mcpAuth');
  }
}

/** Provides the options factory for `useExisting`, as a host's own config module would. */
@Module({
  imports: [ConfigModule],
  providers: [McpAuthOptionsFromConfig],
  exports: [McpAuthOptionsFromConfig],
})
class McpAuthOptionsModule {}

describe('McpAuthModule.forRootAsync', () => {
  /** Boots the app, checks metadata and that the async routePrefix took effect. */
  async function expectServes(mcpAuth: DynamicModule): Promise<void> {
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const running = await boot(port, [
      ConfigModule.forRoot({ load: [configSection(origin)], ignoreEnvFile: true }),
      mcpAuth,
    ]);
    try {
      const metadata = await getMetadata(origin);
      expect(metadata).toMatchObject({
        issuer: origin,
        authorization_endpoint: `${origin}/oauth/authorize`,
        token_endpoint: `${origin}/oauth/token`,
        jwks_uri: `${origin}/.well-known/jwks.json`,
      });
      // The prefix from the asynchronous options is where the routes really are.
      const token = await fetch(`${origin}/oauth/token`, { method: 'POST' });
      expect(token.status).toBe(400);
      expect(await token.json()).toMatchObject({ error: 'invalid_request' });
      expect((await fetch(`${origin}/token`, { method: 'POST' })).status).toBe(404);
      const jwks = (await (await fetch(`${origin}/.well-known/jwks.json`)).json()) as {
        keys: unknown[];
      };
      expect(jwks.keys.length).toBeGreaterThan(0);
    } finally {
      await running.close();
    }
  }

  it('useFactory + inject: [ConfigService] (ConfigModule.forRoot({ load })) boots and serves metadata', async () => {
    await expectServes(
      McpAuthModule.forRootAsync({
        imports: [ConfigModule],
        inject: [ConfigService],
        useFactory: (config: ConfigService) => config.getOrThrow<McpAuthModuleOptions>('mcpAuth'),
        extraProviders: [AUTHENTICATOR],
      }),
    );
  });

  it('useFactory may be async', async () => {
    await expectServes(
      McpAuthModule.forRootAsync({
        imports: [ConfigModule],
        inject: [ConfigService],
        useFactory: async (config: ConfigService) => {
          await new Promise((resolve) => setTimeout(resolve, 10));
          return config.getOrThrow<McpAuthModuleOptions>('mcpAuth');
        },
        extraProviders: [AUTHENTICATOR],
      }),
    );
  });

  it('useClass: a class implementing createMcpAuthOptions() boots and serves metadata', async () => {
    await expectServes(
      McpAuthModule.forRootAsync({
        imports: [ConfigModule],
        useClass: McpAuthOptionsFromConfig,
        extraProviders: [AUTHENTICATOR],
      }),
    );
  });

  it('useExisting: an options factory provided by an imported module boots and serves metadata', async () => {
    await expectServes(
      McpAuthModule.forRootAsync({
        imports: [McpAuthOptionsModule],
        useExisting: McpAuthOptionsFromConfig,
        extraProviders: [AUTHENTICATOR],
      }),
    );
  });

  it('invalid options from a factory fail the boot with the validation message', async () => {
    const port = await freePort();
    await expect(
      boot(port, [
        McpAuthModule.forRootAsync({
          useFactory: () => ({ ...defaultAuthOptions('http://mcp.example.com') }),
          extraProviders: [AUTHENTICATOR],
        }),
      ]),
    ).rejects.toThrow(/Invalid McpAuthModule options:[\s\S]*issuer: issuer must use https/);
  });
});

// ---------------------------------------------------------------------------------------------
// Two instances in one application
// ---------------------------------------------------------------------------------------------

/** Each instance sits in its own wrapper module, as two features of a host app would. */
@Module({})
class IssuerAModule {
  static register(options: McpAuthModuleOptions): DynamicModule {
    return {
      module: IssuerAModule,
      imports: [McpAuthModule.forRoot({ ...options, extraProviders: [AUTHENTICATOR] })],
    };
  }
}

@Module({})
class IssuerBModule {
  static register(options: McpAuthModuleOptions): DynamicModule {
    return {
      module: IssuerBModule,
      imports: [McpAuthModule.forRoot({ ...options, extraProviders: [AUTHENTICATOR] })],
    };
  }
}

describe('two McpAuthModule instances in one application, bound by host', () => {
  let running: RunningApp;
  let port: number;
  /** Issuer A: `http://localhost:<port>`, no route prefix. */
  let a: string;
  /** Issuer B: `http://127.0.0.1:<port>`, OAuth endpoints under `/oauth`. */
  let b: string;
  let metadataA: AuthorizationServerMetadata;
  let metadataB: AuthorizationServerMetadata;

  beforeAll(async () => {
    port = await freePort();
    a = `http://localhost:${port}`;
    b = `http://127.0.0.1:${port}`;
    running = await boot(port, [
      IssuerAModule.register({ ...defaultAuthOptions(a), host: 'localhost' }),
      IssuerBModule.register({
        ...defaultAuthOptions(b),
        host: '127.0.0.1',
        routePrefix: '/oauth',
      }),
    ]);
    metadataA = (await discoverAuthorizationServerMetadata(a)) as AuthorizationServerMetadata;
    metadataB = (await discoverAuthorizationServerMetadata(b)) as AuthorizationServerMetadata;
  });
  afterAll(() => running?.close());

  const server = () => running.app.getHttpServer() as Server;

  it('AS-3/AS-4: each host answers its own metadata, with its own issuer and endpoints', () => {
    expect(metadataA).toMatchObject({
      issuer: a,
      authorization_endpoint: `${a}/authorize`,
      token_endpoint: `${a}/token`,
      registration_endpoint: `${a}/register`,
      jwks_uri: `${a}/.well-known/jwks.json`,
    });
    expect(metadataB).toMatchObject({
      issuer: b,
      authorization_endpoint: `${b}/oauth/authorize`,
      token_endpoint: `${b}/oauth/token`,
      registration_endpoint: `${b}/oauth/register`,
      jwks_uri: `${b}/.well-known/jwks.json`,
    });
  });

  it('routes answer only on their own host (Host header), prefix included', async () => {
    // A's endpoints are not reachable on B's host and the other way round.
    expect((await fetch(`${b}/token`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${a}/oauth/token`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${a}/token`, { method: 'POST' })).status).toBe(400);
    expect((await fetch(`${b}/oauth/token`, { method: 'POST' })).status).toBe(400);
    // A Host neither instance is bound to gets nothing.
    await request(server()).get(METADATA_PATH).set('Host', 'other.example').expect(404);
    const viaHost = await request(server()).get(METADATA_PATH).set('Host', `localhost:${port}`);
    expect(viaHost.body.issuer).toBe(a);
  });

  it('signing keys differ: each JWKS holds only its own instance’s keys', async () => {
    const kids = async (origin: string) => {
      const body = (await (await fetch(`${origin}/.well-known/jwks.json`)).json()) as {
        keys: { kid: string }[];
      };
      return body.keys.map((key) => key.kid);
    };
    const [kidsA, kidsB] = await Promise.all([kids(a), kids(b)]);
    expect(kidsA.length).toBeGreaterThan(0);
    expect(kidsB.length).toBeGreaterThan(0);
    expect(kidsA.filter((kid) => kidsB.includes(kid))).toEqual([]);
  });

  describe('clients and tokens stay with their issuer', () => {
    let clientA: OAuthClientInformationFull;
    let clientB: OAuthClientInformationFull;

    beforeAll(async () => {
      const clientMetadata = (name: string) => ({
        client_name: name,
        redirect_uris: [`https://${name}.example.com/callback`],
        token_endpoint_auth_method: 'client_secret_basic',
      });
      clientA = await registerClient(a, {
        metadata: metadataA,
        clientMetadata: clientMetadata('a'),
      });
      clientB = await registerClient(b, {
        metadata: metadataB,
        clientMetadata: clientMetadata('b'),
      });
    });

    const basic = (client: OAuthClientInformationFull) =>
      `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`;

    it('AS-9/AS-12: a client registered on one issuer is unknown to the other', async () => {
      for (const [client, other] of [
        [clientA, metadataB],
        [clientB, metadataA],
      ] as const) {
        // The authorization endpoint does not trust it (an error page, never a redirect).
        const authorize = new URL(other.authorization_endpoint);
        authorize.search = new URLSearchParams({
          response_type: 'code',
          client_id: client.client_id,
          redirect_uri: client.redirect_uris[0],
          code_challenge: 'E9Melhoa2OwvFrEMTJguCQaoeQUa5zzVYXVFy2OQ3Wo',
          code_challenge_method: 'S256',
        }).toString();
        const page = await fetch(authorize, { redirect: 'manual' });
        expect(page.status).toBe(400);
        expect(page.headers.get('location')).toBeNull();

        // The token and introspection endpoints refuse its credentials.
        for (const endpoint of [other.token_endpoint, other.introspection_endpoint as string]) {
          const response = await fetch(endpoint, {
            method: 'POST',
            headers: {
              authorization: basic(client),
              'content-type': 'application/x-www-form-urlencoded',
            },
            body: new URLSearchParams({
              grant_type: 'refresh_token',
              refresh_token: 'x',
              token: 'x',
            }),
          });
          expect(response.status).toBe(401);
          expect(await response.json()).toMatchObject({ error: 'invalid_client' });
        }
      }
    });

    it('AS-4/AS-16: the same flow on each issuer yields tokens only that issuer’s keys verify and only its introspection knows', async () => {
      const flow = async (
        issuer: string,
        metadata: AuthorizationServerMetadata,
        client: OAuthClientInformationFull,
      ) => {
        const redirectUrl = client.redirect_uris[0];
        const { authorizationUrl, codeVerifier } = await startAuthorization(issuer, {
          metadata,
          clientInformation: client,
          redirectUrl,
          scope: 'mcp:tools',
          resource: new URL(`${issuer}/mcp`),
          state: 'xyz',
        });
        const redirect = await new TestBrowser(issuer).authorize(authorizationUrl.toString());
        expect(redirect.searchParams.getAll('iss')).toEqual([issuer]);
        return exchangeAuthorization(issuer, {
          metadata,
          clientInformation: client,
          authorizationCode: redirect.searchParams.get('code') as string,
          codeVerifier,
          redirectUri: redirectUrl,
          resource: new URL(`${issuer}/mcp`),
        });
      };
      const tokensA = await flow(a, metadataA, clientA);
      const tokensB = await flow(b, metadataB, clientB);

      const jwksA = createRemoteJWKSet(new URL(metadataA.jwks_uri as string));
      const jwksB = createRemoteJWKSet(new URL(metadataB.jwks_uri as string));
      const verify = { typ: 'at+jwt' };
      const { payload: claimsA } = await jwtVerify(tokensA.access_token, jwksA, {
        ...verify,
        issuer: a,
        audience: `${a}/mcp`,
      });
      const { payload: claimsB } = await jwtVerify(tokensB.access_token, jwksB, {
        ...verify,
        issuer: b,
        audience: `${b}/mcp`,
      });
      expect(claimsA.client_id).toBe(clientA.client_id);
      expect(claimsB.client_id).toBe(clientB.client_id);
      // The other issuer's keys do not verify it.
      await expect(jwtVerify(tokensA.access_token, jwksB)).rejects.toThrow();
      await expect(jwtVerify(tokensB.access_token, jwksA)).rejects.toThrow();

      // Each issuer's own pre-registered resource server (same id, separate rows per issuer).
      const introspect = async (metadata: AuthorizationServerMetadata, token: string) => {
        const response = await fetch(metadata.introspection_endpoint as string, {
          method: 'POST',
          headers: {
            authorization: basic({
              client_id: TEST_RESOURCE_SERVER.clientId,
              client_secret: TEST_RESOURCE_SERVER.secret,
              redirect_uris: [],
            }),
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: new URLSearchParams({ token }),
        });
        expect(response.status).toBe(200);
        return (await response.json()) as { active: boolean; iss?: string };
      };
      expect(await introspect(metadataA, tokensA.access_token)).toMatchObject({
        active: true,
        iss: a,
      });
      expect(await introspect(metadataB, tokensB.access_token)).toMatchObject({
        active: true,
        iss: b,
      });
      expect(await introspect(metadataB, tokensA.access_token)).toEqual({ active: false });
      expect(await introspect(metadataA, tokensB.access_token)).toEqual({ active: false });
    });
  });
});

describe('two McpAuthModule instances in one application without distinct hosts', () => {
  // The metadata and JWKS documents live at the origin root whatever the route prefix, so
  // without host bindings the first instance would silently answer for both issuers (the
  // second one's clients would be handed the wrong issuer and keys). The module refuses to
  // boot instead.
  it('refuses to boot when neither instance is bound to a host, even with different route prefixes', async () => {
    const port = await freePort();
    await expect(
      boot(port, [
        IssuerAModule.register({
          ...defaultAuthOptions(`http://127.0.0.1:${port}`),
          routePrefix: '/a',
        }),
        IssuerBModule.register({
          ...defaultAuthOptions(`http://localhost:${port}`),
          routePrefix: '/b',
        }),
      ]),
    ).rejects.toThrow(
      /would both answer \/\.well-known\/oauth-authorization-server and \/\.well-known\/jwks\.json: give each instance its own `host` option/,
    );
  });

  it('refuses to boot when only one of them is bound to a host', async () => {
    const port = await freePort();
    await expect(
      boot(port, [
        IssuerAModule.register({ ...defaultAuthOptions(`http://127.0.0.1:${port}`) }),
        IssuerBModule.register({
          ...defaultAuthOptions(`http://localhost:${port}`),
          host: 'localhost',
        }),
      ]),
    ).rejects.toThrow(/give each instance its own `host` option/);
  });

  it('refuses to boot when both are bound to the same host (case-insensitively)', async () => {
    const port = await freePort();
    await expect(
      boot(port, [
        IssuerAModule.register({
          ...defaultAuthOptions(`http://localhost:${port}`),
          host: 'localhost',
        }),
        IssuerBModule.register({
          ...defaultAuthOptions(`https://mcp.example.com`),
          host: 'LOCALHOST',
        }),
      ]),
    ).rejects.toThrow(/on host "localhost"/);
  });
});
