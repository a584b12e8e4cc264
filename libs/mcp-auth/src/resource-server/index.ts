export {
  AccessTokenVerifier,
  AccessTokenVerifierUnavailableError,
  InjectAccessTokenVerifier,
  type AccessTokenVerificationContext,
  type VerifiedAccessToken,
} from './access-token-verifier.interface';
export { toAuthInfo, type AuthInfo, type McpAuthenticatedRequest } from './auth-info';
export {
  BearerChallengeException,
  type BearerChallengeBody,
  type ChallengeScope,
} from './bearer-challenge.exception';
export { BearerGuard } from './bearer.guard';
export { type BearerRefusal } from './bearer-refusal';
export { BearerStrategy } from './bearer.strategy';
export { AccessToken } from './decorators/access-token.decorator';
export { McpResource } from './decorators/mcp-resource.decorator';
export { Public } from './decorators/public.decorator';
export { RequiredScopes } from './decorators/required-scopes.decorator';
export { toMcpPrincipal, type McpPrincipal } from './mcp-principal';
export { ProtectedResourceMetadataController } from './metadata/protected-resource-metadata.controller';
export {
  buildProtectedResourceMetadata,
  type ProtectedResourceMetadata,
} from './metadata/protected-resource-metadata';
export { hasScopes, requireScopes } from './require-scopes';
export {
  ACCESS_TOKEN_REQUEST_PROPERTY,
  MCP_RESOURCE_METADATA,
  PROTECTED_RESOURCE_METADATA_PATH,
  PUBLIC_ROUTE_METADATA,
  REQUIRED_SCOPES_METADATA,
} from './resource-server.constants';
export { ResourceServerConfig, type ProtectedResource } from './resource-server.config';
export {
  RESOURCE_SERVER_MODULE_OPTIONS,
  createResourceServerModule,
  createResourceServerModuleAsync,
  type ResourceServerModuleAsyncOptions,
  type ResourceServerModuleForRootOptions,
} from './resource-server.module-factory';
export type {
  CustomVerifierOptions,
  IntrospectionVerifierOptions,
  JwksVerifierOptions,
  McpAuthResourceServerOptions,
  ProtectedResourceOptions,
  ResourceServerModuleExtras,
  ResourceServerModuleOptions,
  ResourceServerSettings,
  ResourceServerVerifierOptions,
} from './resource-server-options.interface';
export {
  BEARER_PROVIDERS,
  RESOURCE_SERVER_CONTROLLERS,
  RESOURCE_SERVER_EXPORTS,
  RESOURCE_SERVER_PROVIDERS,
  RESOURCE_SERVER_ROUTES,
  resourceServerRouteBinding,
} from './resource-server.providers';
export { PostgresRevocationListener } from './revocation/postgres-revocation-listener';
export {
  RevocationList,
  type RevocationChecker,
  type RevocationListOptions,
  type RevocationNotificationSource,
} from './revocation/revocation-list';
export { ScopeHierarchy, type ScopeHierarchyDefinition } from './scope-hierarchy';
export {
  IntrospectionTokenVerifier,
  type IntrospectionTokenVerifierConfig,
} from './verifiers/introspection-token.verifier';
export { LocalIssuerTokenVerifier } from './verifiers/local-issuer-token.verifier';
export {
  DEFAULT_JWT_ALGORITHMS,
  RemoteJwksTokenVerifier,
  type RemoteJwksTokenVerifierConfig,
} from './verifiers/remote-jwks-token.verifier';
export { formatBearerChallenge, type BearerErrorCode } from './www-authenticate';
