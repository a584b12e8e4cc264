import { LOOPBACK_HOSTS } from '../oauth/loopback';
import { normalizePath } from '../oauth/resource-path';
import { canonicalizeResourceUri } from '../oauth/resource-uri';
import { isValidScopeToken } from '../oauth/scope';
import {
  DEFAULT_CLOCK_TOLERANCE,
  PROTECTED_RESOURCE_METADATA_PATH,
} from './resource-server.constants';
import type {
  ResourceServerModuleOptions,
  ResourceServerSettings,
} from './resource-server-options.interface';
import { ScopeHierarchy } from './scope-hierarchy';
import {
  resolveTelemetryOptions,
  type ResolvedTelemetryOptions,
  type TelemetryOptions,
} from '../telemetry/telemetry-options';

/** A protected MCP endpoint, with everything the guard and the PRM need precomputed. */
export interface ProtectedResource {
  /** Canonical resource URI (RS-7: the accepted `aud`; RS-4: the PRM `resource`). */
  readonly uri: string;
  /** URL path of `uri` (`/` for an origin), matched against request paths. */
  readonly path: string;
  /** Minimal PRM `scopes_supported`; also the 401 `scope` of routes that declare none. */
  readonly scopes: readonly string[];
  readonly name: string | undefined;
  readonly documentation: string | undefined;
  /** PRM `authorization_servers`, byte-identical to the issuers (AS-4). */
  readonly authorizationServers: readonly string[];
  /** Path this resource's metadata is served at (RFC 9728 §3.1, path inserted). */
  readonly metadataPath: string;
  /** Absolute URL of that document: the `resource_metadata` of challenges (RS-2). */
  readonly metadataUrl: string;
}

interface ResourceInit {
  uri: string;
  scopes: readonly string[];
  name?: string;
  documentation?: string;
}

interface ResourceServerConfigInit {
  resources: readonly ResourceInit[];
  authorizationServers: readonly string[];
  settings?: ResourceServerSettings;
  host?: string;
  telemetry?: TelemetryOptions;
}

/**
 * The resource-server half of one module instance: which resources it protects, who issues
 * their tokens and how scopes relate. Built from the options of
 * `McpResourceServerModule`, which `McpAuthModule.forRoot()` maps from its own.
 */
export class ResourceServerConfig {
  readonly resources: readonly ProtectedResource[];
  readonly authorizationServers: readonly string[];
  readonly scopeHierarchy: ScopeHierarchy;
  readonly clockTolerance: number;
  /** `strategyName` as configured; `BearerStrategy` picks one when absent. */
  readonly strategyName: string | undefined;
  readonly host: string | undefined;
  /** `telemetry` with its defaults: the guard's metrics and spans. */
  readonly telemetry: ResolvedTelemetryOptions;
  /**
   * Served at the root `/.well-known/oauth-protected-resource`: the resource at the origin if
   * there is one, otherwise the first. Its `resource` is that resource's canonical URI, so a
   * client that falls back to the root document still asks for the right audience.
   */
  readonly rootResource: ProtectedResource;
  private readonly byMetadataPath: ReadonlyMap<string, ProtectedResource>;
  /** Longest path first, for prefix matching. */
  private readonly byPathLength: readonly ProtectedResource[];

  private constructor(init: ResourceServerConfigInit) {
    const problems = validate(init);
    if (problems.length) {
      throw new Error(
        `Invalid McpAuthModule resource-server options:\n  - ${problems.join('\n  - ')}`,
      );
    }
    this.authorizationServers = [...init.authorizationServers];
    this.scopeHierarchy = new ScopeHierarchy(init.settings?.scopeHierarchy);
    this.clockTolerance = init.settings?.clockTolerance ?? DEFAULT_CLOCK_TOLERANCE;
    this.strategyName = init.settings?.strategyName;
    this.host = init.host;
    this.telemetry = resolveTelemetryOptions(init.telemetry);
    this.resources = init.resources.map((resource) =>
      describeResource(resource, this.authorizationServers),
    );
    this.rootResource = this.resources.find((r) => r.path === '/') ?? this.resources[0];
    this.byMetadataPath = new Map(this.resources.map((r) => [r.metadataPath, r]));
    this.byPathLength = [...this.resources].sort((a, b) => b.path.length - a.path.length);
  }

  /** From the options of `McpResourceServerModule` (composed by `McpAuthModule.forRoot()` too). */
  static fromOptions(options: ResourceServerModuleOptions): ResourceServerConfig {
    if (!Array.isArray(options?.resources)) {
      throw new Error(
        'Invalid McpAuthModule resource-server options:\n  - resources must list the protected MCP endpoints, e.g. [{ uri: "https://api.example.com/mcp", scopes: [...] }]',
      );
    }
    return new ResourceServerConfig({
      resources: options.resources,
      authorizationServers: options.authorizationServers,
      settings: options,
      host: options.host,
      telemetry: options.telemetry,
    });
  }

  /**
   * The resource a request path belongs to: the longest resource path that is a prefix of it
   * at a segment boundary, otherwise the first resource.
   */
  resourceForPath(requestPath: string): ProtectedResource {
    for (const resource of this.byPathLength) {
      if (
        resource.path === '/' ||
        requestPath === resource.path ||
        requestPath.startsWith(`${resource.path}/`)
      ) {
        return resource;
      }
    }
    return this.resources[0];
  }

