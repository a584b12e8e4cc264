/** Parameters sent back to the client's redirect URI. */
export type AuthorizationResponseParams =
  | { code: string; state: string | null }
  | { error: string; error_description?: string; state: string | null };

/**
 * Builds the redirect back to the client, keeping any query the registered URI has, and
 * always adding `iss` (AS-16, RFC 9207), on errors too.
 */
export function buildAuthorizationResponseUrl(
  redirectUri: string,
  issuer: string,
  params: AuthorizationResponseParams,
): string {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(params)) {
    if (value !== null && value !== undefined) url.searchParams.append(name, value);
  }
  url.searchParams.append('iss', issuer);
  return url.toString();
}
