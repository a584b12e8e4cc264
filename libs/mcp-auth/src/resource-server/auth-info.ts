import type { IncomingMessage } from 'node:http';
import type { VerifiedAccessToken } from './access-token-verifier.interface';
import type { McpPrincipal } from './mcp-principal';

/**
 * What the MCP SDK's transports hand tools as `authInfo`: the same shape in the v1 line
 * (`@modelcontextprotocol/sdk`) and the v2 line (`@modelcontextprotocol/server`), declared here
 * so that neither SDK is needed to type a request.
 * @publicApi
 */
export interface AuthInfo {
  token: string;
  clientId: string;
  scopes: string[];
  /** Seconds since the epoch. */
  expiresAt?: number;
  /** RFC 8707 resource the token is for. */
  resource?: URL;
  /** Every claim of the token. */
  extra?: Record<string, unknown>;
}

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
