import type { McpAuthModuleOptions } from './mcp-auth-options.interface';
import {
  type ResolvedAdministrationOptions,
  resolveAdministrationOptions,
} from './administration/administration-options';
import { type ResolvedAuditOptions, resolveAuditOptions } from './audit/audit-options';
import type {
  ConsentOptions,
  InteractionOptions,
} from './authorization-server/authorization/interaction-options';
import {
  type ResolvedClientMetadataDocumentOptions,
  resolveClientMetadataDocumentOptions,
} from './authorization-server/client-metadata-document/client-metadata-document-options';
import type { EnterpriseAuthorizationOptions } from './authorization-server/enterprise/enterprise-options';
import type { FederationOptions } from './federation/federation-options';
import type {
  RegistrationOptions,
  StaticClientOptions,
} from './authorization-server/registration/registration-options';
import { type OpenApiOptions, resolveOpenApiOptions } from './http/openapi-options';
import { validateModuleOptions } from './mcp-auth-options.validation';
import { type EndpointUrls, endpointUrls, normalizePrefix } from './mcp-auth.endpoints';
import { normalizePath } from './oauth/resource-path';
import { canonicalResourceUri } from './oauth/resource-uri';
import type { StorageOptions } from './storage/storage-options';
import type { SigningAlgorithm } from './tokens/token-options';

// The endpoints' paths and URLs, where they have always been imported from.
export { ENDPOINT_PATHS, type EndpointUrls } from './mcp-auth.endpoints';

/** A configured MCP resource with its canonical URI worked out. */
export interface ResolvedResource {
  path: string;
  /** Canonical resource URI (issuer + path): the `aud` of its tokens and its PRM `resource`. */
  uri: string;
  scopes: string[];
  defaultScopes: string[];
  name: string | undefined;
  /**
   * The administration API: only client credentials tokens of clients whose registered scope
   * names its scope; never at `/authorize` or for an ID-JAG.
   */
  administration?: true;
}

/**
 * The module options after validation and defaults: what every service of one module
 * instance reads. Provided per instance, so two instances never see each other's settings.
 */
export class McpAuthConfig {
  readonly issuer: string;
  readonly resources: readonly ResolvedResource[];
  readonly scopes: Readonly<Record<string, string>>;
  readonly clients: readonly StaticClientOptions[];
  readonly registration: Required<Omit<RegistrationOptions, 'policy'>> &
    Pick<RegistrationOptions, 'policy'>;
  readonly accessTokenTtl: number;
  readonly refreshTokenTtl: number;
  readonly codeTtl: number;
  readonly algorithm: SigningAlgorithm;
  readonly refreshReuseGraceSeconds: number;
  readonly keyEncryptionSecret: string | undefined;
  readonly keyRotationInterval: number;
  readonly interaction: InteractionOptions;
  readonly consent: Required<ConsentOptions>;
  readonly routePrefix: string;
  readonly host: string | undefined;
  readonly storage: Required<StorageOptions>;
  readonly migrationsRun: boolean;
  readonly interactionTtl: number;
  readonly cleanupInterval: number;
  /** Client ID Metadata Documents: whether accepted, and how they are fetched and cached. */
  readonly clientMetadataDocuments: ResolvedClientMetadataDocumentOptions;
  /** Upstream identity providers of the sign-in page; none when federation is off. */
  readonly federation: Readonly<FederationOptions>;
  /** Trusted enterprise identity providers (ID-JAG); none when the grant is off. */
  readonly enterprise: Readonly<EnterpriseAuthorizationOptions>;
  /** Clients allowed to call `/introspect`. */
  readonly introspectionClients: ReadonlySet<string>;
  readonly endpoints: EndpointUrls;
  /** Cookies are `Secure` (and `__Host-` prefixed) whenever the issuer is https. */
  readonly secureCookies: boolean;
  /** Every scope any resource knows plus offline_access if configured: metadata `scopes_supported`. */
  readonly scopesSupported: string[];
  /** What a pre-registered client may register: every declared scope, administration's too. */
  readonly staticClientScopes: string[];
  /** Whether the module's routes appear in the host's OpenAPI document, and under which tag. */
  readonly openApi: Readonly<Required<OpenApiOptions>>;
  /** How audit events are logged and named. */
  readonly audit: ResolvedAuditOptions;
  /** The administration API; undefined when it is off. */
  readonly administration: ResolvedAdministrationOptions | undefined;

