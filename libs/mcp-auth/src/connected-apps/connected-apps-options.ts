import { normalizePath } from '../oauth/resource-path';

/** The user a connected-apps request is made by. */
export interface ConnectedAppsUser {
  /** The `sub` the user's grants were given under. */
  subject: string;
  /** Shown on the page ("Signed in as …"). */
  displayName?: string;
}

/**
 * Tells the page who is signed in, from the host's own session (a cookie of the host, a
 * header set by its proxy). The request is the adapter's own (Express `Request` or Fastify
 * `FastifyRequest`). Return null when nobody is signed in; never throw for that.
 * @publicApi
 */
export type ConnectedAppsUserResolver = (
  request: unknown,
) => ConnectedAppsUser | null | Promise<ConnectedAppsUser | null>;

/**
 * The "Connected apps" page and its JSON API, where a signed-in user lists the MCP clients
 * holding grants on their behalf and revokes them.
 * @publicApi
 */
export interface ConnectedAppsOptions {
  /**
   * Default true, once the module can tell who the user is: the page's own sign-in (a
   * `ResourceOwnerAuthenticator` for its password form, `federation` providers for its
   * "Continue with" buttons) or `resolveUser`. Without any it is off; `true` then fails at boot.
   */
  enabled?: boolean;
  /** Absolute path on the issuer origin. Default `<routePrefix>/connected-apps`. */
  path?: string;
  /**
   * Who is signed in, from the host's own session. Required with
   * `interaction: { type: 'external' }`; with the built-in pages it replaces the page's own
   * sign-in (password and federation).
   */
  resolveUser?: ConnectedAppsUserResolver;
  /** Where the page sends a user who is not signed in, when `resolveUser` finds nobody. */
  signInUrl?: string;
  /** Seconds the page's own sign-in lasts (its session cookie). Default 900 (15 minutes). */
  sessionTtl?: number;
}

/** Path under the route prefix when `path` is not set. */
export const DEFAULT_CONNECTED_APPS_PATH = '/connected-apps';
const DEFAULT_SESSION_TTL = 900;
const MAX_SESSION_TTL = 24 * 3600;
const PLAIN_PATH = /^\/[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*\/?$/;
const KNOWN_KEYS = new Set(['enabled', 'path', 'resolveUser', 'signInUrl', 'sessionTtl']);

/** Every problem with `connectedApps`; [] when it is valid or absent. */
export function validateConnectedAppsOptions(options: ConnectedAppsOptions | undefined): string[] {
  if (options === undefined) return [];
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    return ['connectedApps must be an object such as { path: "/account/apps" }'];
  }
  const problems: string[] = [];
  for (const key of Object.keys(options)) {
    if (!KNOWN_KEYS.has(key)) problems.push(`connectedApps.${key} is not an option`);
  }
  if (options.enabled !== undefined && typeof options.enabled !== 'boolean') {
    problems.push('connectedApps.enabled must be true or false');
  }
  if (
    options.path !== undefined &&
    (typeof options.path !== 'string' ||
      !PLAIN_PATH.test(options.path) ||
      options.path.split('/').some((segment) => segment === '.' || segment === '..'))
  ) {
    problems.push('connectedApps.path must be an absolute plain path such as "/account/apps"');
  }
  if (options.resolveUser !== undefined && typeof options.resolveUser !== 'function') {
    problems.push('connectedApps.resolveUser must be a function (request) => user | null');
  }
  if (
    options.signInUrl !== undefined &&
    (typeof options.signInUrl !== 'string' || !/^(https?:\/\/|\/(?!\/))/.test(options.signInUrl))
  ) {
    problems.push('connectedApps.signInUrl must be an http(s) URL or a path starting with "/"');
  }
  const ttl = options.sessionTtl;
  if (ttl !== undefined && (!Number.isInteger(ttl) || ttl < 60 || ttl > MAX_SESSION_TTL)) {
    problems.push(`connectedApps.sessionTtl must be whole seconds from 60 to ${MAX_SESSION_TTL}`);
  }
  return problems;
}

/** How one module instance serves the page, worked out at boot. */
export interface ResolvedConnectedAppsOptions {
  /** Off: no route is registered at all. */
  enabled: boolean;
  /** Full path of the page, e.g. `/connected-apps`. */
  path: string;
  /**
   * How the page learns who the user is: its own sign-in (password form, federation providers)
   * kept in its session cookie, or the host's `resolveUser`.
   */
  signIn: 'built-in' | 'resolver';
  resolveUser: ConnectedAppsUserResolver | undefined;
  signInUrl: string | undefined;
  sessionTtl: number;
}

/**
 * Resolves the options for one instance. `passwordSignIn`: a ResourceOwnerAuthenticator is
 * provided; `federationSignIn`: upstream providers are configured; `external`: the host runs its own login. Throws when `enabled: true` cannot work or
 * the path would shadow a protected resource.
 */
export function resolveConnectedAppsOptions(
  options: ConnectedAppsOptions | undefined,
  context: {
    routePrefix: string;
    passwordSignIn: boolean;
    federationSignIn?: boolean;
    external: boolean;
    resourcePaths: readonly string[];
  },
): ResolvedConnectedAppsOptions {
  const path = normalizePath(
    options?.path ?? `${context.routePrefix}${DEFAULT_CONNECTED_APPS_PATH}`,
  );
  const resolveUser = options?.resolveUser;
  const signIn = resolveUser
    ? 'resolver'
    : (context.passwordSignIn || context.federationSignIn === true) && !context.external
      ? 'built-in'
      : undefined;
  if (options?.enabled === true && !signIn) {
    throw new Error(
      'McpAuthModule: connectedApps needs a way to know the user: connectedApps.resolveUser ' +
        '(required with an external interaction), or a ResourceOwnerAuthenticator or ' +
        "federation providers for the page's own sign-in. Set connectedApps: " +
        '{ enabled: false } to turn the page off.',
    );
  }
  const enabled = options?.enabled !== false && signIn !== undefined;
  if (enabled && context.resourcePaths.some((p) => p === path || path.startsWith(`${p}/`))) {
    throw new Error(`McpAuthModule: connectedApps.path ${path} is on the path of a resource`);
  }
  return {
    enabled,
    path,
    signIn: signIn ?? 'built-in',
    resolveUser,
    signInUrl: options?.signInUrl,
    sessionTtl: options?.sessionTtl ?? DEFAULT_SESSION_TTL,
  };
}
