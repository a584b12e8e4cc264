import {
  ConfigurableModuleBuilder,
  type DynamicModule,
  type Provider,
  type Type,
} from '@nestjs/common';
import { instanceControllers } from '../mcp-auth-routes';
import { AccessTokenVerifier } from './access-token-verifier.interface';
import { BearerGuard } from './bearer.guard';
import { BearerStrategy } from './bearer.strategy';
import type {
  ResourceServerModuleExtras,
  ResourceServerModuleOptions,
} from './resource-server-options.interface';
import { ResourceServerConfig } from './resource-server.config';
import {
  BEARER_PROVIDERS,
  RESOURCE_SERVER_CONTROLLERS,
  resourceServerRouteBinding,
} from './resource-server.providers';
import { IntrospectionTokenVerifier } from './verifiers/introspection-token.verifier';
import { RemoteJwksTokenVerifier } from './verifiers/remote-jwks-token.verifier';

/** Token of the `forResourceServer` options of one module instance. */
export const RESOURCE_SERVER_MODULE_OPTIONS = Symbol('McpAuth:ResourceServerOptions');

const definition = new ConfigurableModuleBuilder<ResourceServerModuleOptions>({
  moduleName: 'McpResourceServer',
  optionsInjectionToken: RESOURCE_SERVER_MODULE_OPTIONS,
})
  .setClassMethodName('forResourceServer')
  .setFactoryMethodName('createResourceServerOptions')
  .setExtras<ResourceServerModuleExtras>(
    { isGlobal: false, extraProviders: [] },
    (definition, extras) => ({ ...definition, global: extras.isGlobal }),
  )
  .build();
const ResourceServerModuleDefinition = definition.ConfigurableModuleClass;

/** Options of `McpAuthModule.forResourceServer()`, extras included. @publicApi */
export type ResourceServerModuleForRootOptions = typeof definition.OPTIONS_TYPE;
/** Options of `McpAuthModule.forResourceServerAsync()`. @publicApi */
export type ResourceServerModuleAsyncOptions = typeof definition.ASYNC_OPTIONS_TYPE;

const RESOURCE_SERVER_ONLY_PROVIDERS: Provider[] = [
  {
    provide: ResourceServerConfig,
    useFactory: (options: ResourceServerModuleOptions) => ResourceServerConfig.fromOptions(options),
    inject: [RESOURCE_SERVER_MODULE_OPTIONS],
  },
  {
    provide: AccessTokenVerifier,
    useFactory: (options: ResourceServerModuleOptions, config: ResourceServerConfig) =>
      createExternalVerifier(options, config),
    inject: [RESOURCE_SERVER_MODULE_OPTIONS, ResourceServerConfig],
  },
  ...BEARER_PROVIDERS,
];

const RESOURCE_SERVER_ONLY_EXPORTS = [
  ResourceServerConfig,
  AccessTokenVerifier,
  BearerStrategy,
  BearerGuard,
];

/**
 * The body of `McpAuthModule.forResourceServer(options)`: only the guard, the protected
 * resource metadata and a verifier for external authorization servers. No authorization-server
 * routes, no database.
 *
 * @example
 * static forResourceServer(options: ResourceServerModuleForRootOptions): DynamicModule {
 *   return createResourceServerModule(McpAuthModule, options);
 * }
 * @publicApi
 */
export function createResourceServerModule(
  moduleClass: Type<unknown>,
  options: ResourceServerModuleForRootOptions,
): DynamicModule {
  return assemble(moduleClass, ResourceServerModuleDefinition.forResourceServer(options), options);
}

/** The body of `McpAuthModule.forResourceServerAsync(options)`. @publicApi */
export function createResourceServerModuleAsync(
  moduleClass: Type<unknown>,
  options: ResourceServerModuleAsyncOptions,
): DynamicModule {
  return assemble(
    moduleClass,
    ResourceServerModuleDefinition.forResourceServerAsync(options),
    options,
  );
}

function assemble(
  moduleClass: Type<unknown>,
  base: DynamicModule,
  extras: ResourceServerModuleExtras,
): DynamicModule {
  const controllers = instanceControllers(RESOURCE_SERVER_CONTROLLERS);
  return {
    ...base,
    module: moduleClass,
    controllers: controllers.map(({ controller }) => controller),
    providers: [
      ...(base.providers ?? []),
      ...RESOURCE_SERVER_ONLY_PROVIDERS,
      resourceServerRouteBinding(controllers),
      // Last, so that a host's provider (e.g. its own AccessTokenVerifier) wins.
      ...(extras.extraProviders ?? []),
    ],
    exports: [...(base.exports ?? []), ...RESOURCE_SERVER_ONLY_EXPORTS],
  };
}

function createExternalVerifier(
  options: ResourceServerModuleOptions,
  config: ResourceServerConfig,
): AccessTokenVerifier {
  const verifier = options.verifier;
  const common = { issuers: config.authorizationServers, clockTolerance: config.clockTolerance };
  switch (verifier?.type) {
    case 'jwks':
      return new RemoteJwksTokenVerifier({ ...verifier, ...common });
    case 'introspection':
      return new IntrospectionTokenVerifier({ ...verifier, ...common });
    case 'custom':
      throw new Error(
        'McpAuthModule.forResourceServer: verifier "custom" needs extraProviders: [{ provide: AccessTokenVerifier, useClass: ... }]',
      );
    default:
      throw new Error(
        'McpAuthModule.forResourceServer: verifier.type must be "jwks", "introspection" or "custom"',
      );
  }
}
