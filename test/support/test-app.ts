import {
  type DynamicModule,
  type INestApplication,
  type LogLevel,
  type ModuleMetadata,
} from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test, type TestingModule } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { createServer } from 'node:net';
import {
  McpAuthModule,
  McpResourceServerModule,
  type McpAuthModuleForRootOptions,
  type McpAuthModuleOptions,
  ResourceOwnerAuthenticator,
  type McpAuthResourceServerOptions,
} from '@app/mcp-auth';
import type { ResourceServerModuleForRootOptions } from '@app/mcp-auth/resource-server';
import { DATABASE_TARGETS, openTestDatabase, type TestDatabase } from './test-database';
import { TestAuthenticator } from './test-authenticator';

export interface TestApp {
  app: INestApplication;
  /** Origin the app listens on, e.g. `http://127.0.0.1:41234`; also the default issuer. */
  url: string;
  port: number;
  db: TestDatabase;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Module options; `issuer` defaults to the app's own origin. */
  auth?: (origin: string) => Partial<McpAuthModuleForRootOptions>;
  /** `McpAuthModule.forRoot({ resourceServer })`: the settings of its resource-server half. */
  resourceServer?: McpAuthResourceServerOptions;
  /** Extra imports, controllers and providers of the root test module. */
  module?: ModuleMetadata;
  /** Reuse a database (e.g. to restart an app or run a second instance on it). */
  db?: TestDatabase;
  port?: number;
  /** Take the client address from X-Forwarded-For sent through a loopback proxy. */
  trustProxy?: 'loopback';
}

/** A free TCP port on loopback (released before use; fine for tests). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * The resource server every test app knows: a pre-registered confidential client, the one
 * caller allowed to introspect (AS-27). Dynamically registered clients never may.
 */
export const TEST_RESOURCE_SERVER = {
  clientId: 'test-resource-server',
  secret: 'test-resource-server-secret-0123456789',
  method: 'client_secret_basic',
} as const;

/** Options most tests start from: one MCP resource and three scopes. */
export function defaultAuthOptions(origin: string): McpAuthModuleOptions {
  return {
    issuer: origin,
    resources: [{ path: '/mcp', scopes: ['mcp:tools', 'mcp:resources'] }],
    scopes: {
      'mcp:tools': 'Call tools',
      'mcp:resources': 'Read resources',
      'mcp:admin': 'Administer the server',
      offline_access: 'Stay signed in',
    },
    clients: [
      {
        client_id: TEST_RESOURCE_SERVER.clientId,
        client_secret: TEST_RESOURCE_SERVER.secret,
        token_endpoint_auth_method: TEST_RESOURCE_SERVER.method,
        redirect_uris: ['https://rs.example.com/unused'],
        client_name: 'Resource server (introspection)',
      },
    ],
    introspection: { allowedClients: [TEST_RESOURCE_SERVER.clientId] },
    cleanupInterval: 0,
    // Suites register many clients from 127.0.0.1; the rate-limit suite turns limits on.
    rateLimit: false,
  };
}

/**
 * Boots the real Nest application with McpAuthModule (authorization server and the resource
 * server for its own tokens) on real Postgres (DATABASE_URL) or, when that is unset, the
 * embedded database, listening on loopback.
 */
/**
 * The HTTP adapter the test apps run on: Express unless `TEST_HTTP_ADAPTER=fastify`, so CI
 * runs the flows and the security suites on both.
 */
export const TEST_HTTP_ADAPTER: 'express' | 'fastify' =
  process.env.TEST_HTTP_ADAPTER === 'fastify' ? 'fastify' : 'express';

/**
 * A Nest application of `moduleRef` on the adapter under test. `trustProxy: 'loopback'` takes
 * the client address from X-Forwarded-For when the proxy is on loopback (each adapter's own
 * setting: Express's `trust proxy`, Fastify's `trustProxy`).
 */
export function createHttpApplication(
  moduleRef: TestingModule,
  options: { trustProxy?: 'loopback' } = {},
): INestApplication {
  const appOptions = { logger: ['error', 'warn'] as LogLevel[] };
  if (TEST_HTTP_ADAPTER === 'fastify') {
    const adapter = new FastifyAdapter({ trustProxy: options.trustProxy ? '127.0.0.1' : false });
    return moduleRef.createNestApplication<NestFastifyApplication>(adapter, appOptions);
  }
  const app = moduleRef.createNestApplication<NestExpressApplication>(appOptions);
  if (options.trustProxy) app.set('trust proxy', options.trustProxy);
  return app;
}

export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const db = options.db ?? (await openTestDatabase(DATABASE_TARGETS[DATABASE_TARGETS.length - 1]));
  const ownsDb = !options.db;
  const authOptions: McpAuthModuleForRootOptions = {
    ...defaultAuthOptions(url),
    extraProviders: [{ provide: ResourceOwnerAuthenticator, useClass: TestAuthenticator }],
    ...(options.auth?.(url) ?? {}),
    ...(options.resourceServer ? { resourceServer: options.resourceServer } : {}),
  };

  const moduleRef = await Test.createTestingModule({
    imports: [
      TypeOrmModule.forRootAsync({
        useFactory: () => ({ type: 'postgres' }),
        // The test database is already open and migrated; the app shares it.
        dataSourceFactory: async () => db.dataSource,
      }),
      McpAuthModule.forRoot(authOptions),
      ...(options.module?.imports ?? []),
    ],
    controllers: options.module?.controllers ?? [],
    providers: options.module?.providers ?? [],
  }).compile();

  const app = createHttpApplication(moduleRef, { trustProxy: options.trustProxy });
  try {
    await app.listen(port, '127.0.0.1');
  } catch (error) {
    // A failed boot leaves started providers (timers, LISTEN connections) behind: stop them.
    await closeAppKeepingDatabase(app, db).catch(() => undefined);
    if (ownsDb) await db.close();
    throw error;
  }
  return {
    app,
    url,
    port,
    db,
    close: async () => {
      await closeAppKeepingDatabase(app, db);
      if (ownsDb) await db.close();
    },
  };
}

/**
 * `app.close()` would destroy the shared DataSource through TypeOrmModule's shutdown hook;
 * tests that restart an app on the same database keep it alive by swapping destroy out.
 */
export async function closeAppKeepingDatabase(
  app: INestApplication,
  db: TestDatabase,
): Promise<void> {
  const destroy = db.dataSource.destroy.bind(db.dataSource);
  db.dataSource.destroy = async () => undefined;
  try {
    await app.close();
  } finally {
    db.dataSource.destroy = destroy;
  }
}

/** An app without a database (see {@link createExternalResourceServerApp}). */
export interface PlainTestApp {
  app: INestApplication;
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * An app with no database: the resource-server-only module (`McpResourceServerModule`
 * of the options, or the given module, e.g. from `McpResourceServerModule.forRootAsync`) plus the test's
 * controllers and providers.
 */
export async function createExternalResourceServerApp(
  resourceServer: (origin: string) => ResourceServerModuleForRootOptions | DynamicModule,
  module: ModuleMetadata = {},
): Promise<PlainTestApp> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const options = resourceServer(url);
  const moduleRef = await Test.createTestingModule({
    imports: [
      'module' in options ? options : McpResourceServerModule.forRoot(options),
      ...(module.imports ?? []),
    ],
    controllers: module.controllers ?? [],
    providers: module.providers ?? [],
  }).compile();
  const app = createHttpApplication(moduleRef);
  try {
    await app.listen(port, '127.0.0.1');
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  return { app, url, port, close: () => app.close() };
}
