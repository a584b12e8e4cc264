import type { VerifiedAccessToken } from './access-token-verifier.interface';

/**
 * What `BearerStrategy` hands Passport as the user, hence `req.user` behind `BearerGuard` or
 * any `AuthGuard` naming the strategy. Holds no token: hosts log users more readily than
 * credentials (the token itself is in `req.auth` and `req.authInfo`).
 * @publicApi
 */
export interface McpPrincipal {
  /** `sub`: the resource owner (or the client itself for client-credentials tokens). */
  readonly subject: string | undefined;
  readonly clientId: string;
  readonly scopes: readonly string[];
  /** The same scopes space-separated, as OAuth writes them (and as many Passport hosts read). */
  readonly scope: string;
  /** Every claim of the token (JWT payload or introspection response). */
  readonly claims: Readonly<Record<string, unknown>>;
  /**
   * The caller is a client acting for itself (the client credentials grant), not a person:
   * the token says `gty: client_credentials`, or its subject is the client (RFC 9068 §2.2).
   * `@RequiresUser()` refuses such callers.
   */
  readonly machine: boolean;
}

/** Whether a token speaks for a client acting for itself rather than for a person. */
export function isMachineToken(
  token: Pick<VerifiedAccessToken, 'subject' | 'clientId' | 'claims'>,
): boolean {
  return (
    token.claims.gty === 'client_credentials' ||
    token.subject === undefined ||
    token.subject === token.clientId
  );
}

/** The principal of a verified token; frozen when the token is (so it can be shared). */
export function toMcpPrincipal(token: VerifiedAccessToken): McpPrincipal {
  const principal: McpPrincipal = {
    subject: token.subject,
    clientId: token.clientId,
    scopes: token.scopes,
    scope: token.scopes.join(' '),
    claims: token.claims,
    machine: isMachineToken(token),
  };
  return Object.isFrozen(token) ? Object.freeze(principal) : principal;
}
