import { Controller, type DynamicModule, Module, type Provider, type Type } from '@nestjs/common';
import { instanceController } from '../http/instance-controller';
import { hideFromOpenApi, showInOpenApi } from '../http/openapi';
import { resolveOpenApiOptions } from '../http/openapi-options';
import { PROTECTED_RESOURCE_METADATA_OPERATIONS } from '../http/openapi-operations';
import { AccessTokenVerifier } from './access-token-verifier.interface';
import { BearerGuard } from './bearer.guard';
import { BearerStrategy } from './bearer.strategy';
import { Public } from './decorators/public.decorator';
import {
  ProtectedResourceMetadataController,
  routeProtectedResourceMetadata,
} from './metadata/protected-resource-metadata.controller';
import {
  McpResourceServerModuleClass,
  RESOURCE_SERVER_MODULE_OPTIONS,
  type ResourceServerModuleAsyncOptions,
  type ResourceServerModuleForRootOptions,
} from './mcp-resource-server.module-definition';
import type {
  ResourceServerModuleExtras,
  ResourceServerModuleOptions,
} from './resource-server-options.interface';
import { ResourceServerConfig } from './resource-server.config';
import { createExternalVerifier } from './verifiers/external-verifier.factory';

/** Token of the provider that mounts this instance's metadata controller. */
const RESOURCE_SERVER_ROUTES = Symbol('McpResourceServer:Routes');

/**
 * The resource server on its own: `BearerGuard` with its Passport strategy, the protected
 * resource metadata (RFC 9728) and a verifier for the tokens of the configured authorization
 * servers. It needs no database and loads neither TypeORM nor the throttler, so an MCP endpoint
 * behind Keycloak, Entra or any other authorization server uses it alone.
 * `McpAuthModule.forRoot()` composes it with its own verifier.
 *
 * @example
 * McpResourceServerModule.forRoot({
 *   resources: [{ uri: 'https://api.example.com/mcp', scopes: ['mcp:tools'] }],
 *   authorizationServers: ['https://login.example.com/realms/acme'],
 *   verifier: { type: 'jwks' },
 * })
 * @publicApi
 */
@Module({})
export class McpResourceServerModule {
  static forRoot(options: ResourceServerModuleForRootOptions): DynamicModule {
    return McpResourceServerModule.assemble(McpResourceServerModuleClass.forRoot(options), options);
  }

  static forRootAsync(options: ResourceServerModuleAsyncOptions): DynamicModule {
    return McpResourceServerModule.assemble(
      McpResourceServerModuleClass.forRootAsync(options),
      options,
    );
  }

  private static assemble(base: DynamicModule, extras: ResourceServerModuleExtras): DynamicModule {
    const metadataController = instanceController(
      ProtectedResourceMetadataController,
    ) as Type<ProtectedResourceMetadataController>;
    // The module's own route stays reachable when a host installs BearerGuard app-wide.
    Public()(metadataController);
    // Out of the host's OpenAPI document unless the options ask for it (see routeBinding).
    hideFromOpenApi(metadataController);
    return {
      ...base,
      module: McpResourceServerModule,
      controllers: [metadataController],
      providers: [
        ...(base.providers ?? []),
        {
          provide: ResourceServerConfig,
          useFactory: (options: ResourceServerModuleOptions) =>
            ResourceServerConfig.fromOptions(options),
          inject: [RESOURCE_SERVER_MODULE_OPTIONS],
        },
        {
          provide: AccessTokenVerifier,
          useFactory: createExternalVerifier,
          inject: [RESOURCE_SERVER_MODULE_OPTIONS, ResourceServerConfig],
        },
        {
          provide: BearerStrategy,
          useFactory: (verifier: AccessTokenVerifier, config: ResourceServerConfig) =>
            new BearerStrategy(verifier, config),
          inject: [AccessTokenVerifier, ResourceServerConfig],
        },
        BearerGuard,
        routeBinding(metadataController),
        // Last, so that a host's provider (its own AccessTokenVerifier, say) wins.
        ...(extras.extraProviders ?? []),
      ],
      exports: [
        ...(base.exports ?? []),
        ResourceServerConfig,
        AccessTokenVerifier,
        BearerStrategy,
        BearerGuard,
      ],
    };
  }
}

/**
 * The metadata sits at the origin root (RFC 9728 §3.1), on `host` if set. The host is known
 * only once options resolve, and providers are built before Nest registers routes, so a factory
 * writes it on this instance's controller class, with its OpenAPI description if asked for.
 */
function routeBinding(controller: Type<ProtectedResourceMetadataController>): Provider {
  return {
    provide: RESOURCE_SERVER_ROUTES,
    useFactory: (config: ResourceServerConfig, options: ResourceServerModuleOptions) => {
      Controller({ path: '/', host: config.host })(controller);
      routeProtectedResourceMetadata(controller, config);
      const openApi = resolveOpenApiOptions(options.openApi, 'McpResourceServerModule options');
      // After the routes are written: the description goes on this subclass's own handlers.
      if (openApi.include) {
        showInOpenApi(controller, openApi, PROTECTED_RESOURCE_METADATA_OPERATIONS);
      }
      return controller.name;
    },
    inject: [ResourceServerConfig, RESOURCE_SERVER_MODULE_OPTIONS],
  };
}
