import { SetMetadata } from '@nestjs/common';
import { REQUIRES_USER_METADATA } from '../resource-server.constants';

/**
 * The route acts for a person: tokens of clients acting for themselves (client credentials,
 * `McpPrincipal.machine`) get 403 `insufficient_user_authentication` (RFC 9470). Without it a
 * route accepts both; on a class it applies to every method.
 * @publicApi
 */
export const RequiresUser = (): MethodDecorator & ClassDecorator =>
  SetMetadata(REQUIRES_USER_METADATA, true);
