import {
  HttpException,
  Injectable,
  Logger,
  type CanActivate,
  type ExecutionContext,
  type OnModuleDestroy,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard, type IAuthModuleOptions } from '@nestjs/passport';
import { requestPath, setHeader, type HttpRequest, type HttpResponse } from '../http/http-exchange';
import {
  AccessTokenVerifierUnavailableError,
  type VerifiedAccessToken,
} from './access-token-verifier.interface';
import { toAuthInfo, type AuthInfo } from './auth-info';
import { BearerChallengeException } from './bearer-challenge.exception';
import { challengeForFailure } from './bearer-refusal';
import { BearerStrategy } from './bearer.strategy';
import type { McpPrincipal } from './mcp-principal';
import {
  getRequestAuthContext,
  setRequestAuthContext,
  type RequestAuthContext,
} from './request-auth-context';
import { ResourceServerConfig, type ProtectedResource } from './resource-server.config';
import { RouteAuthSettingsReader, type RouteAuthSettings } from './route-auth-settings';
import type { ToolScopeRequirements } from './tool-scopes';
import { statelessAuthenticator, type StatelessAuthenticator } from './stateless-authenticator';
import { GuardTelemetry } from '../telemetry/guard-telemetry';

/**
 * Every scope the request's `tools/call` messages need, or `undefined` when it calls no tool
 * with scopes of its own. The body must have been parsed: a JSON body the guard cannot read
 * could call any tool, so it is a configuration error rather than a pass.
 */
function toolCallScopes(
  tools: ToolScopeRequirements,
  request: HttpRequest,
): readonly string[] | undefined {
  const body = request.body;
  if (body === undefined && request.headers['content-type']?.includes('application/json')) {
    throw new Error(
      '@RequiredToolScopes() needs the parsed JSON body in request.body when the guard runs: ' +
        'keep the JSON body parser on for the MCP route',
    );
  }
  return tools.forBody(body);
}

/**
 * Protects MCP endpoints with bearer access tokens (RS-1..RS-10) by running this module
 * instance's `BearerStrategy` through Passport. Use it per route, per controller or globally
 * (`{ provide: APP_GUARD, useExisting: BearerGuard }`, opting routes out with `@Public()`).
 *
 * Answers, with `WWW-Authenticate` built here (passport-http-bearer cannot express RFC 9728):
 * - no credentials, or a scheme other than Bearer → 401 `Bearer resource_metadata=…, scope=…`
 *   with no error (RFC 6750 §3.1: the client may not know authentication is needed);
 * - a token in the query or body, two Authorization headers, or a malformed Bearer header →
 *   400 `invalid_request` (RS-5, RFC 6750 §3.1 "more than one method");
 * - an invalid, expired, foreign-audience or revoked token → 401 `invalid_token`;
 * - missing scopes → 403 `insufficient_scope` naming every scope the route needs (RS-9), with
 *   those of the tools a JSON-RPC `tools/call` (or batch) calls under `@RequiredToolScopes()`;
 * - a verifier that cannot decide (authorization server unreachable) → 503.
 *
 * On success the request carries, as Passport leaves it, `user` (`McpPrincipal`) and
 * `authInfo` (`VerifiedAccessToken`); and `auth` (the MCP SDK's `AuthInfo`, which transports
 * hand tools as `extra.authInfo`).
 * @publicApi
 */
/** Passport's options for every request: tokens, no session. */
const AUTHENTICATE_OPTIONS = Object.freeze({ session: false });

@Injectable()
export class BearerGuard extends AuthGuard() implements CanActivate, OnModuleDestroy {
  private readonly logger = new Logger('BearerGuard');
  private readonly routes: RouteAuthSettingsReader;
  private readonly authInfos = new WeakMap<VerifiedAccessToken, AuthInfo>();

  private readonly strategyName: string;
  /** Passport, running this instance's strategy without session helpers. */
  private readonly passport: StatelessAuthenticator;
  /** `mcp_auth.guard.outcomes`: counts per outcome, read by the SDK when it collects. */
  private readonly telemetry: GuardTelemetry;

  constructor(
    strategy: BearerStrategy,
    private readonly config: ResourceServerConfig,
    reflector: Reflector,
  ) {
    // AuthGuard's own options (it runs the strategy here only through `authenticate` below):
    // this instance's strategy, `req.user`, no session.
    const options: IAuthModuleOptions = {
      defaultStrategy: strategy.name,
      property: 'user',
      session: false,
    };
    super(options);
    this.strategyName = strategy.name;
    this.passport = statelessAuthenticator(strategy.name, strategy);
    this.routes = new RouteAuthSettingsReader(reflector);
    this.telemetry = new GuardTelemetry(config.telemetry);
  }

  /** Stops reporting `mcp_auth.guard.outcomes` for this instance. */
  onModuleDestroy(): void {
    this.telemetry.stop();
  }

  override canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const route = this.routes.of(context);
    if (route.isPublic) return true;
    // Only HTTP requests carry bearer tokens; deny anything else rather than guess.
    if (context.getType() !== 'http') return false;

