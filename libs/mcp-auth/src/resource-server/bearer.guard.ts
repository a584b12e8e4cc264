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
import { toAuthInfo } from './auth-info';
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

// RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token.
const BEARER_CREDENTIALS = /^(\S+)(?: +(.*))?$/;
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

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

  constructor(
    strategy: BearerStrategy,
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

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE_METADATA, targets)) return true;
    // Only HTTP requests carry bearer tokens; deny anything else rather than guess.
    if (context.getType() !== 'http') return false;

    const request = context.switchToHttp().getRequest<Request>();
    const response = context.switchToHttp().getResponse<Response>();
    exposeWwwAuthenticate(response);
    const auth: RequestAuthContext = {
      resource: this.resourceOf(context, request),
      // Class scopes first, then the method's: the order the challenge lists them in.
      requiredScopes: [
        ...new Set(
          this.reflector.getAllAndMerge<string[]>(REQUIRED_SCOPES_METADATA, [
            context.getClass(),
            context.getHandler(),
          ]),
        ),
      ],
      scopeHierarchy: this.config.scopeHierarchy,
      clockTolerance: this.config.clockTolerance,
    };
    setRequestAuthContext(request, auth);
    try {
      this.checkCredentialPlacement(request, auth);
      // Passport runs the strategy; `handleRequest` turns its outcome into a challenge.
      await super.canActivate(context);
      const token = auth.token as VerifiedAccessToken;
      (request as Request & { auth?: unknown }).auth = toAuthInfo(token);
      // RS-9: all scopes of method and class, hierarchy respected.
      if (!auth.scopeHierarchy.satisfies(token.scopes, auth.requiredScopes)) {
        throw BearerChallengeException.insufficientScope(auth);
      }
      return true;
    } catch (error) {
      if (error instanceof BearerChallengeException) error.applyTo(response);
      throw error;
    }
  }

  /** Passport's outcome → the verified token, or the challenge to answer with. */
  override handleRequest<TUser = VerifiedAccessToken>(
    error: unknown,
    user: unknown,
    _info: unknown,
    context: ExecutionContext,
    status?: unknown,
  ): TUser {
    const request = context.switchToHttp().getRequest<Request>();
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

  /** The resource of this route: `@McpResource()`, else by request path. */
  private resourceOf(context: ExecutionContext, request: Request): ProtectedResource {
    const named = this.reflector.getAllAndOverride<string | undefined>(MCP_RESOURCE_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]);
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
   */
  private checkCredentialPlacement(request: Request, auth: RequestAuthContext): void {
    if (countAuthorizationHeaders(request) > 1) {
      throw BearerChallengeException.invalidRequest(auth, 'More than one Authorization header.');
    }
    if (hasAccessTokenField(request.query) || hasAccessTokenField(request.body)) {
      throw BearerChallengeException.invalidRequest(
        auth,
        'Access tokens are accepted only in the Authorization header.',
      );
    }
    const header = request.headers.authorization;
    if (header === undefined || header === '') return;
    const [, scheme, credentials] = BEARER_CREDENTIALS.exec(header) ?? [];
    if (scheme === undefined || !/^bearer$/i.test(scheme)) {
      throw BearerChallengeException.missingCredentials(auth);
    }
    if (credentials === undefined || !B64TOKEN.test(credentials)) {
      throw BearerChallengeException.invalidRequest(auth, 'Malformed Authorization header.');
    }
    // RFC 7235 allows several spaces; passport-http-bearer splits on exactly one.
    const canonical = `${scheme} ${credentials}`;
    if (header !== canonical) request.headers.authorization = canonical;
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

/** CORS: browsers hide `WWW-Authenticate` from scripts unless it is exposed. */
function exposeWwwAuthenticate(response: Response): void {
  if (response.headersSent) return;
  const current = response.getHeader('Access-Control-Expose-Headers');
  const names = (Array.isArray(current) ? current.join(',') : String(current ?? ''))
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (names.some((name) => name.toLowerCase() === 'www-authenticate')) return;
  response.setHeader('Access-Control-Expose-Headers', [...names, 'WWW-Authenticate'].join(', '));
}
