/** Claims of a verified JWT access token (RFC 9068), as handed to MCP handlers. */
export interface AccessTokenClaims {
  iss: string;
  /** The resource owner. */
  sub: string;
  /** The resource(s) the token is for (RS-7). */
  aud: string | string[];
  client_id: string;
  /** Space-separated granted scopes; '' when the token carries none. */
  scope: string;
  /** `scope` split into its tokens. */
  scopes: string[];
  iat: number;
  exp: number;
  jti: string;
  /** Grant id (tokens issued by this library), used to refuse tokens of a revoked grant. */
  gid?: string;
  [claim: string]: unknown;
}