    // What switchToHttp().getRequest()/getResponse() answer, without the closures it allocates.
    const request = context.getArgByIndex<HttpRequest>(0);
    const response = context.getArgByIndex<HttpResponse>(1);
    setRequestAuthContext(request, {
      resource: this.resourceOf(route, request),
      requiredScopes: route.requiredScopes,
      scopeHierarchy: this.config.scopeHierarchy,
      toolScopes: route.toolScopes,
      requiresUser: route.requiresUser,
      response,
    });
    return this.authenticate(request, response, context);
  }

  /**
   * Passport's `authenticate` with this instance's strategy, with `AuthGuard.canActivate`'s
   * outcome on the request (`authInfo`, then `user`), without its per-request option merging
   * and promise layers. A challenge carries its headers onto the response.
   *
   * When the strategy decides synchronously (a remembered token: `verifyCached`), so does the
   * guard: `true`, or the refusal thrown, with no promise and no microtask; otherwise the
   * answer is a promise settled when Passport calls back.
   */
  private authenticate(
    request: HttpRequest,
    response: HttpResponse,
    context: ExecutionContext,
  ): boolean | Promise<boolean> {
    const span = this.telemetry.startSpan();
    // The outcome once Passport has called back: `true` or the refusal.
    let outcome: true | Error | undefined;
    let settle: ((result: true | Error) => void) | undefined;
    const conclude = (error?: unknown): void => {
      let result: true | Error = true;
      if (error === undefined || error === null) {
        this.telemetry.record('ok', span);
      } else {
        if (error instanceof BearerChallengeException) error.applyTo(response);
        this.telemetry.record(GuardTelemetry.outcomeOf(error), span);
        result = error instanceof Error ? error : new Error('Passport failed with a non-error');
      }
      if (settle === undefined) outcome = result;
      else settle(result);
    };
    this.passport.authenticate(
      this.strategyName,
      AUTHENTICATE_OPTIONS,
      (error: unknown, user: unknown, info: unknown, status?: unknown) => {
        try {
          const target = request as unknown as Record<string, unknown>;
          target.authInfo = info;
          target.user = this.handleRequest(error, user, info, context, status);
        } catch (refusal) {
          conclude(refusal);
          return;
        }
        conclude();
      },
    )(request, response, conclude);
    if (outcome === true) return true;
    if (outcome !== undefined) throw outcome;
    return new Promise<boolean>((resolve, reject) => {
      settle = (result) => (result === true ? resolve(true) : reject(result));
    });
  }

  /**
   * Passport's outcome → the principal for `req.user`, or the challenge to answer with; then
   * the route's scopes (RS-9).
   */
  override handleRequest<TUser = McpPrincipal>(
    error: unknown,
    user: unknown,
    info: unknown,
    context: ExecutionContext,
    status?: unknown,
  ): TUser {
    const request = context.getArgByIndex<HttpRequest>(0);
    const auth = getRequestAuthContext(request) as RequestAuthContext;
    if (error) throw this.verificationError(error, context);
    if (!user) throw challengeForFailure(info, status, auth);
    // BearerStrategy's success info: the verified token.
    const token = info as VerifiedAccessToken;
    auth.token = token;
    const authInfo = this.authInfoOf(token);
    (request as HttpRequest & { auth?: AuthInfo }).auth = authInfo;
    // Fastify: also on the Node request, which a host hands to the SDK's Node transport.
    if (request.raw) (request.raw as { auth?: AuthInfo }).auth = authInfo;
    if (auth.requiresUser && (user as McpPrincipal).machine) {
      throw BearerChallengeException.userRequired(auth);
    }
    // RS-9: all scopes of method and class, hierarchy respected.
    if (auth.toolScopes === undefined) {
      if (!auth.scopeHierarchy.satisfies(token.scopes, auth.requiredScopes)) {
        throw BearerChallengeException.insufficientScope(auth);
      }
      return user as TUser;
    }
    // …and those of the tools the JSON-RPC body calls (@RequiredToolScopes), in one challenge.
    const needed = toolCallScopes(auth.toolScopes, request) ?? auth.requiredScopes;
    if (!auth.scopeHierarchy.satisfies(token.scopes, needed)) {
      throw BearerChallengeException.insufficientScope({
        resource: auth.resource,
        requiredScopes: needed,
      });
    }
    return user as TUser;
  }

  /** A verifier that cannot decide → 503 with Retry-After; anything else is a bug (500). */
  private verificationError(error: unknown, context: ExecutionContext): Error {
    if (error instanceof AccessTokenVerifierUnavailableError) {
      this.logger.warn(`Token verification unavailable: ${error.message}`);
      setHeader(context.switchToHttp().getResponse<HttpResponse>(), 'Retry-After', '5');
      return new HttpException(
        {
          error: 'temporarily_unavailable',
          error_description: 'The access token cannot be verified right now; retry later.',
        },
        503,
      );
    }
    return error instanceof Error ? error : new Error('Token verification threw a non-error');
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

  /** The resource of this route: `@McpResource()`, else by request path. */
  private resourceOf(route: RouteAuthSettings, request: HttpRequest): ProtectedResource {
    const named = route.namedResource;
    if (named !== undefined) {
      const resource = this.config.findResource(named);
      if (!resource) throw new Error(`@McpResource('${named}') names no configured resource`);
      return resource;
    }
    return this.config.resourceForPath(requestPath(request));
  }
}
