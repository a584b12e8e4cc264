import type { OnModuleDestroy } from '@nestjs/common';
import type { Request } from 'express';
import passport from 'passport';
import {
  Strategy as HttpBearerStrategy,
  type VerifyFunctionWithRequest,
} from 'passport-http-bearer';
import { InvalidAccessTokenError } from '../tokens/invalid-access-token.error';
import type { AccessTokenVerifier, VerifiedAccessToken } from './access-token-verifier.interface';
import { getRequestAuthContext, type RequestAuthContext } from './request-auth-context';
import { assertAudience, assertNotExpired } from './verifiers/access-token-claims';

let instances = 0;

/**
 * The passport-http-bearer strategy of one module instance. Passport's registry is
 * process-global, so each instance registers under its own name (`mcp-bearer-<n>`) and two
 * instances never verify with each other's verifier; the name is released on shutdown.
 *
 * The strategy only extracts the token; the guard has already refused query and body tokens
 * (RS-5) and malformed headers, and it writes every challenge itself.
 */
export class BearerStrategy implements OnModuleDestroy {
  readonly name = `mcp-bearer-${++instances}`;

  constructor(private readonly verifier: AccessTokenVerifier) {
    const verify: VerifyFunctionWithRequest = (request, token, done) => {
      this.validate(request, token).then(
        (verified) => done(null, verified),
        (error: unknown) => done(error),
      );
    };
    passport.use(this.name, new HttpBearerStrategy({ passReqToCallback: true }, verify));
  }

  onModuleDestroy(): void {
    passport.unuse(this.name);
  }

  /**
   * The verified token, or false (→ 401 invalid_token) with the reason kept for the header.
   * BearerGuard calls this directly with the token it extracted from the Authorization header.
   */
  async validate(request: Request, token: string): Promise<VerifiedAccessToken | false> {
    const context = this.contextOf(request);
    try {
      const verified = await this.verifier.verify(token, { resource: context.resource.uri });
      return this.accept(verified, context);
    } catch (error) {
      return this.refuse(error, context);
    }
  }

  /**
   * `validate` answered synchronously when the verifier can decide from memory
   * (`AccessTokenVerifier.verifyCached`); undefined when `validate` must run.
   */
  validateCached(request: Request, token: string): VerifiedAccessToken | false | undefined {
    if (!this.verifier.verifyCached) return undefined;
    const context = this.contextOf(request);
    try {
      const verified = this.verifier.verifyCached(token, { resource: context.resource.uri });
      return verified === undefined ? undefined : this.accept(verified, context);
    } catch (error) {
      return this.refuse(error, context);
    }
  }

  private contextOf(request: Request): RequestAuthContext {
    const context = getRequestAuthContext(request);
    if (!context) throw new Error('BearerStrategy runs only behind BearerGuard');
    return context;
  }

  /** RS-6 / RS-7 again, whichever verifier is plugged in: no token passthrough (RS-10). */
  private accept(verified: VerifiedAccessToken, context: RequestAuthContext): VerifiedAccessToken {
    assertAudience(verified.audience, context.resource.uri);
    assertNotExpired(verified.expiresAt, context.clockTolerance);
    return verified;
  }

  private refuse(error: unknown, context: RequestAuthContext): false {
    if (!(error instanceof InvalidAccessTokenError)) throw error;
    context.failure = error;
    return false;
  }
}
