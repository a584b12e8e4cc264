import type { OnModuleDestroy } from '@nestjs/common';
import type { Request } from 'express';
import passport from 'passport';
import {
  Strategy as HttpBearerStrategy,
  type VerifyFunctionWithRequest,
} from 'passport-http-bearer';
import { InvalidAccessTokenError } from '../tokens/invalid-access-token.error';
import type { AccessTokenVerifier, VerifiedAccessToken } from './access-token-verifier.interface';
import { getRequestAuthContext } from './request-auth-context';
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

  /** The verified token, or false (→ 401 invalid_token) with the reason kept for the header. */
  private async validate(request: Request, token: string): Promise<VerifiedAccessToken | false> {
    const context = getRequestAuthContext(request);
    if (!context) throw new Error('BearerStrategy runs only behind BearerGuard');
    try {
      const verified = await this.verifier.verify(token, { resource: context.resource.uri });
      // RS-6 / RS-7 again, whichever verifier is plugged in: no token passthrough (RS-10).
      assertAudience(verified.audience, context.resource.uri);
      assertNotExpired(verified.expiresAt, context.clockTolerance);
      return verified;
    } catch (error) {
      if (!(error instanceof InvalidAccessTokenError)) throw error;
      context.failure = error;
      return false;
    }
  }
}
