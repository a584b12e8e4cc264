import {
  HttpException,
  Injectable,
  Logger,
  type ExecutionContext,
  type CanActivate,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard, type IAuthModuleOptions } from '@nestjs/passport';
import type { Request, Response } from 'express';
import { AccessTokenVerifierUnavailableError } from './access-token-verifier.interface';
import type { VerifiedAccessToken } from './access-token-verifier.interface';
import { toAuthInfo, type AuthInfo } from './auth-info';
import { BearerChallengeException } from './bearer-challenge.exception';
import { BearerStrategy } from './bearer.strategy';
import { getRequestAuthContext, setRequestAuthContext } from './request-auth-context';
import type { RequestAuthContext } from './request-auth-context';
import {
  ACCESS_TOKEN_REQUEST_PROPERTY,
  MCP_RESOURCE_METADATA,
  PUBLIC_ROUTE_METADATA,
  REQUIRED_SCOPES_METADATA,
} from './resource-server.constants';
import { ResourceServerConfig, type ProtectedResource } from './resource-server.config';

/** What the strategy said: Passport's `(error, user)`. */
interface StrategyOutcome {
  error: unknown;
  user: VerifiedAccessToken | false;
}

const NO_CREDENTIALS: StrategyOutcome = { error: null, user: false };

/** What a route's decorators say, read once per route. */
interface RouteSettings {
  readonly isPublic: boolean;
  readonly requiredScopes: readonly string[];
  readonly namedResource: string | undefined;
}

// RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token.
const BEARER_CREDENTIALS = /^(\S+)(?: +(.*))?$/;
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
/** The usual well-formed header, checked in one pass; anything else takes the detailed path. */
const WELL_FORMED_BEARER = /^[Bb][Ee][Aa][Rr][Ee][Rr] ([A-Za-z0-9\-._~+/]+=*)$/;

/**
 * Protects MCP endpoints with bearer access tokens (RS-1..RS-10). Use it per route, per
 * controller or globally (`{ provide: APP_GUARD, useExisting: BearerGuard }`, opting routes out
 * with `@Public()`). Every request is verified; nothing is remembered between requests.
 *
 * Answers, with `WWW-Authenticate` built here (passport-http-bearer cannot express RFC 9728):
 * - no credentials, or a scheme other than Bearer → 401 `Bearer resource_metadata=…, scope=…`
 *   with no error (RFC 6750 §3.1: the client may not know authentication is needed);
 * - a token in the query or body, two Authorization headers, or a malformed Bearer header →
 *   400 `invalid_request` (RS-5, RFC 6750 §3.1 "more than one method");
 * - an invalid, expired, foreign-audience or revoked token → 401 `invalid_token`;
 * - missing scopes → 403 `insufficient_scope` naming every scope the route needs (RS-9).
 *
 * On success the request carries `accessToken` (`VerifiedAccessToken`) and `auth` (the MCP
 * SDK's `AuthInfo`, which transports hand tools as `extra.authInfo`).
 * @publicApi
 */
@Injectable()
export class BearerGuard extends AuthGuard() implements CanActivate {
  private readonly logger = new Logger('BearerGuard');
  /** What the decorators say about each route, read once: class → handler → settings. */
  private readonly routes = new WeakMap<object, WeakMap<object, RouteSettings>>();
  private readonly authInfos = new WeakMap<VerifiedAccessToken, AuthInfo>();

  constructor(
    private readonly strategy: BearerStrategy,
    private readonly config: ResourceServerConfig,
    private readonly reflector: Reflector,
  ) {
    const options: IAuthModuleOptions = {
      defaultStrategy: strategy.name,
      property: ACCESS_TOKEN_REQUEST_PROPERTY,
      session: false,
    };
    super(options);
    // Always this module instance's strategy: a PassportModule the host registers elsewhere
    // would otherwise be injected into `options` and redirect the guard to its default.
    Object.defineProperty(this, 'options', {
      get: () => options,
      set: () => undefined,
      enumerable: true,
    });
  }

  /**
   * Synchronous when the verifier can answer from memory (a token it verified before, see
   * `AccessTokenVerifier.verifyCached`): no promise chain on the hot path. Otherwise a promise.
   */
  override canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const route = this.routeSettings(context);
    if (route.isPublic) return true;
    // Only HTTP requests carry bearer tokens; deny anything else rather than guess.
    if (context.getType() !== 'http') return false;

