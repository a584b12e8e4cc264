import { type DynamicModule, Module } from '@nestjs/common';
import { McpAuthCoreModule } from './mcp-auth-core.module';
import { composedResourceServer } from './mcp-auth-resource-server';
import type {
  McpAuthModuleAsyncOptions,
  McpAuthModuleForRootOptions,
} from './mcp-auth.module-definition';

/**
 * Turns the application into an OAuth 2.1 authorization server and resource server for its
 * MCP endpoints. Each `forRoot` / `forRootAsync` call is an independent instance: its own
 * settings, controllers, keys and (issuer-scoped) rows, so two can live in one application.
 *
 * A facade over two modules: the authorization server (`McpAuthCoreModule`) and
 * `McpResourceServerModule`, whose options are mapped from this module's and whose verifier is
 * the authorization server's own. A resource server in front of another authorization server
 * uses `McpResourceServerModule` alone, from `nestjs-mcp-auth/resource-server`.
 *
 * @example
 * McpAuthModule.forRoot({
 *   issuer: 'https://mcp.example.com',
 *   resources: [{ path: '/mcp', scopes: ['mcp:tools'] }],
 *   scopes: { 'mcp:tools': 'Call tools' },
 * })
 * @publicApi
 */
@Module({})
export class McpAuthModule {
  static forRoot(options: McpAuthModuleForRootOptions): DynamicModule {
    return McpAuthModule.compose(McpAuthCoreModule.forRoot(options), options.isGlobal);
  }

  static forRootAsync(options: McpAuthModuleAsyncOptions): DynamicModule {
    return McpAuthModule.compose(McpAuthCoreModule.forRootAsync(options), options.isGlobal);
  }

  private static compose(core: DynamicModule, isGlobal: boolean | undefined): DynamicModule {
    // One `core` object in both import lists: Nest resolves it to one module instance.
    const resourceServer = composedResourceServer(core);
    return {
      module: McpAuthModule,
      global: isGlobal ?? false,
      imports: [core, resourceServer],
      exports: [core, resourceServer],
    };
  }
}
