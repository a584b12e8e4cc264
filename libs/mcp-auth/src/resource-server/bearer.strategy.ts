import { randomUUID } from 'node:crypto';
import type { OnModuleDestroy } from '@nestjs/common';
import { requestPath, type HttpRequest } from '../http/http-exchange';
import passport from 'passport';
import {
  Strategy as HttpBearerStrategy,
  type VerifyFunctionWithRequest,
} from 'passport-http-bearer';
import { InvalidAccessTokenError } from '../tokens/invalid-access-token.error';
import type { AccessTokenVerifier, VerifiedAccessToken } from './access-token-verifier.interface';
import { readBearerCredentials } from './bearer-credentials';
import { NO_CREDENTIALS, invalidToken, type BearerRefusal } from './bearer-refusal';
import { toMcpPrincipal, type McpPrincipal } from './mcp-principal';
import { getRequestAuthContext } from './request-auth-context';
import type { ProtectedResource, ResourceServerConfig } from './resource-server.config';
import { assertAudience, assertNotExpired } from './verifiers/access-token-claims';

/** passport-http-bearer's `done`: the principal and verified token, or why not. */
type VerifyDone = (
  error: unknown,
  principal?: McpPrincipal | false,
  info?: VerifiedAccessToken | { message: string },
) => void;

/** Passport's registry, which has no public lookup by name. */
interface PassportRegistry {
  _strategy(name: string): unknown;
}

/**
 * The passport-http-bearer strategy of one module instance, registered with Passport under
 * its own name (`resourceServer.strategyName`, else `mcp-bearer:<random>`): Passport's registry
 * is process-global, so two instances never verify with each other's verifier. `BearerGuard`
 * runs it through `@nestjs/passport`; a host can compose it with its own strategies
 * (`AuthGuard([name, 'jwt'])`). The name is released on shutdown.
 *
 * On success Passport gets the `McpPrincipal` as the user (`req.user`) and the
 * `VerifiedAccessToken` as the info (`req.authInfo`). On failure it gets a `BearerRefusal`
 * for the challenge, which the guard writes itself (RFC 9728 `resource_metadata`).
 *
 * passport-http-bearer also reads `?access_token=` and body fields, which MCP forbids (RS-5):
 * `authenticate` refuses those, duplicate headers and malformed ones before it runs.
 * @publicApi
 */
export class BearerStrategy
  extends HttpBearerStrategy<VerifyFunctionWithRequest>
  implements OnModuleDestroy
{
  /** A frozen verified token (a verifier's cache hit) keeps its frozen principal. */
  private readonly principals = new WeakMap<VerifiedAccessToken, McpPrincipal>();

  constructor(
    private readonly verifier: AccessTokenVerifier,
    private readonly config: ResourceServerConfig,
  ) {
    super({ passReqToCallback: true }, (request, token, done) =>
      this.verifyToken(request, token, done as VerifyDone),
    );
    this.name = config.strategyName ?? `mcp-bearer:${randomUUID()}`;
    if ((passport as unknown as PassportRegistry)._strategy(this.name) !== undefined) {
      throw new Error(
        `McpAuthModule: a Passport strategy named "${this.name}" is already registered; give each module instance its own resourceServer.strategyName`,
      );
    }
    passport.use(this.name, this);
  }

  onModuleDestroy(): void {
    if ((passport as unknown as PassportRegistry)._strategy(this.name) === this) {
      passport.unuse(this.name);
    }
  }

  /** RS-5 first; then passport-http-bearer reads the header and calls `verifyToken`. */
  override authenticate(request: HttpRequest, options?: object): void {
    const credentials = readBearerCredentials(request);
    if (typeof credentials !== 'string') {
      (this as unknown as passport.StrategyCreatedStatic).fail(credentials, credentials.status);
      return;
    }
    // RFC 7235 allows several spaces; passport-http-bearer splits on exactly one.
    const header = request.headers.authorization as string;
    if (header.length !== 7 + credentials.length) {
      request.headers.authorization = `Bearer ${credentials}`;
    }
    // passport-http-bearer reads only headers, query and body: present on both adapters.
    super.authenticate(request as never, options);
  }

  /**
   * passport-http-bearer's challenge, as a `BearerRefusal`: it is only asked for one with no
   * token (no code) or after `verifyToken` refused one (`invalid_token`).
   */
  _challenge(code?: string, description?: string): BearerRefusal {
    return code === 'invalid_token' ? invalidToken(description ?? 'invalid token') : NO_CREDENTIALS;
  }

  /**
   * The verify callback: the token for the route's resource (`@McpResource()` through
   * `BearerGuard`, else by request path). Synchronous when the verifier can answer from
   * memory (`AccessTokenVerifier.verifyCached`).
   */
  private verifyToken(request: HttpRequest, token: string, done: VerifyDone): void {
    const resource =
      getRequestAuthContext(request)?.resource ?? this.config.resourceForPath(requestPath(request));
    const context = { resource: resource.uri };
    let cached: VerifiedAccessToken | undefined;
    try {
      cached = this.verifier.verifyCached?.(token, context);
    } catch (error) {
      this.refuse(error, done);
      return;
    }
    if (cached !== undefined) {
      this.accept(cached, resource, done);
      return;
    }
    this.verifier.verify(token, context).then(
      (verified) => this.accept(verified, resource, done),
      (error: unknown) => this.refuse(error, done),
    );
  }

  /** RS-6 / RS-7 whichever verifier is plugged in: no token passthrough (RS-10). */
  private accept(
    verified: VerifiedAccessToken,
    resource: ProtectedResource,
    done: VerifyDone,
  ): void {
    try {
      // Once per request: the built-in verifiers check the audience themselves.
      if (this.verifier.checksAudience !== true) assertAudience(verified.audience, resource.uri);
      assertNotExpired(verified.expiresAt, this.config.clockTolerance);
    } catch (error) {
      this.refuse(error, done);
      return;
    }
    done(null, this.principalOf(verified), verified);
  }

  /** A refused token fails (another strategy may still succeed); anything else is an error. */
  private refuse(error: unknown, done: VerifyDone): void {
    if (error instanceof InvalidAccessTokenError) done(null, false, { message: error.reason });
    else done(error);
  }

  private principalOf(verified: VerifiedAccessToken): McpPrincipal {
    let principal = this.principals.get(verified);
    if (principal === undefined) {
      principal = toMcpPrincipal(verified);
      if (Object.isFrozen(verified)) this.principals.set(verified, principal);
    }
    return principal;
  }
}
