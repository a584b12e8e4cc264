/**
 * The Nest app of the packed-consumer proof (`nest-consumer.e2e-spec.ts`), as the README's
 * "Using the module in your own Nest app" describes it, in the two shapes existing backends
 * have: Nest 12 (ESM only) as an ESM app, and Nest 11 as a CommonJS app. The source is the
 * same; only the package versions, the package type and the relative-import extension differ,
 * and the MCP controller: README's, on SDK v2, in two consumers, README's v1 variant in the
 * third (the lowest Nest 11 versions).
 */

export type ConsumerModuleType = 'module' | 'commonjs';

export interface NestConsumer {
  /** Shown in the test names and the timings, e.g. 'Nest 12, ESM'. */
  name: string;
  /** The major version of Nest it installs. */
  nestMajor: number;
  /** The consumer package.json's `type`. */
  moduleType: ConsumerModuleType;
  /**
   * The MCP SDK line of its controller: README's v2 controller, or README's v1 variant (with
   * `@modelcontextprotocol/sdk` in place of `@modelcontextprotocol/server` and `/node`).
   */
  mcpSdk: 'v2' | 'v1';
  /** Package → range; `workspace` takes the range of the workspace's package.json. */
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}

/** Take the range from the workspace's package.json (the versions the repository tests). */
export const WORKSPACE_RANGE = 'workspace';

/**
 * What every consumer installs apart from Nest itself and the MCP SDK: README's install line
 * (no `class-transformer`: nothing needs it), plus `@nestjs/config` (README's app module uses
 * ConfigService), `@electric-sql/pglite` (the embedded database) and `reflect-metadata`,
 * `rxjs`, the `@types` packages that `nest new` gives.
 */
const COMMON_DEPENDENCIES: Record<string, string> = {
  '@nestjs/throttler': WORKSPACE_RANGE,
  typeorm: WORKSPACE_RANGE,
  pg: WORKSPACE_RANGE,
  '@electric-sql/pglite': WORKSPACE_RANGE,
  'reflect-metadata': WORKSPACE_RANGE,
  rxjs: WORKSPACE_RANGE,
  passport: WORKSPACE_RANGE,
  'class-validator': WORKSPACE_RANGE,
};
/** README's install line for the MCP endpoint: SDK v2, the server and its Node transport. */
const MCP_SDK_V2: Record<string, string> = {
  '@modelcontextprotocol/server': WORKSPACE_RANGE,
  '@modelcontextprotocol/node': WORKSPACE_RANGE,
};
/** README's v1 variant: the v1 SDK in their place. */
const MCP_SDK_V1: Record<string, string> = {
  '@modelcontextprotocol/sdk': WORKSPACE_RANGE,
};
const COMMON_DEV_DEPENDENCIES: Record<string, string> = {
  '@types/node': WORKSPACE_RANGE,
  '@types/express': WORKSPACE_RANGE,
};

export const NEST_CONSUMERS: readonly NestConsumer[] = [
  {
    name: 'Nest 12, ESM',
    nestMajor: 12,
    moduleType: 'module',
    mcpSdk: 'v2',
    dependencies: {
      '@nestjs/common': WORKSPACE_RANGE,
      '@nestjs/core': WORKSPACE_RANGE,
      '@nestjs/platform-express': WORKSPACE_RANGE,
      '@nestjs/config': WORKSPACE_RANGE,
      '@nestjs/typeorm': WORKSPACE_RANGE,
      '@nestjs/passport': WORKSPACE_RANGE,
      ...COMMON_DEPENDENCIES,
      ...MCP_SDK_V2,
    },
    devDependencies: COMMON_DEV_DEPENDENCIES,
  },
  {
    name: 'Nest 11, CommonJS',
    nestMajor: 11,
    moduleType: 'commonjs',
    mcpSdk: 'v2',
    dependencies: {
      '@nestjs/common': '^11.0.0',
      '@nestjs/core': '^11.0.0',
      '@nestjs/platform-express': '^11.0.0',
      '@nestjs/config': '^4.0.0',
      '@nestjs/typeorm': '^11.0.0',
      '@nestjs/passport': '^11.0.0',
      ...COMMON_DEPENDENCIES,
      ...MCP_SDK_V2,
    },
    devDependencies: COMMON_DEV_DEPENDENCIES,
  },
  {
    // The lowest versions the library's peer ranges admit for Nest 11; README's SDK v1 variant
    // of the controller (the SDK line older backends still run).
    name: 'Nest 11.0 (lowest peers), CommonJS, MCP SDK v1',
    nestMajor: 11,
    moduleType: 'commonjs',
    mcpSdk: 'v1',
    dependencies: {
      '@nestjs/common': '11.0.0',
      '@nestjs/core': '11.0.0',
      '@nestjs/platform-express': '11.0.0',
      '@nestjs/config': '4.0.0',
      '@nestjs/typeorm': '11.0.1',
      '@nestjs/passport': '11.0.2',
      ...COMMON_DEPENDENCIES,
      ...MCP_SDK_V1,
    },
    devDependencies: COMMON_DEV_DEPENDENCIES,
  },
];

/** The consumer's package.json: the packed library plus `consumer`'s packages. */
export function consumerManifest(
  consumer: NestConsumer,
  tarball: string,
  workspaceRange: (name: string) => string,
): Record<string, unknown> {
  const resolve = (ranges: Record<string, string>) =>
    Object.fromEntries(
      Object.entries(ranges).map(([name, range]) => [
        name,
        range === WORKSPACE_RANGE ? workspaceRange(name) : range,
      ]),
    );
  return {
    name: 'existing-nest-backend',
    version: '0.0.1',
    private: true,
    type: consumer.moduleType,
    scripts: { build: 'tsc -p tsconfig.json', start: 'node dist/main.js' },
    dependencies: { 'nestjs-mcp-auth': `file:${tarball}`, ...resolve(consumer.dependencies) },
    devDependencies: resolve(consumer.devDependencies),
  };
}

