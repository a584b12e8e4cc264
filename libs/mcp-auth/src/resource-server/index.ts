// The resource-server entry (`nestjs-mcp-auth/resource-server`): no database, no TypeORM, no throttler.
export { McpResourceServerModule } from './mcp-resource-server.module';
export type {
  ResourceServerModuleAsyncOptions,
  ResourceServerModuleForRootOptions,
} from './mcp-resource-server.module-definition';
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
export type { ScopeHierarchy, ScopeHierarchyDefinition } from './scope-hierarchy';
export type { TelemetryOptions } from '../telemetry/telemetry-options';
// The request and response as either HTTP adapter (Express, Fastify) hands them over.
export type { FastifyReplyLike, HttpRequest, HttpResponse } from '../http/http-exchange';

// Guard, decorators, scope checks inside MCP handlers
export { BearerGuard } from './bearer.guard';
export { BearerStrategy } from './bearer.strategy';
export { AccessToken } from './decorators/access-token.decorator';
export { McpResource } from './decorators/mcp-resource.decorator';
export { Public } from './decorators/public.decorator';
export { RequiredScopes } from './decorators/required-scopes.decorator';
export { RequiresUser } from './decorators/requires-user.decorator';
export {
  RequiredToolScopes,
  type ToolScopeDeclaration,
} from './decorators/required-tool-scopes.decorator';
export { hasScopes, hasToolScopes, requireScopes } from './require-scopes';
export { toAuthInfo, type AuthInfo, type McpAuthenticatedRequest } from './auth-info';
export type { McpPrincipal } from './mcp-principal';
export { ResourceServerConfig, type ProtectedResource } from './resource-server.config';

// Verifier contract, for a host's own verifier
export {
  AccessTokenVerifier,
  AccessTokenVerifierUnavailableError,
  InjectAccessTokenVerifier,
  type AccessTokenVerificationContext,
  type VerifiedAccessToken,
} from './access-token-verifier.interface';
export { InvalidAccessTokenError } from '../tokens/invalid-access-token.error';
export {
  BearerChallengeException,
  type BearerChallengeBody,
  type ChallengeScope,
  type HeaderTarget,
} from './bearer-challenge.exception';
export type { BearerRefusal } from './bearer-refusal';
export type { BearerErrorCode } from './www-authenticate';

// @rekog/mcp-nest (optional: the library does not load it)
export {
  McpNestBearerGuard,
  exposeAuthToMcpNest,
  MCP_NEST_RESOURCE_METADATA_URL,
} from './mcp-nest/mcp-nest-bearer.guard';
