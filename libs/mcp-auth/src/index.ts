// The module, its options and its resolved configuration
export { McpAuthModule } from './mcp-auth.module';
export type {
  McpAuthModuleAsyncOptions,
  McpAuthModuleExtras,
  McpAuthModuleForRootOptions,
} from './mcp-auth.module-definition';
export type * from './mcp-auth-options.interface';
export type * from './abuse/rate-limit-options.interface';
export { DEFAULT_RATE_LIMITS } from './abuse/rate-limit.config';
export type { IntrospectionOptions } from './authorization-server/introspection/introspection-options';
export { McpAuthConfig, type EndpointUrls, type ResolvedResource } from './mcp-auth.config';
export type { ResolvedClientMetadataDocumentOptions } from './authorization-server/client-metadata-document/client-metadata-document-options';
export type { ResolvedAuditOptions } from './audit/audit-options';

// The resource server (also alone, as `nestjs-mcp-auth/resource-server`)
export * from './resource-server';

// Sign-in and consent: the host's authenticator, or its own login page
export * from './authorization-server/authorization/resource-owner-authenticator.interface';
export {
  InteractionNotFoundError,
  McpAuthorizationService,
  type DenialReason,
  type AuthorizationResult,
  type PendingInteraction,
} from './authorization-server/authorization/mcp-authorization.service';

// Federation: sign-in at an upstream identity provider
export { githubProvider, type GitHubProviderOptions } from './federation/github.provider';
export {
  UpstreamTokens,
  UpstreamTokenUnavailableError,
  type GrantReference,
  type UpstreamAccessToken,
} from './federation/upstream-tokens.service';
export type { UpstreamTokenSet } from './federation/upstream-provider';

// Services a host calls: mint tokens, rotate keys
export {
  AccessTokenIssuer,
  type AccessTokenIssuerConfig,
  type AccessTokenRequest,
  type IssuedAccessToken,
} from './tokens/access-token.issuer';
export type { AccessTokenClaims } from './tokens/access-token-claims.interface';
export { SigningKeyService } from './tokens/signing-key.service';
export { McpAuthHealth, type McpAuthHealthDetails } from './lifecycle/mcp-auth.health';
export type {
  ActiveSigningKey,
  SigningKeyChange,
  SigningKeyConfig,
} from './tokens/signing-key.config';

// Audit events: one JSON log line each, and @nestjs/event-emitter events when the host has it
export { McpAuthAudit } from './audit/audit.service';
export type * from './audit/audit-event';

// Storage contracts, the PostgreSQL schema and a DataSource for it
export * from './storage/authorization-code-store.interface';
export * from './storage/authorization-request-store.interface';
export * from './storage/client-store.interface';
export * from './storage/consent-store.interface';
export * from './storage/federation-state-store.interface';
export * from './storage/upstream-token-store.interface';
export * from './storage/used-jti-store.interface';
export * from './storage/grant-store.interface';
export * from './storage/signing-key-store.interface';
export { MCP_AUTH_ENTITIES } from './storage/typeorm/entities';
export { MCP_AUTH_MIGRATIONS } from './storage/typeorm/migrations';
export * from './database/data-source.factory';

// Errors and helpers
export {
  OAuthError,
  type OAuthErrorBody,
  type OAuthErrorCode,
  type OAuthErrorOptions,
} from './oauth/oauth-error';
export type { PromptValue } from './oauth/prompt';
export { validateIssuer } from './oauth/issuer';