  /** A resource named by its path (`/mcp`) or canonical URI, as `@McpResource()` does. */
  findResource(pathOrUri: string): ProtectedResource | undefined {
    const canonical = canonicalizeResourceUri(pathOrUri);
    if (canonical !== null) return this.resources.find((r) => r.uri === canonical);
    const path = normalizePath(pathOrUri);
    return this.resources.find((r) => r.path === path);
  }

  /** The resource whose metadata lives at this request path, if any. */
  resourceForMetadataPath(path: string): ProtectedResource | undefined {
    const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path;
    if (trimmed === PROTECTED_RESOURCE_METADATA_PATH) return this.rootResource;
    return this.byMetadataPath.get(trimmed);
  }
}

function describeResource(
  init: ResourceInit,
  authorizationServers: readonly string[],
): ProtectedResource {
  const uri = canonicalizeResourceUri(init.uri) as string;
  const url = new URL(uri);
  const path = url.pathname === '' ? '/' : url.pathname;
  // RFC 9728 §3.1: the well-known suffix goes between the host and the path.
  const metadataPath =
    path === '/' ? PROTECTED_RESOURCE_METADATA_PATH : `${PROTECTED_RESOURCE_METADATA_PATH}${path}`;
  return {
    uri,
    path,
    scopes: [...init.scopes],
    name: init.name,
    documentation: init.documentation,
    authorizationServers,
    metadataPath,
    metadataUrl: `${url.origin}${metadataPath}`,
  };
}

function validate(init: ResourceServerConfigInit): string[] {
  const problems: string[] = [];
  const resources: readonly ResourceInit[] = Array.isArray(init.resources) ? init.resources : [];
  if (resources.length === 0) {
    problems.push('resources must list at least one protected MCP endpoint');
  } else {
    const paths = new Set<string>();
    for (const [i, resource] of resources.entries()) {
      const where = `resources[${i}]`;
      const canonical =
        typeof resource?.uri === 'string' ? canonicalizeResourceUri(resource.uri) : null;
      if (canonical === null || resource.uri.includes('?')) {
        problems.push(
          `${where}.uri must be an absolute http(s) URI without query or fragment, e.g. "https://api.example.com/mcp"`,
        );
        continue;
      }
      const url = new URL(canonical);
      if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname)) {
        problems.push(`${where}.uri must use https (http only on a loopback host)`);
      }
      const path = url.pathname;
      // Its metadata path becomes a route: router syntax would not match literally.
      if (/[:*?()+{}]/.test(path)) {
        problems.push(`${where}.uri: the path must not contain : * ? ( ) + { }`);
      }
      if (paths.has(path)) problems.push(`${where}.uri: path "${path}" is configured twice`);
      paths.add(path);
      if (!isStringArray(resource.scopes)) {
        problems.push(`${where}.scopes must be an array of scope tokens`);
        continue;
      }
      for (const scope of resource.scopes) {
        if (!isValidScopeToken(scope)) {
          problems.push(`${where}.scopes: "${scope}" is not a valid scope token`);
        }
      }
      if (resource.scopes.includes('offline_access')) {
        problems.push(
          `${where}.scopes must not contain offline_access (RS-4: it belongs to the AS)`,
        );
      }
    }
  }
  if (!Array.isArray(init.authorizationServers) || init.authorizationServers.length === 0) {
    problems.push('authorizationServers must list at least one issuer (RS-4)');
  } else {
    for (const [i, issuer] of init.authorizationServers.entries()) {
      problems.push(
        ...validateIssuerIdentifier(issuer).map((p) => `authorizationServers[${i}] ${p}`),
      );
    }
  }
  const tolerance = init.settings?.clockTolerance;
  if (
    tolerance !== undefined &&
    !(Number.isFinite(tolerance) && tolerance >= 0 && tolerance <= 300)
  ) {
    problems.push('clockTolerance must be between 0 and 300 seconds');
  }
  const strategyName = init.settings?.strategyName;
  if (strategyName !== undefined && (typeof strategyName !== 'string' || strategyName === '')) {
    problems.push('strategyName must be a non-empty string');
  }
  if (init.settings?.scopeHierarchy !== undefined) {
    problems.push(...ScopeHierarchy.validate(init.settings.scopeHierarchy));
  }
  return problems;
}

/**
 * An external issuer may have a path (`https://idp.example.com/realms/x`), unlike ours, but
 * must be an https URL (http on loopback) with no query or fragment (RFC 8414 §2).
 */
function validateIssuerIdentifier(issuer: unknown): string[] {
  if (typeof issuer !== 'string') return ['must be a string'];
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return [`"${issuer}" is not an absolute URL`];
  }
  if (
    url.protocol !== 'https:' &&
    !(url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))
  ) {
    return [`"${issuer}" must use https (http only on a loopback host)`];
  }
  if (url.search || url.hash || issuer.includes('#') || issuer.includes('?')) {
    return [`"${issuer}" must not have a query or fragment`];
  }
  return [];
}

function isStringArray(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}
