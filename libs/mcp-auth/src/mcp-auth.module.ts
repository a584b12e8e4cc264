import { type DynamicModule, Module, type Provider, type Type } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { rateLimitProviders } from './abuse/rate-limit.providers';
import { OAuthEndpointsExceptionFilter } from './oauth/oauth-endpoints-exception.filter';
import {
  AuthorizationRequestValidator,
  AuthorizeController,
  InteractionController,
  McpAuthorizationService,
} from './authorization-server/authorization';
import { ClientAuthenticator } from './authorization-server/client-authentication';
import {
  IntrospectionController,
  TokenIntrospectionService,
} from './authorization-server/introspection';
import { RevocationController, TokenRevocationService } from './authorization-server/revocation';
import {
  AuthorizationCodeGrant,
  RefreshTokenGrant,
  TokenController,
  TokenIssuanceService,
} from './authorization-server/token';
import {
  AuthorizationServerMetadataController,
  JwksController,
} from './authorization-server/metadata';
import {
  ClientRegistrationController,
  ClientRegistrationService,
  StaticClientsLoader,
} from './authorization-server/registration';
import { Public } from './resource-server/decorators/public.decorator';
import {
  createResourceServerModule,
  createResourceServerModuleAsync,
  type ResourceServerModuleAsyncOptions,
  type ResourceServerModuleForRootOptions,
} from './resource-server/resource-server.module-factory';
import {
  RESOURCE_SERVER_CONTROLLERS,
  RESOURCE_SERVER_EXPORTS,
  RESOURCE_SERVER_PROVIDERS,
} from './resource-server/resource-server.providers';
import { McpAuthConfig } from './mcp-auth.config';
import {
  ConfigurableModuleClass,
  type McpAuthModuleAsyncOptions,
  type McpAuthModuleExtras,
  type McpAuthModuleForRootOptions,
} from './mcp-auth.module-definition';
import {
  configProvider,
  dataSourceProvider,
  storeProviders,
  tokenProviders,
} from './mcp-auth.providers';
import { instanceControllers, routeBindingProvider, type RouteBase } from './mcp-auth-routes';
import { lifecycleProviders } from './lifecycle/lifecycle.providers';
import { MCP_AUTH_ENTITIES } from './storage/typeorm/entities';
import { AuthorizationCodeStore } from './storage/authorization-code-store.interface';
import { AuthorizationRequestStore } from './storage/authorization-request-store.interface';
import { ClientStore } from './storage/client-store.interface';
import { ConsentStore } from './storage/consent-store.interface';
import { GrantStore } from './storage/grant-store.interface';
import { SigningKeyStore } from './storage/signing-key-store.interface';
import { AccessTokenIssuer } from './tokens/access-token.service';
import { LocalAccessTokenVerifier } from './tokens/access-token-verifier';
import { SigningKeyService } from './tokens/signing-key.service';

/** Controllers of the authorization server, and whether they sit under the route prefix. */
const CONTROLLERS: { controller: Type<unknown>; base: RouteBase }[] = [
  { controller: AuthorizationServerMetadataController, base: 'root' },
  { controller: JwksController, base: 'root' },
  { controller: ClientRegistrationController, base: 'prefixed' },
  { controller: AuthorizeController, base: 'prefixed' },
  { controller: InteractionController, base: 'prefixed' },
  { controller: TokenController, base: 'prefixed' },
  { controller: RevocationController, base: 'prefixed' },
  { controller: IntrospectionController, base: 'prefixed' },
  ...RESOURCE_SERVER_CONTROLLERS,
];
// The module's own routes stay reachable when a host installs BearerGuard as APP_GUARD.
for (const { controller } of CONTROLLERS) Public()(controller);

/** Services of the authorization server, provided once per module instance. */
const AUTHORIZATION_SERVER_PROVIDERS: Provider[] = [
  AuthorizationRequestValidator,
  McpAuthorizationService,
  ClientAuthenticator,
  TokenIssuanceService,
  AuthorizationCodeGrant,
  RefreshTokenGrant,
  TokenRevocationService,
  TokenIntrospectionService,
  ClientRegistrationService,
  StaticClientsLoader,
];

/**
 * Turns the application into an OAuth 2.1 authorization server and resource server for its
 * MCP endpoints. Each `forRoot` / `forRootAsync` call is an independent instance: its own
 * settings, controllers, keys and (issuer-scoped) rows, so two can live in one application.
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
export class McpAuthModule extends ConfigurableModuleClass {
  static override forRoot(options: McpAuthModuleForRootOptions): DynamicModule {
    return McpAuthModule.assemble(super.forRoot(options), options);
  }

  static override forRootAsync(options: McpAuthModuleAsyncOptions): DynamicModule {
    return McpAuthModule.assemble(super.forRootAsync(options), options);
  }

  /**
   * Resource-server-only mode: the guard, protected resource metadata and a verifier in front
   * of external authorization servers. No authorization-server routes or tables.
   */
  static forResourceServer(options: ResourceServerModuleForRootOptions): DynamicModule {
    return createResourceServerModule(McpAuthModule, options);
  }

  static forResourceServerAsync(options: ResourceServerModuleAsyncOptions): DynamicModule {
    return createResourceServerModuleAsync(McpAuthModule, options);
  }

  private static assemble(base: DynamicModule, extras: McpAuthModuleExtras): DynamicModule {
    const controllers = instanceControllers(CONTROLLERS);
    const exported = [
      McpAuthConfig,
      McpAuthorizationService,
      ClientStore,
      AuthorizationRequestStore,
      AuthorizationCodeStore,
      GrantStore,
      SigningKeyStore,
      ConsentStore,
      SigningKeyService,
      AccessTokenIssuer,
      LocalAccessTokenVerifier,
      ...RESOURCE_SERVER_EXPORTS,
    ];
    return {
      ...base,
      imports: [
        ...(base.imports ?? []),
        TypeOrmModule.forFeature([...MCP_AUTH_ENTITIES], extras.dataSource),
      ],
      controllers: controllers.map(({ controller }) => controller),
      providers: [
        ...(base.providers ?? []),
        configProvider,
        dataSourceProvider(extras.dataSource),
        ...storeProviders,
        ...lifecycleProviders,
        ...tokenProviders,
        ...AUTHORIZATION_SERVER_PROVIDERS,
        ...RESOURCE_SERVER_PROVIDERS,
        routeBindingProvider(controllers),
        { provide: APP_FILTER, useClass: OAuthEndpointsExceptionFilter },
        ...rateLimitProviders(),
        // Last, so that a host's provider replaces the default with the same token.
        ...(extras.extraProviders ?? []),
      ],
      exports: [...(base.exports ?? []), ...exported],
    };
  }
}
