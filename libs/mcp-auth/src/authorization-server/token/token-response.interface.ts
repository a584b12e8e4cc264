/** A successful token response (RFC 6749 §5.1, OAuth 2.1 §3.2.3; AS-21). */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  /** Seconds until the access token expires. */
  expires_in: number;
  /** Granted scopes, space-separated; omitted when the token carries none. */
  scope?: string;
  refresh_token?: string;
}
