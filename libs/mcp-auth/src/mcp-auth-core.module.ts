import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { rateLimitProviders } from './abuse/rate-limit.providers';
import { McpAuthAudit } from './audit/audit.service';
import { BodyParserErrorsResponder } from './body-parser-errors.responder';
import {
  AuthorizationRequestValidator,
  AuthorizeController,
  InteractionController,
  McpAuthorizationService,
} from './authorization-server/authorization';
import { ClientAuthenticator } from './authorization-server/client-authentication';
import { ClientAssertionVerifier } from './authorization-server/client-authentication/client-assertion.verifier';
import { ClientKeySets } from './authorization-server/client-authentication/client-key-sets';
import { TrustedIssuerKeys } from './authorization-server/enterprise/trusted-issuer-keys';
import {
  ClientLookup,
  ClientMetadataDocuments,
} from './authorization-server/client-metadata-document';
import {
  IntrospectionController,
  TokenIntrospectionService,
} from './authorization-server/introspection';
import { RevocationController, TokenRevocationService } from './authorization-server/revocation';
import {
  AuthorizationCodeGrant,
  ClientCredentialsGrant,
  JwtBearerGrant,
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
import { ConnectedAppsApiController } from './connected-apps/connected-apps-api.controller';
import { ConnectedAppsPageController } from './connected-apps/connected-apps-page.controller';
import { connectedAppsProvider } from './connected-apps/connected-apps.context';
import { FederationController } from './federation/federation.controller';
import { FederationService } from './federation/federation.service';
import { UpstreamProviders } from './federation/upstream-providers';
import { UpstreamTokens } from './federation/upstream-tokens.service';
import { localVerificationProviders } from './mcp-auth-resource-server';
import { RevocationList } from './resource-server/revocation/revocation-list';
import { LocalIssuerTokenVerifier } from './resource-server/verifiers/local-issuer-token.verifier';
import { McpAuthConfig } from './mcp-auth.config';
import {
  ConfigurableModuleClass,
  MCP_AUTH_MODULE_OPTIONS,
  type McpAuthModuleAsyncOptions,
  type McpAuthModuleExtras,
  type McpAuthModuleForRootOptions,
} from './mcp-auth.module-definition';
import {
  configProvider,
  dataSourceProvider,
  storeProviders,
  telemetryProvider,
  tokenProviders,
} from './mcp-auth.providers';
import {
  instanceControllers,
  type ModuleController,
  routeBindingProvider,
} from './mcp-auth-routes';
import { lifecycleProviders } from './lifecycle/lifecycle.providers';
import { McpAuthHealth } from './lifecycle/mcp-auth.health';
import { MCP_AUTH_ENTITIES } from './storage/typeorm/entities';
import { AuthorizationCodeStore } from './storage/authorization-code-store.interface';
import { AuthorizationRequestStore } from './storage/authorization-request-store.interface';
import { ClientStore } from './storage/client-store.interface';
import { ConsentStore } from './storage/consent-store.interface';
import { FederationStateStore } from './storage/federation-state-store.interface';
import { UpstreamTokenStore } from './storage/upstream-token-store.interface';
import { UsedJtiStore } from './storage/used-jti-store.interface';
import { GrantStore } from './storage/grant-store.interface';
import { SigningKeyStore } from './storage/signing-key-store.interface';
import { AccessTokenIssuer } from './tokens/access-token.issuer';
import { AccessTokenValidator } from './tokens/access-token.validator';
import { SigningKeyService } from './tokens/signing-key.service';

/**
 * Controllers of the authorization server: whether they sit under the route prefix, how their
 * errors are answered, and which rate-limit budget their requests count against.
 */
const CONTROLLERS: ModuleController[] = [
  { controller: AuthorizationServerMetadataController, base: 'root', errors: 'json' },
  { controller: JwksController, base: 'root', errors: 'json' },
  {
    controller: ClientRegistrationController,
    base: 'prefixed',
    errors: 'json',
    rateLimit: 'register',
  },
  { controller: AuthorizeController, base: 'prefixed', errors: 'page', rateLimit: 'authorize' },
  {
    controller: InteractionController,
    base: 'prefixed',
    errors: 'page',
    rateLimit: 'interaction',
  },
  {
    controller: FederationController,
    base: 'prefixed',
    errors: 'page',
    rateLimit: 'interaction',
  },
  { controller: TokenController, base: 'prefixed', errors: 'json', rateLimit: 'token' },
  { controller: RevocationController, base: 'prefixed', errors: 'json', rateLimit: 'revoke' },
  {
    controller: IntrospectionController,
    base: 'prefixed',
    errors: 'json',
    rateLimit: 'introspect',
  },
];

/**
 * The connected-apps page and API: mounted at `connectedApps.path` by their own provider,
 * not under the route prefix, so they are kept out of CONTROLLERS.
 */
const CONNECTED_APPS_CONTROLLERS: ModuleController[] = [
  {
    controller: ConnectedAppsPageController,
    base: 'root',
    errors: 'page',
    rateLimit: 'interaction',
  },
  {
    controller: ConnectedAppsApiController,
    base: 'root',
    errors: 'json',
    rateLimit: 'interaction',
  },
];

/** Services of the authorization server, provided once per module instance. */
const AUTHORIZATION_SERVER_PROVIDERS: Provider[] = [
  ClientMetadataDocuments,
  ClientLookup,
  AuthorizationRequestValidator,
  McpAuthorizationService,
  ClientKeySets,
  ClientAssertionVerifier,
  ClientAuthenticator,
  TokenIssuanceService,
  AuthorizationCodeGrant,
  RefreshTokenGrant,
  ClientCredentialsGrant,
  JwtBearerGrant,
  TrustedIssuerKeys,
  TokenRevocationService,
  TokenIntrospectionService,
  ClientRegistrationService,
  StaticClientsLoader,
  UpstreamProviders,
  UpstreamTokens,
  FederationService,
];

/**
 * The authorization server of one `McpAuthModule` instance: its options, storage, keys,
 * endpoints, rate limits and the local verification of its tokens. `McpAuthModule` is the
 * facade that composes it with `McpResourceServerModule`, as @nestjs/typeorm's module does
 * over its core module. Not imported by hosts directly.
 */
@Module({})
export class McpAuthCoreModule extends ConfigurableModuleClass {
  static override forRoot(options: McpAuthModuleForRootOptions): DynamicModule {
    return McpAuthCoreModule.assemble(super.forRoot(options), options);
  }

  static override forRootAsync(options: McpAuthModuleAsyncOptions): DynamicModule {
    return McpAuthCoreModule.assemble(super.forRootAsync(options), options);
  }

  private static assemble(base: DynamicModule, extras: McpAuthModuleExtras): DynamicModule {
    const controllers = instanceControllers(CONTROLLERS);
    const connectedApps = instanceControllers(CONNECTED_APPS_CONTROLLERS).map((c) => c.controller);
    const exported = [
      MCP_AUTH_MODULE_OPTIONS,
      McpAuthConfig,
      McpAuthorizationService,
      ClientStore,
      AuthorizationRequestStore,
      AuthorizationCodeStore,
      GrantStore,
      SigningKeyStore,
      ConsentStore,
      FederationStateStore,
      UpstreamTokenStore,
      UsedJtiStore,
      UpstreamTokens,
      SigningKeyService,
      AccessTokenIssuer,
      AccessTokenValidator,
      RevocationList,
      LocalIssuerTokenVerifier,
      McpAuthHealth,
      McpAuthAudit,
      // For the administration API (identity providers' status).
      UpstreamProviders,
      TrustedIssuerKeys,
    ];
    return {
      ...base,
      // The facade decides visibility (`isGlobal`); the core is reached through it.
      global: false,
      imports: [
        ...(base.imports ?? []),
        TypeOrmModule.forFeature([...MCP_AUTH_ENTITIES], extras.dataSource),
      ],
      controllers: [...controllers.map(({ controller }) => controller), ...connectedApps],
      providers: [
        ...(base.providers ?? []),
        configProvider,
        McpAuthAudit,
        dataSourceProvider(extras.dataSource),
        telemetryProvider,
        ...storeProviders,
        ...lifecycleProviders,
        ...tokenProviders,
        ...AUTHORIZATION_SERVER_PROVIDERS,
        ...localVerificationProviders,
        routeBindingProvider(controllers),
        connectedAppsProvider(connectedApps),
        BodyParserErrorsResponder,
        ...rateLimitProviders(),
        // Last, so that a host's provider replaces the default with the same token.
        ...(extras.extraProviders ?? []),
      ],
      exports: [...(base.exports ?? []), ...exported],
    };
  }
}
