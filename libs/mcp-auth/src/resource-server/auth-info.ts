import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { IncomingMessage } from 'node:http';
import type { VerifiedAccessToken } from './access-token-verifier.interface';
import type { McpPrincipal } from './mcp-principal';

export type { AuthInfo };

/**
 * A request that passed `BearerGuard`: `auth` is what the MCP SDK's transports hand tools as
 * `extra.authInfo`; `authInfo` (the full verified token) and `user` are what Passport set.
 * `R` is the adapter's request type (Express `Request`, `FastifyRequest`).
 * @publicApi
 */
export type McpAuthenticatedRequest<R extends object = IncomingMessage> = R & {
  auth: AuthInfo;
  authInfo: VerifiedAccessToken;
  user: McpPrincipal;
};

/** The MCP SDK's `AuthInfo` for a verified token; `extra` carries every token claim. */
export function toAuthInfo(token: VerifiedAccessToken): AuthInfo {
  return {
    token: token.token,
    clientId: token.clientId,
    scopes: [...token.scopes],
    ...(token.expiresAt !== undefined ? { expiresAt: token.expiresAt } : {}),
    resource: new URL(token.resource),
    extra: { ...token.claims },
  };
}
