import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { McpAuthAdministrationModule } from './administration/administration.module';
import { McpAuthCoreModule } from './mcp-auth-core.module';
import { composedResourceServer } from './mcp-auth-resource-server';
import { McpAuthConfig } from './mcp-auth.config';
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
    return McpAuthModule.compose(
      McpAuthCoreModule.forRoot(options),
      options.isGlobal,
      options.administration !== undefined,
    );
  }

  /**
   * The options come later, so whether the administration API is mounted is said here:
   * `administration: true` beside `useFactory` (routes are fixed before any factory runs).
   */
  static forRootAsync(options: McpAuthModuleAsyncOptions): DynamicModule {
    return McpAuthModule.compose(
      McpAuthCoreModule.forRootAsync(options),
      options.isGlobal,
      options.administration === true,
    );
  }

  private static compose(
    core: DynamicModule,
    isGlobal: boolean | undefined,
    administration: boolean,
  ): DynamicModule {
    // One `core` object in both import lists: Nest resolves it to one module instance.
    const resourceServer = composedResourceServer(core);
    // Its guard is the resource server's, so it sits beside both; not mounted at all when off,
    // so the host keeps every path (`<routePrefix>/admin` included).
    return {
      module: McpAuthModule,
      global: isGlobal ?? false,
      imports: administration
        ? [core, resourceServer, McpAuthAdministrationModule.compose(core, resourceServer)]
        : [core, resourceServer],
      providers: administration ? [] : [administrationNotMounted],
      exports: [core, resourceServer],
    };
  }
}

/** Refuses to boot when async options configure an administration API nobody mounted. */
const administrationNotMounted: Provider = {
  provide: Symbol('McpAuth:AdministrationNotMounted'),
  useFactory: (config: McpAuthConfig) => {
    if (config.administration) {
      throw new Error(
        'McpAuthModule: the options configure administration, but forRootAsync was not told ' +
          'to mount it: add administration: true beside useFactory.',
      );
    }
    return false;
  },
  inject: [McpAuthConfig],
};
