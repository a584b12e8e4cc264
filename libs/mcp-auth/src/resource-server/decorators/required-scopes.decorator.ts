import { SetMetadata } from '@nestjs/common';
import { isValidScopeToken } from '../../oauth/scope';
import { REQUIRED_SCOPES_METADATA } from '../resource-server.constants';

/**
 * Scopes a route needs. On a class and a method both apply: the token needs all of them
 * (RS-9). A broader scope satisfies the narrower ones its hierarchy implies.
 *
 * @example
 * @Controller() @UseGuards(BearerGuard) @RequiredScopes('mcp:tools')
 * class McpController { @Post('mcp') @RequiredScopes('mcp:write') handle() {} }
 * @publicApi
 */
export const RequiredScopes = (...scopes: string[]): MethodDecorator & ClassDecorator => {
  for (const scope of scopes) {
    if (!isValidScopeToken(scope)) {
      throw new Error(`@RequiredScopes(): "${scope}" is not a valid scope token (RFC 6749 §3.3)`);
    }
  }
  return SetMetadata(REQUIRED_SCOPES_METADATA, scopes);
};