  constructor(options: McpAuthModuleOptions) {
    const problems = validateModuleOptions(options);
    if (problems.length) {
      throw new Error(`Invalid McpAuthModule options:\n  - ${problems.join('\n  - ')}`);
    }
    this.issuer = options.issuer;
    this.scopes = { ...options.scopes };
    this.resources = options.resources.map((resource) => ({
      path: normalizePath(resource.path),
      uri: canonicalResourceUri(options.issuer, normalizePath(resource.path)),
      scopes: [...resource.scopes],
      defaultScopes: [...(resource.defaultScopes ?? resource.scopes)],
      name: resource.name,
    }));
    this.clients = options.clients ?? [];
    this.registration = {
      enabled: options.registration?.enabled ?? true,
      clientSecretTtl: options.registration?.clientSecretTtl ?? 0,
      enforceClientScope: options.registration?.enforceClientScope ?? false,
      policy: options.registration?.policy,
    };
    this.accessTokenTtl = options.tokens?.accessTokenTtl ?? 600;
    this.refreshTokenTtl = options.tokens?.refreshTokenTtl ?? 30 * 24 * 3600;
    this.codeTtl = options.tokens?.codeTtl ?? 60;
    this.algorithm = options.tokens?.algorithm ?? 'ES256';
    this.refreshReuseGraceSeconds = options.tokens?.refreshReuseGraceSeconds ?? 2;
    this.keyEncryptionSecret = options.tokens?.keyEncryptionSecret;
    this.keyRotationInterval = options.tokens?.keyRotationInterval ?? 0;
    this.interaction = options.interaction ?? { type: 'built-in' };
    this.consent = {
      rememberForPublicClients: options.consent?.rememberForPublicClients ?? false,
    };
    this.routePrefix = normalizePrefix(options.routePrefix ?? '');
    this.host = options.host;
    this.storage = { preparedStatements: options.storage?.preparedStatements ?? true };
    this.migrationsRun = options.migrationsRun ?? false;
    this.interactionTtl = options.interactionTtl ?? 600;
    this.cleanupInterval = options.cleanupInterval ?? 300;
    this.clientMetadataDocuments = resolveClientMetadataDocumentOptions(
      options.clientMetadataDocuments,
    );
    this.federation = {
      providers: [...(options.federation?.providers ?? [])],
      identity: options.federation?.identity,
      tokenEncryptionKeys: [...(options.federation?.tokenEncryptionKeys ?? [])],
    };
    this.enterprise = {
      trustedIdentityProviders: [...(options.enterprise?.trustedIdentityProviders ?? [])],
      identity: options.enterprise?.identity,
    };
    this.introspectionClients = new Set(options.introspection?.allowedClients ?? []);
    this.secureCookies = options.issuer.startsWith('https:');
    // The administration scope is for pre-registered operators' clients only: not advertised,
    // not requestable at /authorize, not registrable dynamically or by a metadata document.
    this.scopesSupported = Object.keys(options.scopes).filter(
      (scope) => scope !== options.administration?.scope,
    );
    this.staticClientScopes = Object.keys(options.scopes);
    this.openApi = resolveOpenApiOptions(options.openApi);
    this.audit = resolveAuditOptions(options.audit);
    this.administration = resolveAdministrationOptions(
      options.administration,
      this.issuer,
      this.routePrefix,
    );
    const admin = this.administration;
    if (admin?.resourceUri && admin.scope) {
      // Its own protected resource, last, so it is never the default one.
      this.resources = [
        ...this.resources,
        {
          path: admin.path,
          uri: admin.resourceUri,
          scopes: [admin.scope],
          defaultScopes: [admin.scope],
          name: 'Administration API',
          administration: true,
        },
      ];
    }

    this.endpoints = endpointUrls(this.issuer, this.routePrefix);
  }

  /** The resource a request names (AS-15), or the first configured one when it names none. */
  get defaultResource(): ResolvedResource {
    return this.resources[0];
  }

  /** The configured resource whose canonical URI equals `uri` (already canonicalized). */
  findResource(uri: string): ResolvedResource | undefined {
    return this.resources.find((resource) => resource.uri === uri);
  }
}
