import type { McpAuthModuleOptions } from './mcp-auth-options.interface';
import { validateRateLimitOptions } from './abuse/rate-limit.config';
import {
  administrationConflicts,
  type ResolvedAdministrationOptions,
  resolveAdministrationOptions,
  validateAdministrationOptions,
} from './administration/administration-options';
import {
  type ResolvedAuditOptions,
  resolveAuditOptions,
  validateAuditOptions,
} from './audit/audit-options';
import {
  type ConsentOptions,
  type InteractionOptions,
  validateAuthorizationInteractionOptions,
} from './authorization-server/authorization/interaction-options';
import {
  type ResolvedClientMetadataDocumentOptions,
  resolveClientMetadataDocumentOptions,
  validateClientMetadataDocumentOptions,
} from './authorization-server/client-metadata-document/client-metadata-document-options';
import {
  type EnterpriseAuthorizationOptions,
  validateEnterpriseOptions,
} from './authorization-server/enterprise/enterprise-options';
import {
  DEFAULT_CONNECTED_APPS_PATH,
  validateConnectedAppsOptions,
} from './connected-apps/connected-apps-options';
import { type FederationOptions, validateFederationOptions } from './federation/federation-options';
import { validateIntrospectionOptions } from './authorization-server/introspection/introspection-options';
import {
  type RegistrationOptions,
  type StaticClientOptions,
  validateClientRegistrationOptions,
} from './authorization-server/registration/registration-options';
import {
  type OpenApiOptions,
  resolveOpenApiOptions,
  validateOpenApiOptions,
} from './http/openapi-options';
import { validateLifecycleOptions } from './lifecycle/lifecycle-options';
import { validateIssuer } from './oauth/issuer';
import { normalizePath } from './oauth/resource-path';
import { canonicalResourceUri } from './oauth/resource-uri';
import { isValidScopeToken } from './oauth/scope';
import { type StorageOptions, validateStorageOptions } from './storage/storage-options';
import { type SigningAlgorithm, validateTokenOptions } from './tokens/token-options';

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

/** Absolute URLs of every endpoint, as advertised in metadata. */
export interface EndpointUrls {
  authorization: string;
  token: string;
  registration: string;
  revocation: string;
  introspection: string;
  jwks: string;
  interaction: string;
  /** Base of the upstream callbacks: `<base>/<provider id>/callback`. */
  federation: string;
}

/** Relative paths (under the route prefix) the controllers are mounted on. */
export const ENDPOINT_PATHS = {
  authorization: 'authorize',
  token: 'token',
  registration: 'register',
  revocation: 'revoke',
  introspection: 'introspect',
  interaction: 'interaction',
  federation: 'federation',
} as const;

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
    const problems = validateOptions(options);
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

    const base = `${this.issuer}${this.routePrefix}`;
    this.endpoints = {
      authorization: `${base}/${ENDPOINT_PATHS.authorization}`,
      token: `${base}/${ENDPOINT_PATHS.token}`,
      registration: `${base}/${ENDPOINT_PATHS.registration}`,
      revocation: `${base}/${ENDPOINT_PATHS.revocation}`,
      introspection: `${base}/${ENDPOINT_PATHS.introspection}`,
      interaction: `${base}/${ENDPOINT_PATHS.interaction}`,
      federation: `${base}/${ENDPOINT_PATHS.federation}`,
      jwks: `${this.issuer}/.well-known/jwks.json`,
    };
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

function normalizePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  return trimmed ? `/${trimmed}` : '';
}

/** Every problem with the options, part by part; [] when they are valid. */
function validateOptions(options: McpAuthModuleOptions): string[] {
  if (typeof options?.issuer !== 'string') {
    return ['issuer is required: the absolute https URL clients reach this server at'];
  }
  return [
    ...validateRootOptions(options),
    ...validateTokenOptions(options.tokens),
    ...validateAuthorizationInteractionOptions(options),
    ...validateStorageOptions(options.storage),
    ...validateLifecycleOptions(options),
    ...validateClientRegistrationOptions(options),
    ...validateRateLimitOptions(options.rateLimit),
    ...validateClientMetadataDocumentOptions(options.clientMetadataDocuments),
    ...validateFederationOptions(options.federation),
    ...validateEnterpriseOptions(options.enterprise),
    ...validateIntrospectionOptions(options.introspection),
    ...validateOpenApiOptions(options.openApi),
    ...validateAuditOptions(options.audit),
    ...validateConnectedAppsOptions(options.connectedApps),
    ...validateAdministrationOptions(options.administration),
    ...administrationPathProblems(options),
  ];
}

