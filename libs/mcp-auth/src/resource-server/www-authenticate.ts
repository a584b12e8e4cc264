/** RFC 6750 §3.1 error codes of the resource server. */
export type BearerErrorCode =
  | 'invalid_request'
  | 'invalid_token'
  | 'insufficient_scope'
  /** RFC 9470's code: the route needs a signed-in user, the token has none (sent with 403). */
  | 'insufficient_user_authentication';

export interface BearerChallengeParams {
  /** Absent when the request carried no credentials (RFC 6750 §3.1: no error code then). */
  error?: BearerErrorCode;
  errorDescription?: string;
  /** RFC 9728 §5.1: URL of the protected resource metadata (RS-2). */
  resourceMetadata?: string;
  /** RFC 6750 §3: scopes the request needs (RS-3, RS-9). Omitted when empty. */
  scope?: readonly string[];
}

/**
 * The `WWW-Authenticate` value of a Bearer challenge (RFC 6750 §3, RFC 9728 §5.1), e.g.
 * `Bearer error="insufficient_scope", resource_metadata="https://…", scope="a b"`.
 * passport-http-bearer can write neither `resource_metadata` nor `insufficient_scope`, so the
 * guard writes this header itself.
 */
export function formatBearerChallenge(params: BearerChallengeParams): string {
  const parts: string[] = [];
  if (params.error) parts.push(`error=${quotedString(params.error)}`);
  if (params.error && params.errorDescription) {
    parts.push(`error_description=${quotedString(params.errorDescription)}`);
  }
  if (params.resourceMetadata) {
    parts.push(`resource_metadata=${quotedString(params.resourceMetadata)}`);
  }
  if (params.scope && params.scope.length > 0) {
    parts.push(`scope=${quotedString(params.scope.join(' '))}`);
  }
  return parts.length ? `Bearer ${parts.join(', ')}` : 'Bearer';
}

/**
 * An RFC 9110 §5.6.4 quoted-string: `"` and `\` are backslash-escaped. Characters a header may
 * not carry at all (controls, anything beyond Latin-1) become `?`, so no value can split the
 * header or make Node refuse to send it.
 */
export function quotedString(value: string): string {
  const safe = value.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?').replace(/[\\"]/g, '\\$&');
  return `"${safe}"`;
}
