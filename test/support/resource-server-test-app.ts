import type { DynamicModule, INestApplication, ModuleMetadata } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { McpAuthModule } from '../../libs/mcp-auth/src/mcp-auth.module';
import type { McpAuthModuleForRootOptions } from '../../libs/mcp-auth/src/mcp-auth.module-definition';
import { instanceControllers } from '../../libs/mcp-auth/src/mcp-auth-routes';
import { ResourceOwnerAuthenticator } from '../../libs/mcp-auth/src/authorization-server/authorization/resource-owner-authenticator.interface';
import { BearerGuard } from '../../libs/mcp-auth/src/resource-server/bearer.guard';
import { Public } from '../../libs/mcp-auth/src/resource-server/decorators/public.decorator';
import {
  createResourceServerModule,
  createResourceServerModuleAsync,
  type ResourceServerModuleAsyncOptions,
  type ResourceServerModuleForRootOptions,
} from '../../libs/mcp-auth/src/resource-server/resource-server.module-factory';
import type { McpAuthResourceServerOptions } from '../../libs/mcp-auth/src/resource-server/resource-server-options.interface';
import {
  RESOURCE_SERVER_CONTROLLERS,
  RESOURCE_SERVER_EXPORTS,
  RESOURCE_SERVER_PROVIDERS,
  resourceServerRouteBinding,
} from '../../libs/mcp-auth/src/resource-server/resource-server.providers';
import { TestAuthenticator } from './test-authenticator';
import { defaultAuthOptions, freePort, type TestApp } from './test-app';
import { DATABASE_TARGETS, openTestDatabase, type TestDatabase } from './test-database';

export interface ResourceServerTestAppOptions {
  /** Module options on top of the defaults; `issuer` defaults to the app's own origin. */
  auth?: (origin: string) => Partial<McpAuthModuleForRootOptions>;
  /** `McpAuthModule.forRoot({ resourceServer })` settings. */
  resourceServer?: McpAuthResourceServerOptions;
  /** Extra imports, controllers and providers of the root test module. */
  module?: ModuleMetadata;
  /** Reuse a database (a second instance on the same one). */
  db?: TestDatabase;
}

/**
 * `McpAuthModule.forRoot()` plus its resource-server half, wired the way the module wires it.
 * While the module does not include it yet, the parts are added here exactly as the wiring
 * instructions say; once it does, the module is used unchanged.
 */
export function withResourceServer(module: DynamicModule): DynamicModule {
  if ((module.exports ?? []).includes(BearerGuard)) return module;
  // The module's own OAuth and discovery endpoints stay reachable under a global guard.
  for (const controller of module.controllers ?? []) Public()(controller);
  const controllers = instanceControllers(RESOURCE_SERVER_CONTROLLERS);
  return {
    ...module,
    controllers: [...(module.controllers ?? []), ...controllers.map((c) => c.controller)],
    providers: [
      ...(module.providers ?? []),
      ...RESOURCE_SERVER_PROVIDERS,
      resourceServerRouteBinding(controllers),
    ],
    exports: [...(module.exports ?? []), ...RESOURCE_SERVER_EXPORTS],
  };
}

/** The resource-server-only module, through `McpAuthModule.forResourceServer` once it exists. */
export function forResourceServer(options: ResourceServerModuleForRootOptions): DynamicModule {
  const wired = (
    McpAuthModule as unknown as {
      forResourceServer?: (o: ResourceServerModuleForRootOptions) => DynamicModule;
    }
  ).forResourceServer;
  return wired
    ? wired.call(McpAuthModule, options)
    : createResourceServerModule(McpAuthModule, options);
}

/** `McpAuthModule.forResourceServerAsync`, once it exists. */
export function forResourceServerAsync(options: ResourceServerModuleAsyncOptions): DynamicModule {
  const wired = (
    McpAuthModule as unknown as {
      forResourceServerAsync?: (o: ResourceServerModuleAsyncOptions) => DynamicModule;
    }
  ).forResourceServerAsync;
  return wired
    ? wired.call(McpAuthModule, options)
    : createResourceServerModuleAsync(McpAuthModule, options);
}

/** An app with our authorization server and the resource server for its own tokens. */
export async function createResourceServerTestApp(
  options: ResourceServerTestAppOptions = {},
): Promise<TestApp> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const db = options.db ?? (await openTestDatabase(DATABASE_TARGETS[DATABASE_TARGETS.length - 1]));
  const authOptions = {
    ...defaultAuthOptions(url),
    extraProviders: [{ provide: ResourceOwnerAuthenticator, useClass: TestAuthenticator }],
    ...(options.auth?.(url) ?? {}),
    ...(options.resourceServer ? { resourceServer: options.resourceServer } : {}),
  } as McpAuthModuleForRootOptions;

  const moduleRef = await Test.createTestingModule({
    imports: [
      TypeOrmModule.forRootAsync({
        useFactory: () => ({ type: 'postgres' }),
        dataSourceFactory: async () => db.dataSource,
      }),
      withResourceServer(McpAuthModule.forRoot(authOptions)),
      ...(options.module?.imports ?? []),
    ],
    controllers: options.module?.controllers ?? [],
    providers: options.module?.providers ?? [],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: ['error', 'warn'] });
  try {
    await app.listen(port, '127.0.0.1');
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  return {
    app,
    url,
    port,
    db,
    close: async () => {
      await closeKeepingDatabase(app, db);
      if (!options.db) await db.close();
    },
  };
}

export interface PlainTestApp {
  app: INestApplication;
  url: string;
  port: number;
  close(): Promise<void>;
}

/** An app with no database: the resource-server-only module plus the test's controllers. */
export async function createExternalResourceServerApp(
  resourceServer: (origin: string) => ResourceServerModuleForRootOptions | DynamicModule,
  module: ModuleMetadata = {},
): Promise<PlainTestApp> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const options = resourceServer(url);
  const moduleRef = await Test.createTestingModule({
    imports: [
      'module' in options ? options : forResourceServer(options),
      ...(module.imports ?? []),
    ],
    controllers: module.controllers ?? [],
    providers: module.providers ?? [],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: ['error', 'warn'] });
  try {
    await app.listen(port, '127.0.0.1');
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  return { app, url, port, close: () => app.close() };
}

/** `app.close()` would destroy a shared DataSource; keep it for the other instance. */
async function closeKeepingDatabase(app: INestApplication, db: TestDatabase): Promise<void> {
  const destroy = db.dataSource.destroy.bind(db.dataSource);
  db.dataSource.destroy = async () => undefined;
  try {
    await app.close();
  } finally {
    db.dataSource.destroy = destroy;
  }
}
