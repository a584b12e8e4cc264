import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { VerifiedAccessToken } from '../access-token-verifier.interface';
import { getRequestAuthContext } from '../request-auth-context';

/**
 * The verified access token of the request, or one of its members.
 *
 * @example
 * handle(@AccessToken() token: VerifiedAccessToken, @AccessToken('subject') sub: string) {}
 * @publicApi
 */
export const AccessToken = createParamDecorator(
  (member: keyof VerifiedAccessToken | undefined, context: ExecutionContext): unknown => {
    const token = getRequestAuthContext(context.switchToHttp().getRequest<object>())?.token;
    if (!token) {
      throw new Error('@AccessToken() is only available on routes protected by BearerGuard');
    }
    return member ? token[member] : token;
  },
);