    // What switchToHttp().getRequest()/getResponse() answer, without the closures it allocates.
    const request = context.getArgByIndex<Request>(0);
    const response = context.getArgByIndex<Response>(1);
    exposeWwwAuthenticate(response);
    const auth: RequestAuthContext = {
      resource: this.resourceOf(route, request),
      requiredScopes: route.requiredScopes,
      scopeHierarchy: this.config.scopeHierarchy,
      clockTolerance: this.config.clockTolerance,
    };
    setRequestAuthContext(request, auth);
    let credentials: string | undefined;
    try {
      credentials = this.checkCredentialPlacement(request, auth);
      const outcome =
        credentials === undefined ? NO_CREDENTIALS : this.authenticateCached(request, credentials);
      if (outcome !== undefined) return this.conclude(context, request, auth, outcome);
    } catch (error) {
      throw withChallengeHeaders(error, response);
    }
    return this.authenticate(request, credentials as string)
      .then((outcome) => this.conclude(context, request, auth, outcome))
      .catch((error: unknown) => {
        throw withChallengeHeaders(error, response);
      });
  }

  /**
   * Passport's outcome, without Passport (see `authenticate`): `handleRequest` turns it into
   * the token or the challenge to answer with; then the scopes (RS-9).
   */
  private conclude(
    context: ExecutionContext,
    request: Request,
    auth: RequestAuthContext,
    outcome: StrategyOutcome,
  ): boolean {
    const token = this.handleRequest<VerifiedAccessToken>(
      outcome.error,
      outcome.user,
      undefined,
      context,
    );
    (request as unknown as Record<string, unknown>)[ACCESS_TOKEN_REQUEST_PROPERTY] = token;
    (request as Request & { auth?: unknown }).auth = this.authInfoOf(token);
    // RS-9: all scopes of method and class, hierarchy respected.
    if (!auth.scopeHierarchy.satisfies(token.scopes, auth.requiredScopes)) {
      throw BearerChallengeException.insufficientScope(auth);
    }
    return true;
  }

  /** Passport's outcome → the verified token, or the challenge to answer with. */
  override handleRequest<TUser = VerifiedAccessToken>(
    error: unknown,
    user: unknown,
    _info: unknown,
    context: ExecutionContext,
    status?: unknown,
  ): TUser {
    const request = context.getArgByIndex<Request>(0);
    const auth = getRequestAuthContext(request) as RequestAuthContext;
    if (error) {
      if (error instanceof AccessTokenVerifierUnavailableError) {
        this.logger.warn(`Token verification unavailable: ${error.message}`);
        context.switchToHttp().getResponse<Response>().setHeader('Retry-After', '5');
        throw new HttpException(
          {
            error: 'temporarily_unavailable',
            error_description: 'The access token cannot be verified right now; retry later.',
          },
          503,
        );
      }
      throw error instanceof Error ? error : new Error('Token verification threw a non-error');
    }
    if (user) {
      auth.token = user as VerifiedAccessToken;
      return user as TUser;
    }
    if (status === 400) {
      throw BearerChallengeException.invalidRequest(auth, 'Malformed Authorization header.');
    }
    if (auth.failure) throw BearerChallengeException.invalidToken(auth, auth.failure.reason);
    throw BearerChallengeException.missingCredentials(auth);
  }

  /**
   * Runs the strategy's verification with the token the header check extracted: what Passport
   * would do, without its per-request machinery (a middleware closure, an augmented strategy
   * object and a second parse of the header). The guard has already parsed and checked the
   * header, the only place a token may come from (RS-5). The strategy stays registered with
   * Passport for hosts that use it directly.
   */
  private async authenticate(request: Request, credentials: string): Promise<StrategyOutcome> {
    try {
      return { error: null, user: await this.strategy.validate(request, credentials) };
    } catch (error) {
      return { error, user: false };
    }
  }

  /** `authenticate` answered synchronously, or undefined when it must wait. */
  private authenticateCached(request: Request, credentials: string): StrategyOutcome | undefined {
    try {
      const user = this.strategy.validateCached(request, credentials);
      return user === undefined ? undefined : { error: null, user };
    } catch (error) {
      return { error, user: false };
    }
  }

  /**
   * The MCP SDK's `AuthInfo`, built once per verified token object: a verifier that answers
   * the same (frozen) object for a repeated token gets the same frozen `AuthInfo` back.
   */
  private authInfoOf(token: VerifiedAccessToken): AuthInfo {
    let info = this.authInfos.get(token);
    if (info === undefined) {
      info = toAuthInfo(token);
      if (Object.isFrozen(token)) {
        Object.freeze(info.scopes);
        Object.freeze(info.extra);
        this.authInfos.set(token, Object.freeze(info));
      }
    }
    return info;
  }

  /** The route's decorators (`@Public`, `@RequiredScopes`, `@McpResource`), read once per route. */
  private routeSettings(context: ExecutionContext): RouteSettings {
    const handler = context.getHandler();
    const controller = context.getClass();
    let byHandler = this.routes.get(controller);
    if (!byHandler) {
      byHandler = new WeakMap();
      this.routes.set(controller, byHandler);
    }
    let settings = byHandler.get(handler);
    if (!settings) {
      const targets = [handler, controller];
      settings = {
        isPublic:
          this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE_METADATA, targets) === true,
        // Class scopes first, then the method's: the order the challenge lists them in.
        requiredScopes: Object.freeze([
          ...new Set(
            this.reflector.getAllAndMerge<string[]>(REQUIRED_SCOPES_METADATA, [
              controller,
              handler,
            ]),
          ),
        ]),
        namedResource: this.reflector.getAllAndOverride<string | undefined>(
          MCP_RESOURCE_METADATA,
          targets,
        ),
      };
      byHandler.set(handler, settings);
    }
    return settings;
  }

  /** The resource of this route: `@McpResource()`, else by request path. */
  private resourceOf(route: RouteSettings, request: Request): ProtectedResource {
    const named = route.namedResource;
    if (named !== undefined) {
      const resource = this.config.findResource(named);
      if (!resource) throw new Error(`@McpResource('${named}') names no configured resource`);
      return resource;
    }
    return this.config.resourceForPath(request.path ?? request.url.split('?')[0]);
  }

  /**
   * RS-5: the Authorization header is the only accepted place for a token. Decisions:
   * - a token in `?access_token=` or a body `access_token` field → 400 `invalid_request`, even
   *   alongside a header (RFC 6750 §3.1: "more than one method");
   * - two Authorization headers → 400 `invalid_request` (the header is not a list; Node would
   *   silently keep the first);
   * - another scheme (`Basic …`) → 401 without error, as if no credentials were sent
   *   (RFC 6750 §3.1: "attempted using an unsupported authentication method");
   * - `Bearer` with no token, or characters outside b64token → 400 `invalid_request`.
   *
   * Returns the token, or undefined when the request carries no Authorization header.
   */
  private checkCredentialPlacement(request: Request, auth: RequestAuthContext): string | undefined {
    if (countAuthorizationHeaders(request) > 1) {
      throw BearerChallengeException.invalidRequest(auth, 'More than one Authorization header.');
    }
    // No `?` in the URL, no query: skips Express parsing one on every request.
    const query = request.url?.includes('?') === false ? undefined : request.query;
    if (hasAccessTokenField(query) || hasAccessTokenField(request.body)) {
      throw BearerChallengeException.invalidRequest(
        auth,
        'Access tokens are accepted only in the Authorization header.',
      );
    }
    const header = request.headers.authorization;
    if (header === undefined || header === '') return undefined;
    const wellFormed = WELL_FORMED_BEARER.exec(header);
    if (wellFormed !== null) return wellFormed[1];
    const [, scheme, credentials] = BEARER_CREDENTIALS.exec(header) ?? [];
    if (scheme === undefined || !/^bearer$/i.test(scheme)) {
      throw BearerChallengeException.missingCredentials(auth);
    }
    if (credentials === undefined || !B64TOKEN.test(credentials)) {
      throw BearerChallengeException.invalidRequest(auth, 'Malformed Authorization header.');
    }
    // RFC 7235 allows several spaces; passport-http-bearer (for hosts that run the strategy
    // through Passport themselves) splits on exactly one.
    if (header.length !== scheme.length + 1 + credentials.length) {
      request.headers.authorization = `${scheme} ${credentials}`;
    }
    return credentials;
  }
}