/** The administration API against the rest (scope, paths): see `administrationConflicts`. */
function administrationPathProblems(options: McpAuthModuleOptions): string[] {
  if (!options.administration || validateAdministrationOptions(options.administration).length) {
    return [];
  }
  const routePrefix = normalizePrefix(options.routePrefix ?? '');
  const resources = Array.isArray(options.resources)
    ? options.resources
        .filter((r) => typeof r?.path === 'string')
        .map((r) => ({
          path: normalizePath(r.path),
          scopes: Array.isArray(r.scopes) ? r.scopes : [],
        }))
    : [];
  const connectedApps = options.connectedApps;
  return administrationConflicts(options.administration, {
    issuer: options.issuer,
    routePrefix,
    scopes: options.scopes ?? {},
    resources,
    endpointPaths: Object.values(ENDPOINT_PATHS).map((name) => `${routePrefix}/${name}`),
    connectedAppsPath:
      connectedApps?.enabled === false
        ? undefined
        : normalizePath(connectedApps?.path ?? `${routePrefix}${DEFAULT_CONNECTED_APPS_PATH}`),
  });
}

/** What shapes the module itself: issuer, scopes, resources and routePrefix. */
function validateRootOptions(options: McpAuthModuleOptions): string[] {
  const problems: string[] = [];
  problems.push(...validateIssuer(options.issuer).map((p) => `issuer: ${p}`));

  const scopes = options.scopes ?? {};
  if (typeof scopes !== 'object' || Array.isArray(scopes)) {
    problems.push('scopes must be an object mapping each scope to its description');
  }
  for (const scope of Object.keys(scopes)) {
    if (!isValidScopeToken(scope)) {
      problems.push(`scopes: "${scope}" is not a valid scope token (RFC 6749 §3.3)`);
    }
  }

  if (!Array.isArray(options.resources) || options.resources.length === 0) {
    problems.push(
      'resources must list at least one MCP endpoint, e.g. [{ path: "/mcp", scopes: [...] }]',
    );
  } else {
    const paths = new Set<string>();
    for (const [i, resource] of options.resources.entries()) {
      const where = `resources[${i}]`;
      if (
        typeof resource.path !== 'string' ||
        !/^\/?[A-Za-z0-9._~!$&'()*+,;=:@/-]*$/.test(resource.path)
      ) {
        problems.push(`${where}.path must be a URL path such as "/mcp"`);
        continue;
      }
      const path = normalizePath(resource.path);
      if (paths.has(path)) problems.push(`${where}.path "${path}" is configured twice`);
      paths.add(path);
      for (const scope of [...(resource.scopes ?? []), ...(resource.defaultScopes ?? [])]) {
        if (!(scope in scopes)) {
          problems.push(`${where} uses scope "${scope}", which is not declared in scopes`);
        }
      }
      if (resource.scopes?.includes('offline_access')) {
        problems.push(
          `${where}.scopes must not contain offline_access (RS-4: it belongs to the AS only)`,
        );
      }
      const unknownDefaults = (resource.defaultScopes ?? []).filter(
        (s) => !resource.scopes.includes(s),
      );
      if (unknownDefaults.length) {
        problems.push(
          `${where}.defaultScopes must be a subset of its scopes (${unknownDefaults.join(', ')})`,
        );
      }
    }
  }

  if (
    options.routePrefix !== undefined &&
    (!/^\/?[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*\/?$|^\/?$/.test(options.routePrefix) ||
      // `.` and `..` would be normalized away by clients but not by the router.
      options.routePrefix.split('/').some((segment) => segment === '.' || segment === '..'))
  ) {
    problems.push('routePrefix must be a plain path such as "/oauth"');
  }
  return problems;
}
