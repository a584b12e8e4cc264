import type { Provider } from '@nestjs/common';
import type { TelemetryOptions } from '../telemetry/telemetry-options';
import type { ScopeHierarchyDefinition } from './scope-hierarchy';

/** Resource-server settings shared by every mode. */
export interface ResourceServerSettings {
  /**
   * Broader scope → the narrower scopes it implies (RS-9: servers MUST respect scope
   * hierarchies), e.g. `{ 'mcp:admin': ['mcp:tools'] }`. Transitive.
   */
  scopeHierarchy?: ScopeHierarchyDefinition;
  /** Seconds of clock skew tolerated on `exp` and `nbf`. Default 5. */
  clockTolerance?: number;
  /**
   * Name of this instance's Passport strategy, for composing it with the host's own
   * (`AuthGuard(['mcp', 'jwt'])`). Unique in the process. Default: `mcp-bearer:<random>`,
   * readable as `BearerStrategy.name`.
   */
  strategyName?: string;
}

/**
 * Resource-server settings of `McpAuthModule.forRoot()` (its own tokens, verified locally).
 * Read from the module options' `resourceServer` member.
 */
export interface McpAuthResourceServerOptions extends ResourceServerSettings {
  /**
   * Seconds between catch-up reads of revocations, the fallback behind Postgres
   * LISTEN/NOTIFY. Default 1.
   */
  revocationPollInterval?: number;
}

/** One protected MCP endpoint of a resource-server-only application. */
export interface ProtectedResourceOptions {
  /**
   * Canonical URI of the MCP endpoint, e.g. `https://api.example.com/mcp`: the `aud` its tokens
   * must carry (RS-7) and the `resource` of its metadata (RS-4). No query, no fragment.
   */
  uri: string;
  /** Scopes the endpoint understands: its minimal PRM `scopes_supported`. */
  scopes: string[];
  /** PRM `resource_name`. */
  name?: string;
  /** PRM `resource_documentation`: a page for developers. */
  documentation?: string;
}

/** Verify JWT access tokens with the issuer's published keys (its JWKS). */
export interface JwksVerifierOptions {
  type: 'jwks';
  /**
   * `jwks_uri` to use instead of discovering it from the issuer's metadata. Only with a single
   * authorization server.
   */
  jwksUri?: string;
  /** Accepted JWS algorithms. Default ES256, ES384, ES512, RS256, PS256, EdDSA: never `none` or HMAC. */
  algorithms?: string[];
  /**
   * Accepted `typ` headers (compared case-insensitively, `application/` prefix ignored).
   * Default `['at+jwt']` (RFC 9068 §4); some identity providers use `JWT`. `false` skips the check.
   */
  tokenTypes?: string[] | false;
  /** Minimum seconds between refetches caused by an unknown `kid`. Default 30. */
  refetchCooldown?: number;
  /** Seconds after which keys are refreshed in the background. Default 600. */
  cacheMaxAge?: number;
  /** Seconds to wait for the metadata and key endpoints. Default 5. */
  timeout?: number;
}

/** Ask the issuer about every token (RFC 7662). */
export interface IntrospectionVerifierOptions {
  type: 'introspection';
  /** Introspection endpoint; default: `introspection_endpoint` from the first issuer's metadata. */
  endpoint?: string;
  /** This resource server's client credentials at the authorization server. */
  clientId: string;
  clientSecret: string;
  /** How the credentials are sent. Default `client_secret_basic`. */
  clientAuthMethod?: 'client_secret_basic' | 'client_secret_post';
  /**
   * Longest seconds a positive answer is reused; never past the token's `exp`. A revoked token
   * keeps working for at most this long. 0 disables the cache. Default 30.
   */
  cacheTtl?: number;
  /** Most answers kept in memory. Default 10,000. */
  cacheMaxEntries?: number;
  /** Seconds to wait for the endpoint. Default 5. */
  timeout?: number;
}

/** Bring your own `AccessTokenVerifier` through `extraProviders`. */
export interface CustomVerifierOptions {
  type: 'custom';
}

export type ResourceServerVerifierOptions =
  JwksVerifierOptions | IntrospectionVerifierOptions | CustomVerifierOptions;

/** Options of `McpAuthModule.forResourceServer()`. @publicApi */
export interface ResourceServerModuleOptions extends ResourceServerSettings {
  resources: ProtectedResourceOptions[];
  /**
   * Issuer identifiers of the authorization servers, byte-identical to their metadata `issuer`
   * (AS-4): published as PRM `authorization_servers` and required as the token `iss`.
   */
  authorizationServers: string[];
  verifier: ResourceServerVerifierOptions;
  /** Answer the metadata routes only for this Host (several resource servers in one app). */
  host?: string;
  /**
   * The metadata routes in the host's OpenAPI (Swagger) document. Default: left out;
   * `{ include: true }` lists them, described and tagged 'OAuth' (or `tag`). Same shape as
   * `McpAuthModule`'s `openApi`, which covers them when that module serves them.
   */
  openApi?: { include?: boolean; tag?: string };
  /**
   * OpenTelemetry metrics (`mcp_auth.guard.outcomes`) and optional guard spans. Default on: a
   * no-op until the host installs an OpenTelemetry SDK.
   */
  telemetry?: TelemetryOptions;
}

/** Settings that shape the resource-server module itself. */
export interface ResourceServerModuleExtras {
  /** Make the guard and its services visible app-wide. Default false. */
  isGlobal?: boolean;
  /** Providers added last, e.g. `{ provide: AccessTokenVerifier, useClass: MyVerifier }`. */
  extraProviders?: Provider[];
}