function countAuthorizationHeaders(request: Request): number {
  let count = 0;
  const raw = request.rawHeaders ?? [];
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].length === 13 && raw[i].toLowerCase() === 'authorization') count += 1;
  }
  return count;
}

function hasAccessTokenField(container: unknown): boolean {
  return (
    typeof container === 'object' &&
    container !== null &&
    !Array.isArray(container) &&
    Object.prototype.hasOwnProperty.call(container, 'access_token')
  );
}

/** A challenge carries its headers onto the response before it propagates. */
function withChallengeHeaders(error: unknown, response: Response): unknown {
  if (error instanceof BearerChallengeException) error.applyTo(response);
  return error;
}

/** CORS: browsers hide `WWW-Authenticate` from scripts unless it is exposed. */
function exposeWwwAuthenticate(response: Response): void {
  if (response.headersSent) return;
  const current = response.getHeader('Access-Control-Expose-Headers');
  // The usual case: nothing exposed yet, so no list to merge with.
  if (current === undefined) {
    response.setHeader('Access-Control-Expose-Headers', 'WWW-Authenticate');
    return;
  }
  const names = (Array.isArray(current) ? current.join(',') : String(current ?? ''))
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (names.some((name) => name.toLowerCase() === 'www-authenticate')) return;
  response.setHeader('Access-Control-Expose-Headers', [...names, 'WWW-Authenticate'].join(', '));
}
