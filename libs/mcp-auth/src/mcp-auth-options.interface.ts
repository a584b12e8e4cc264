import type { RateLimitOptions } from './abuse/rate-limit-options.interface';
import type { AdministrationOptions } from './administration/administration-options';
import type { AuditOptions } from './audit/audit-options';
import type { AuthorizationInteractionOptions } from './authorization-server/authorization/interaction-options';
import type { ClientMetadataDocumentOptions } from './authorization-server/client-metadata-document/client-metadata-document-options';
import type { ConnectedAppsOptions } from './connected-apps/connected-apps-options';
import type { IntrospectionOptions } from './authorization-server/introspection/introspection-options';
import type { ClientRegistrationOptions } from './authorization-server/registration/registration-options';
import type { EnterpriseAuthorizationOptions } from './authorization-server/enterprise/enterprise-options';
import type { FederationOptions } from './federation/federation-options';
import type { OpenApiOptions } from './http/openapi-options';
import type { LifecycleOptions } from './lifecycle/lifecycle-options';
import type { McpAuthResourceServerOptions } from './resource-server/resource-server-options.interface';
import type { StorageOptions } from './storage/storage-options';
import type { TokenOptions } from './tokens/token-options';
import type { TelemetryOptions } from './telemetry/telemetry-options';

// Each part's options live beside the code that uses them; re-exported here for existing imports.
export type { SigningAlgorithm, TokenOptions } from './tokens/token-options';
export type {
  ClientRegistrationOptions,
  RegistrationDecision,
  RegistrationOptions,
  StaticClientOptions,
} from './authorization-server/registration/registration-options';
export type {
  AuthorizationInteractionOptions,
  BuiltInInteractionOptions,
  ConsentOptions,
  ExternalInteractionOptions,
  InteractionOptions,
} from './authorization-server/authorization/interaction-options';
export type { ClientMetadataDocumentOptions } from './authorization-server/client-metadata-document/client-metadata-document-options';
export type { HostResolver, ResolvedAddress } from './outbound/host.resolver';
export type {
  JsonObject,
  JsonValue,
  OutboundDocumentContext,
  OutboundDocumentPolicy,
  OutboundPolicyVerdict,
  OutboundUrlPolicy,
} from './outbound/outbound.types';
export type {
  FederatedIdentityDecision,
  FederatedIdentityHook,
  FederationOptions,
  OAuth2UpstreamProviderOptions,
  OidcUpstreamProviderOptions,
  UpstreamIdentity,
  UpstreamProviderBase,
  UpstreamProviderOptions,
} from './federation/federation-options';
export type {
  EnterpriseAuthorizationOptions,
  IdentityAssertion,
  IdentityAssertionDecision,
  TrustedIdentityProvider,
} from './authorization-server/enterprise/enterprise-options';
export type { StorageOptions } from './storage/storage-options';
export type { LifecycleOptions } from './lifecycle/lifecycle-options';
export type { OpenApiOptions } from './http/openapi-options';
export type { AuditOptions } from './audit/audit-options';
export type {
  ConnectedAppsOptions,
  ConnectedAppsUser,
  ConnectedAppsUserResolver,
} from './connected-apps/connected-apps-options';
export type { AdministrationOptions } from './administration/administration-options';

/** A protected MCP endpoint served by this application. */
export interface McpResourceOptions {
  /** Path of the MCP endpoint, e.g. `/mcp`. The canonical resource URI is `issuer + path`. */
  path: string;
  /** Scopes this resource understands (its PRM `scopes_supported`). */
  scopes: string[];
  /** Scopes granted when a client asks for none. Default: all of `scopes`. */
  defaultScopes?: string[];
  /** Human name shown in the PRM `resource_name`. */
  name?: string;
}

/**
 * Options of `McpAuthModule.forRoot()`. The parts are declared beside the code that uses them:
 * `clients` and `registration` in {@link ClientRegistrationOptions}; `interaction`, `consent`
 * and `interactionTtl` in {@link AuthorizationInteractionOptions}; `migrationsRun` and
 * `cleanupInterval` in {@link LifecycleOptions}.
 * @publicApi
 */
