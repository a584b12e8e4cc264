import type { CanActivate, Type } from '@nestjs/common';
import { normalizePath } from '../oauth/resource-path';
import { canonicalResourceUri } from '../oauth/resource-uri';
import { isValidScopeToken } from '../oauth/scope';

/** Path of the administration API under the route prefix when `path` is not set. */
export const DEFAULT_ADMINISTRATION_PATH = '/admin';

/**
 * The administration API (list, inspect and delete clients; list and revoke grants; rotate the
 * signing key; the identity providers' status). Off unless this option is set.
 *
 * By default it is a protected resource of its own, `<issuer><routePrefix><path>`: an
 * operator's machine client (a pre-registered client with the `client_credentials` grant whose
 * registered `scope` names `scope`) asks `/token` for a token with that `resource`, and
 * `BearerGuard` checks the token's audience and scope. With `guard`, the host's guard decides
 * instead and no resource is added.
 * @publicApi
 */
export interface AdministrationOptions {
  /**
   * The scope an administrator's token must carry, e.g. `mcp-auth:admin`. Only a client whose
   * registered `scope` lists it explicitly can obtain it, and only with the client credentials
   * grant. Required unless `guard` is set; refused together with `guard`.
   */
  scope?: string;
  /** Path of the API under `routePrefix`. Default `/admin`. */
  path?: string;
  /**
   * A guard of the host that replaces the bearer check (a session, mTLS, a network rule). It is
   * instantiated in the module's context, so it may inject the host's global providers. It
   * must also put the administrator on `request.user` (the audit events name its `sub` or
   * `id`): a request it allows without one is refused (403), so a guard that returns true
   * without deciding (e.g. a roles guard on a route without roles metadata) opens nothing.
   * Refused together with `scope`.
   */
  guard?: Type<CanActivate>;
}

/** The administration options after validation, with the resource worked out. */
export interface ResolvedAdministrationOptions {
  /** Full path of the API, route prefix included, e.g. `/oauth/admin`. */
  path: string;
  /** The API's canonical resource URI; undefined when a host guard protects it. */
  resourceUri: string | undefined;
  /** The scope our guard requires; undefined with a host guard. */
  scope: string | undefined;
  guard: Type<CanActivate> | undefined;
}

const PLAIN_PATH = /^\/?[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*\/?$/;
const KNOWN_KEYS = new Set(['scope', 'path', 'guard']);

/** Every problem with `administration`; [] when it is valid or absent. */
export function validateAdministrationOptions(
  options: AdministrationOptions | undefined,
): string[] {
  if (options === undefined) return [];
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    return ['administration must be an object such as { scope: "mcp-auth:admin" }'];
  }
  const problems: string[] = [];
  for (const key of Object.keys(options)) {
    if (!KNOWN_KEYS.has(key)) problems.push(`administration.${key} is not an option`);
  }
  if (options.guard !== undefined && typeof options.guard !== 'function') {
    problems.push('administration.guard must be a guard class (Type<CanActivate>)');
  }
  if (options.guard !== undefined && options.scope !== undefined) {
    // One protection at a time: with a host guard no token (and no scope) is ever checked.
    problems.push(
      'administration: set either guard (the host decides) or scope (an operator token), not both',
    );
  }
  if (options.scope === undefined) {
    if (options.guard === undefined) {
      problems.push(
        'administration.scope is required (the scope an administrator token carries), unless administration.guard is set',
      );
    }
  } else if (typeof options.scope !== 'string' || !isValidScopeToken(options.scope)) {
    problems.push('administration.scope must be a valid scope token (RFC 6749 §3.3)');
  } else if (options.scope === 'offline_access') {
    problems.push('administration.scope must not be offline_access');
  }
  if (
    options.path !== undefined &&
    (typeof options.path !== 'string' ||
      !PLAIN_PATH.test(options.path) ||
      options.path.split('/').some((segment) => segment === '.' || segment === '..'))
  ) {
    problems.push('administration.path must be a plain path such as "/admin"');
  }
  return problems;
}

/** The resolved options, or undefined when the API is off. Call after validation. */
export function resolveAdministrationOptions(
  options: AdministrationOptions | undefined,
  issuer: string,
  routePrefix: string,
): ResolvedAdministrationOptions | undefined {
  if (options === undefined) return undefined;
  const path = normalizePath(
    `${routePrefix}${normalizePath(options.path ?? DEFAULT_ADMINISTRATION_PATH)}`,
  );
  const guarded = options.guard === undefined;
  return {
    path,
    resourceUri: guarded ? canonicalResourceUri(issuer, path) : undefined,
    scope: guarded ? options.scope : undefined,
    guard: options.guard,
  };
}

/** What the API's path and scope must not collide with (paths normalized, prefix included). */
export interface AdministrationNeighbours {
  issuer: string;
  routePrefix: string;
  scopes: Readonly<Record<string, string>>;
  resources: readonly { path: string; scopes: readonly string[] }[];
  /** The module's own endpoints, e.g. `/oauth/token`. */
  endpointPaths: readonly string[];
  /** The connected-apps page, unless it is turned off. */
  connectedAppsPath: string | undefined;
}

/**
 * Conflicts of valid `administration` options with the rest of the configuration: the scope
 * must be declared and belong to no regular resource (else a user could consent to it there);
 * the path must neither hold nor sit under a resource, the connected-apps page or an endpoint.
 */
export function administrationConflicts(
  options: AdministrationOptions | undefined,
  neighbours: AdministrationNeighbours,
): string[] {
  const admin = resolveAdministrationOptions(options, neighbours.issuer, neighbours.routePrefix);
  if (!admin || !options) return [];
  const problems: string[] = [];
  const scope = options.scope;
  if (scope !== undefined && !(scope in neighbours.scopes)) {
    problems.push(
      `administration.scope "${scope}" must be declared in scopes (with its description)`,
    );
  }
  for (const [i, resource] of neighbours.resources.entries()) {
    if (scope !== undefined && resource.scopes.includes(scope)) {
      problems.push(
        `resources[${i}].scopes must not contain the administration scope "${scope}" (only operators' machine clients may hold it)`,
      );
    }
  }
  const overlaps = (other: string) =>
    other === admin.path ||
    admin.path.startsWith(`${other}/`) ||
    other.startsWith(`${admin.path}/`);
  const taken: [string, string][] = [
    ...neighbours.resources.map((r): [string, string] => [r.path, 'a resource']),
    ...neighbours.endpointPaths.map((p): [string, string] => [p, 'an endpoint of the module']),
    ...(neighbours.connectedAppsPath === undefined
      ? []
      : [[neighbours.connectedAppsPath, 'the connected-apps page'] as [string, string]]),
  ];
  for (const [path, what] of taken) {
    if (overlaps(path)) {
      problems.push(
        `administration.path: ${admin.path} overlaps the path of ${what} (${path}); choose another path`,
      );
    }
  }
  return problems;
}
