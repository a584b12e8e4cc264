import type { TokenEndpointAuthMethod } from './storage/client-store.interface';
import type { SigningAlgorithm } from './oauth/signing-algorithms';

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

/** A client known before any registration (RFC 7591 metadata names). */
export interface StaticClientOptions {
  client_id: string;
  /** Plain secret for confidential clients; stored hashed. */
  client_secret?: string;
  redirect_uris: string[];
  token_endpoint_auth_method?: TokenEndpointAuthMethod;
  grant_types?: string[];
  client_name?: string;
  scope?: string;
  application_type?: 'web' | 'native';
}

/** What a registration policy hook may answer. */
export type RegistrationDecision =
  | { action: 'accept' }
  /** Accept with changed metadata (e.g. a narrower `scope`). */
  | { action: 'amend'; metadata: Record<string, unknown> }
  | {
      action: 'reject';
      error?: 'invalid_client_metadata' | 'invalid_redirect_uri';
      description: string;
    };

export interface RegistrationOptions {
  /** Serve RFC 7591 dynamic registration at `/register`. Default true. */
  enabled?: boolean;
  /** Lifetime of issued client secrets in seconds; 0 means they never expire. Default 0. */
  clientSecretTtl?: number;
  /**
   * Treat the `scope` a client declares at registration as the most it may ever request.
   * Default false: MCP clients register with the scope of the first challenge (SEP-835) and
   * later step up with the same client (RS-9), which an enforced `scope` would refuse.
   * Pre-registered clients' `scope` is always enforced; a policy can still narrow or reject.
   */
  enforceClientScope?: boolean;
  /** Inspect every registration after validation. */
  policy?: (
    metadata: Readonly<Record<string, unknown>>,
    context: { ip: string | undefined },
  ) => RegistrationDecision | Promise<RegistrationDecision>;
}

export interface TokenOptions {
  /** Access-token lifetime in seconds. Default 600. */
  accessTokenTtl?: number;
  /** Refresh-token lifetime in seconds (renewed at each rotation). Default 30 days. */
  refreshTokenTtl?: number;
  /** Authorization-code lifetime in seconds, at most 600. Default 60. */
  codeTtl?: number;
  /** JWS algorithm of access tokens. Default ES256. */
  algorithm?: SigningAlgorithm;
  /**
   * Seconds after a rotation during which presenting the old refresh token again is refused
   * (`invalid_grant`) without revoking the grant: a client that refreshes in parallel keeps
   * the pair the winning request received. After the window, reuse revokes the whole family.
   * 0 revokes at once, as node-oidc-provider does. Default 2.
   */
  refreshReuseGraceSeconds?: number;
  /**
   * Secret (32+ characters) that encrypts signing private keys at rest. Unset: they are
   * stored as JWK JSON, readable by anyone who can read the database.
   */
  keyEncryptionSecret?: string;
  /** Seconds after which the signing key is rotated automatically; 0 never. Default 0. */
  keyRotationInterval?: number;
}

export type { SigningAlgorithm };

/** Built-in login and consent pages, backed by the host's `ResourceOwnerAuthenticator`. */
export interface BuiltInInteractionOptions {
  type: 'built-in';
  /** Name shown on the pages. Default: the issuer host. */
  serviceName?: string;
}

/** The host's own login page: it receives `?interaction=<id>` and finishes through `McpAuthorizationService`. */
export interface ExternalInteractionOptions {
  type: 'external';
  /** Absolute URL or path on the issuer origin of the host's login page. */
  loginUrl: string;
}

export type InteractionOptions = BuiltInInteractionOptions | ExternalInteractionOptions;

/** When an approval is remembered, so the same client is not asked again. */
export interface ConsentOptions {
  /**
   * Also remember consent for public clients (`token_endpoint_auth_method: none`). Default
   * false: anyone can present a public client's client_id (RFC 8252 §8.6), so its consent
   * page, with the warning about loopback redirects, is shown at every authorization.
   * Consent for clients that authenticate is always remembered.
   */
  rememberForPublicClients?: boolean;
}

/** How the Postgres stores run their SQL. */
export interface StorageOptions {
  /**
   * Run the stores' statements as named prepared statements on the pg Pool. Default true;
   * false behind a PgBouncer in transaction mode older than 1.21 (or with
   * `max_prepared_statements = 0`), which cannot keep named statements.
   */
  preparedStatements?: boolean;
}

import type { RateLimitOptions } from './abuse/rate-limit-options.interface';
import type { IntrospectionOptions } from './authorization-server/introspection/introspection-options';
import type { McpAuthResourceServerOptions } from './resource-server/resource-server-options.interface';

/** Options of `McpAuthModule.forRoot()`. @publicApi */
export interface McpAuthModuleOptions {
  /** The issuer: an absolute https URL with no path (http only on localhost / 127.0.0.1). */
  issuer: string;
  resources: McpResourceOptions[];
  /** Every scope the server knows, with the description shown on the consent page. */
  scopes: Record<string, string>;
  clients?: StaticClientOptions[];
  registration?: RegistrationOptions;
  tokens?: TokenOptions;
  interaction?: InteractionOptions;
  /** Remembering consent; see {@link ConsentOptions}. */
  consent?: ConsentOptions;
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
  /** How the Postgres stores run their SQL (prepared statements). */
  storage?: StorageOptions;
  /** Run the module's migrations when the application starts. Default false. */
  migrationsRun?: boolean;
  /** Seconds a pending authorization (login and consent) may take. Default 600. */
  interactionTtl?: number;
  /** Seconds between clean-ups of expired rows; 0 disables it. Default 300. */
  cleanupInterval?: number;
  /**
   * Per-endpoint limits per client address (429 with `Retry-After`). Default on, with limits
   * that let real clients connect (DEFAULT_RATE_LIMITS); `false` disables them. Counters are
   * kept in the module's database, shared by every instance (see `RateLimitOptions.storage`).
   * Behind a reverse proxy set Express `trust proxy`, or every client shares the proxy's
   * address.
   */
  rateLimit?: RateLimitOptions;
  /** Who may introspect tokens at `/introspect`. Default: nobody until listed. */
  introspection?: IntrospectionOptions;
  /** The resource server half: scope hierarchy, clock tolerance, deny-list polling. */
  resourceServer?: McpAuthResourceServerOptions;
}