export interface McpAuthModuleOptions
  extends ClientRegistrationOptions, AuthorizationInteractionOptions, LifecycleOptions {
  /** The issuer: an absolute https URL with no path (http only on localhost / 127.0.0.1). */
  issuer: string;
  resources: McpResourceOptions[];
  /** Every scope the server knows, with the description shown on the consent page. */
  scopes: Record<string, string>;
  /**
   * Prefix of the OAuth endpoints (`/authorize`, `/token`, ...), e.g. `/oauth`. The
   * well-known documents stay at the origin root where clients compute them. Default ''.
   */
  routePrefix?: string;
  /**
   * Answer only requests whose Host is this value (e.g. the issuer's host name). Needed when
   * one application serves several issuers, whose well-known documents share the same paths.
   */
  host?: string;
  tokens?: TokenOptions;
  /** How the Postgres stores run their SQL (prepared statements). */
  storage?: StorageOptions;
  /**
   * Per-endpoint limits per client address (429 with `Retry-After`). Default on, with limits
   * that let real clients connect (DEFAULT_RATE_LIMITS); `false` disables them. Counters are
   * kept in the module's database, shared by every instance (see `RateLimitOptions.storage`).
   * Behind a reverse proxy set Express `trust proxy`, or every client shares the proxy's
   * address.
   */
  rateLimit?: RateLimitOptions;
  /**
   * Client ID Metadata Documents (AS-11): an https `client_id` names a JSON document the
   * server fetches, safely, to learn the client. On by default and advertised in the metadata
   * (`client_id_metadata_document_supported`); `{ enabled: false }` turns it off.
   */
  clientMetadataDocuments?: ClientMetadataDocumentOptions;
  /**
   * Sign-in at upstream identity providers (OpenID Connect, or OAuth 2 such as GitHub), offered
   * on the built-in sign-in page beside (or instead of) the password form. Our consent page is
   * shown before the browser is sent upstream. Needs the `openid-client` package.
   */
  federation?: FederationOptions;
  /**
   * Enterprise-managed authorization: ID-JAGs of these identity providers are redeemed at the
   * token endpoint (JWT bearer grant) by clients registered for that grant. Advertised only
   * when at least one provider is trusted.
   */
  enterprise?: EnterpriseAuthorizationOptions;
  /** Who may introspect tokens at `/introspect`. Default: nobody until listed. */
  introspection?: IntrospectionOptions;
  /** The resource server half: scope hierarchy, clock tolerance, deny-list polling. */
  resourceServer?: McpAuthResourceServerOptions;
  /**
   * The module's routes in the host's OpenAPI (Swagger) document. Default: left out;
   * `{ include: true }` lists them, described and tagged 'OAuth' (or `tag`), with the
   * protected resource metadata.
   */
  openApi?: OpenApiOptions;
  /**
   * Audit events (client registered, consent, sign-in, tokens, revocations, key rotation,
   * rate limits): one JSON log line each, and `@nestjs/event-emitter` events when the
   * application has that package. See {@link AuditOptions}.
   */
  audit?: AuditOptions;
  /**
   * The "Connected apps" page at `<routePrefix>/connected-apps` (and its JSON API), where a
   * signed-in user sees and revokes the MCP clients holding grants on their behalf. On by
   * default when the user can sign in there. See {@link ConnectedAppsOptions}.
   */
  connectedApps?: ConnectedAppsOptions;
  /**
   * OpenTelemetry metrics and spans (README "Observability"), through `@opentelemetry/api`
   * only: a no-op until the host installs an OpenTelemetry SDK. Default on.
   */
  telemetry?: TelemetryOptions;
  /**
   * The administration API under `<routePrefix>/admin`: clients, grants, signing keys and the
   * identity providers' status, behind a token with the scope the operator names (or the host's
   * guard). Off unless set. See {@link AdministrationOptions}.
   */
  administration?: AdministrationOptions;
}