/**
 * README's MCP controller on SDK v2 (`@modelcontextprotocol/server` and the Node transport of
 * `@modelcontextprotocol/node`), word for word: the spec checks it against README.
 */
export const MCP_CONTROLLER_V2 = `// src/mcp.controller.ts
import { Controller, Get, Header, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import { McpServer } from '@modelcontextprotocol/server';
import type { Request, Response } from 'express';
import { BearerGuard, RequiredScopes, type McpAuthenticatedRequest } from 'nestjs-mcp-auth';

function createMcpServer(): McpServer {
  const server = new McpServer({ name: 'my-backend', version: '1.0.0' });
  server.registerTool('whoami', { description: 'The signed-in user and the granted scopes' }, (ctx) => {
    const auth = ctx.http?.authInfo; // what BearerGuard set as req.auth
    const who = {
      subject: auth?.extra?.sub, // every token claim is in authInfo.extra
      clientId: auth?.clientId,
      scopes: auth?.scopes,
    };
    return { content: [{ type: 'text', text: JSON.stringify(who) }] };
  });
  return server;
}

@Controller('mcp')
@UseGuards(BearerGuard)
@RequiredScopes('mcp:tools')
export class McpController {
  @Post()
  async handle(@Req() req: McpAuthenticatedRequest<Request>, @Res() res: Response): Promise<void> {
    // Stateless Streamable HTTP: a server and a transport per request, each request
    // authenticated by its own bearer token.
    const server = createMcpServer();
    const transport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    // req.auth, set by BearerGuard, reaches the tools as ctx.http.authInfo.
    await transport.handleRequest(req, res, req.body);
  }

  @Get()
  @HttpCode(405)
  @Header('Allow', 'POST')
  noStream(): void {} // stateless: no server-initiated stream
}
`;

/** Replace `from` (which must occur) by `to` in `text`. */
function replaceOnce(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`README's MCP controller no longer contains ${from}`);
  return text.replace(from, to);
}

/**
 * README's v1 variant (`@modelcontextprotocol/sdk`): "the same controller, with v1's imports,
 * transport and tool signature", made from the v2 controller by exactly those changes.
 */
export const MCP_CONTROLLER_V1 = [
  [
    `import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';\nimport { McpServer } from '@modelcontextprotocol/server';\n`,
    `import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';\nimport { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';\n`,
  ],
  ['(ctx) => {', '(extra) => {'],
  ['const auth = ctx.http?.authInfo;', 'const auth = extra.authInfo;'],
  ['new NodeStreamableHTTPServerTransport(', 'new StreamableHTTPServerTransport('],
  ['reaches the tools as ctx.http.authInfo', 'reaches the tools as extra.authInfo'],
].reduce((text, [from, to]) => replaceOnce(text, from, to), MCP_CONTROLLER_V2);

/**
 * The consumer's sources and tsconfig. ESM needs the `.js` extension on relative imports;
 * the CommonJS app writes them the way `nest new` does, without one.
 */
export function consumerFiles(consumer: NestConsumer): Record<string, string> {
  const js = consumer.moduleType === 'module' ? '.js' : '';
  return {
    'src/main.ts': `import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module${js}';

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
    // The README's MCP controller, on the SDK line the consumer installs.
    'src/mcp.controller.ts': consumer.mcpSdk === 'v2' ? MCP_CONTROLLER_V2 : MCP_CONTROLLER_V1,
    'src/app.module.ts': `import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  createPostgresDataSource,
  MCP_AUTH_MIGRATIONS,
  McpAuthModule,
  ResourceOwnerAuthenticator,
  type PostgresDataSourceOptions,
} from 'nestjs-mcp-auth';
import { McpController } from './mcp.controller${js}';
import { UsersAuthenticator } from './users-authenticator${js}';

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
    'tsconfig.json': consumerTsconfig(),
  };
}

/**
 * What `nest new` writes (CommonJS or ESM output decided by the package's `"type"`), less
 * `baseUrl` (TypeScript 6 rejects it) and incremental builds; `@types/node` named, since
 * TypeScript 6 includes no `@types` package by default.
 */
export function consumerTsconfig(): string {
  const compilerOptions = {
    module: 'nodenext',
    moduleResolution: 'nodenext',
    resolvePackageJsonExports: true,
    types: ['node'],
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
    rootDir: './src',
    skipLibCheck: true,
    strictNullChecks: true,
    forceConsistentCasingInFileNames: true,
    noImplicitAny: false,
    strictBindCallApply: false,
    noFallthroughCasesInSwitch: false,
  };
  return `${JSON.stringify({ compilerOptions, include: ['src/**/*.ts'] }, null, 2)}\n`;
}

/** Milliseconds per named step of a proof, printed at its end. */
export function stepTimer(): {
  timings: Record<string, number>;
  timed<T>(step: string, work: () => Promise<T>): Promise<T>;
} {
  const timings: Record<string, number> = {};
  return {
    timings,
    async timed<T>(step: string, work: () => Promise<T>): Promise<T> {
      const started = Date.now();
      try {
        return await work();
      } finally {
        timings[step] = Date.now() - started;
      }
    },
  };
}
