import type {
  ConsentOptions,
  InteractionOptions,
  McpAuthModuleOptions,
  RegistrationOptions,
  SigningAlgorithm,
  StaticClientOptions,
  StorageOptions,
} from './mcp-auth-options.interface';
import { validateRateLimitOptions } from './abuse/rate-limit.config';
import { validateIntrospectionOptions } from './authorization-server/introspection/introspection-options';
import { validateIssuer } from './oauth/issuer';
import { normalizePath } from './oauth/resource-path';
import { SUPPORTED_SIGNING_ALGORITHMS } from './oauth/signing-algorithms';
import { canonicalResourceUri } from './oauth/resource-uri';
import { isValidScopeToken } from './oauth/scope';

/** A configured MCP resource with its canonical URI worked out. */
export interface ResolvedResource {
  path: string;
  /** Canonical resource URI (issuer + path): the `aud` of its tokens and its PRM `resource`. */
  uri: string;
  scopes: string[];
  defaultScopes: string[];
  name: string | undefined;
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
}

/** Relative paths (under the route prefix) the controllers are mounted on. */
export const ENDPOINT_PATHS = {
  authorization: 'authorize',
  token: 'token',
  registration: 'register',
  revocation: 'revoke',
  introspection: 'introspect',
  interaction: 'interaction',
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
  /** Clients allowed to call `/introspect`. */
  readonly introspectionClients: ReadonlySet<string>;
  readonly endpoints: EndpointUrls;
  /** Cookies are `Secure` (and `__Host-` prefixed) whenever the issuer is https. */
  readonly secureCookies: boolean;
  /** Every scope any resource knows plus offline_access if configured: metadata `scopes_supported`. */
  readonly scopesSupported: string[];

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
    this.introspectionClients = new Set(options.introspection?.allowedClients ?? []);
    this.secureCookies = options.issuer.startsWith('https:');
    this.scopesSupported = Object.keys(options.scopes);

    const base = `${this.issuer}${this.routePrefix}`;
    this.endpoints = {
      authorization: `${base}/${ENDPOINT_PATHS.authorization}`,
      token: `${base}/${ENDPOINT_PATHS.token}`,
      registration: `${base}/${ENDPOINT_PATHS.registration}`,
      revocation: `${base}/${ENDPOINT_PATHS.revocation}`,
      introspection: `${base}/${ENDPOINT_PATHS.introspection}`,
      interaction: `${base}/${ENDPOINT_PATHS.interaction}`,
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

const positive = (value: number | undefined): boolean =>
  value === undefined || (Number.isFinite(value) && value > 0);

function validateOptions(options: McpAuthModuleOptions): string[] {
  const problems: string[] = [];
  if (typeof options?.issuer !== 'string') {
    return ['issuer is required: the absolute https URL clients reach this server at'];
  }
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

  const tokens = options.tokens ?? {};
  for (const key of ['accessTokenTtl', 'refreshTokenTtl', 'codeTtl'] as const) {
    if (!positive(tokens[key])) problems.push(`tokens.${key} must be a positive number of seconds`);
  }
  if (tokens.codeTtl !== undefined && tokens.codeTtl > 600) {
    problems.push('tokens.codeTtl must be at most 600 seconds (AS-19: codes are short-lived)');
  }
  if (
    tokens.refreshReuseGraceSeconds !== undefined &&
    !(tokens.refreshReuseGraceSeconds >= 0 && tokens.refreshReuseGraceSeconds <= 60)
  ) {
    problems.push('tokens.refreshReuseGraceSeconds must be between 0 and 60');
  }
  if (tokens.keyEncryptionSecret !== undefined && tokens.keyEncryptionSecret.length < 32) {
    problems.push('tokens.keyEncryptionSecret must be at least 32 characters');
  }
  if (tokens.keyRotationInterval !== undefined && !(tokens.keyRotationInterval >= 0)) {
    problems.push('tokens.keyRotationInterval must be 0 (never) or a positive number of seconds');
  }
  if (tokens.algorithm !== undefined && !SUPPORTED_SIGNING_ALGORITHMS.includes(tokens.algorithm)) {
    problems.push(`tokens.algorithm must be one of ${SUPPORTED_SIGNING_ALGORITHMS.join(', ')}`);
  }
  for (const key of ['interactionTtl'] as const) {
    if (!positive(options[key])) problems.push(`${key} must be a positive number of seconds`);
  }
  const preparedStatements = options.storage?.preparedStatements;
  if (preparedStatements !== undefined && typeof preparedStatements !== 'boolean') {
    problems.push('storage.preparedStatements must be true or false');
  }
  if (options.cleanupInterval !== undefined && !(options.cleanupInterval >= 0)) {
    problems.push('cleanupInterval must be 0 (off) or a positive number of seconds');
  }
  if (
    options.registration?.clientSecretTtl !== undefined &&
    !(options.registration.clientSecretTtl >= 0)
  ) {
    problems.push('registration.clientSecretTtl must be 0 (never expires) or a positive number');
  }
  if (
    options.routePrefix !== undefined &&
    (!/^\/?[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*\/?$|^\/?$/.test(options.routePrefix) ||
      // `.` and `..` would be normalized away by clients but not by the router.
      options.routePrefix.split('/').some((segment) => segment === '.' || segment === '..'))
  ) {
    problems.push('routePrefix must be a plain path such as "/oauth"');
  }
  if (options.interaction?.type === 'external' && !options.interaction.loginUrl) {
    problems.push('interaction.loginUrl is required when interaction.type is "external"');
  }
  const remember = options.consent?.rememberForPublicClients;
  if (remember !== undefined && typeof remember !== 'boolean') {
    problems.push('consent.rememberForPublicClients must be true or false');
  }

  problems.push(...validateRateLimitOptions(options.rateLimit));
  problems.push(...validateIntrospectionOptions(options.introspection));

  const ids = new Set<string>();
  for (const [i, client] of (options.clients ?? []).entries()) {
    const where = `clients[${i}]`;
    if (!client.client_id || typeof client.client_id !== 'string') {
      problems.push(`${where}.client_id is required`);
    } else if (ids.has(client.client_id)) {
      problems.push(`${where}.client_id "${client.client_id}" is configured twice`);
    } else {
      ids.add(client.client_id);
    }
    if (!Array.isArray(client.redirect_uris) || client.redirect_uris.length === 0) {
      problems.push(`${where}.redirect_uris must list at least one URI`);
    }
    const method =
      client.token_endpoint_auth_method ?? (client.client_secret ? 'client_secret_basic' : 'none');
    if (!['none', 'client_secret_basic', 'client_secret_post'].includes(method)) {
      problems.push(
        `${where}.token_endpoint_auth_method must be none, client_secret_basic or client_secret_post`,
      );
    } else if (method === 'none' && client.client_secret) {
      problems.push(`${where} is public (token_endpoint_auth_method none) but has a client_secret`);
    } else if (method !== 'none' && !client.client_secret) {
      problems.push(`${where} uses ${method} but has no client_secret`);
    }
    if (client.client_secret !== undefined && client.client_secret.length < 16) {
      problems.push(`${where}.client_secret must be at least 16 characters`);
    }
  }
  return problems;
}
