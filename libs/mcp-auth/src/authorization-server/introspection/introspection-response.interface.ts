/** RFC 7662 §2.2 answer for a token that is not active: nothing else is said about it. */
export interface InactiveTokenIntrospection {
  active: false;
}

/** RFC 7662 §2.2 answer for one of our live access tokens. */
export interface AccessTokenIntrospection {
  active: true;
  scope?: string;
  client_id: string;
  sub: string;
  aud: string | string[];
  iss: string;
  exp: number;
  iat: number;
  jti: string;
  token_type: 'Bearer';
}

/** RFC 7662 §2.2 answer for one of our live refresh tokens. */
export interface RefreshTokenIntrospection {
  active: true;
  scope?: string;
  client_id: string;
  sub: string;
  exp: number;
  token_type: 'refresh_token';
}

export type IntrospectionResponse =
  InactiveTokenIntrospection | AccessTokenIntrospection | RefreshTokenIntrospection;
