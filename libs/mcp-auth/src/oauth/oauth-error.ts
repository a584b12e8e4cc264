/**
 * Error codes this library answers with: RFC 6749 §4.1.2.1 / §5.2, RFC 8707 §2
 * (`invalid_target`), RFC 7591 §3.2.2 (registration) and RFC 6750 §3.1 (resource server).
 */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'access_denied'
  | 'unsupported_response_type'
  | 'server_error'
  | 'temporarily_unavailable'
  | 'invalid_client_metadata'
  | 'invalid_redirect_uri'
  | 'invalid_token'
  | 'insufficient_scope';

/** The JSON body of an OAuth error response (RFC 6749 §5.2). */
export interface OAuthErrorBody {
  error: OAuthErrorCode;
  error_description?: string;
}

export interface OAuthErrorOptions {
  /** HTTP status; defaults to the code's usual status (see `defaultStatusFor`). */
  status?: number;
  /** Extra response headers, e.g. `WWW-Authenticate` or `Retry-After`. */
  headers?: Record<string, string>;
  cause?: unknown;
}

const DEFAULT_STATUS: Partial<Record<OAuthErrorCode, number>> = {
  // AS-24 / RFC 6749 §5.2: a failed client authentication is a 401.
  invalid_client: 401,
  server_error: 500,
  temporarily_unavailable: 503,
  // RFC 6750 §3.1: the resource server's codes have their own statuses (RS-8).
  invalid_token: 401,
  insufficient_scope: 403,
};

/** The status an error code is answered with when the thrower names none. */
export function defaultStatusFor(code: OAuthErrorCode): number {
  return DEFAULT_STATUS[code] ?? 400;
}

/** Longest `error_description` we send; anything longer is a bug, not information. */
const MAX_DESCRIPTION_LENGTH = 500;

/**
 * Makes a description legal for RFC 6749 §5.2 (`%x20-21 / %x23-5B / %x5D-7E`), so it can go
 * into JSON and, unchanged, into a quoted `WWW-Authenticate` parameter (RFC 6750 §3).
 */
export function sanitizeErrorDescription(description: string): string {
  const cleaned = description
    .replace(/"/g, "'")
    .replace(/\\/g, '/')
    .replace(/[^\x20-\x7e]/g, '?');
  return cleaned.length > MAX_DESCRIPTION_LENGTH
    ? `${cleaned.slice(0, MAX_DESCRIPTION_LENGTH - 3)}...`
    : cleaned;
}

/**
 * An OAuth protocol error. Throw it from OAuth endpoints; `OAuthExceptionFilter` turns it
 * into the RFC 6749 §5.2 JSON response.
 *
 * Descriptions are sent to the client: never put secrets, tokens, codes or verifiers in them.
 */
export class OAuthError extends Error {
  override readonly name = 'OAuthError';
  readonly error: OAuthErrorCode;
  readonly description: string | undefined;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;

  constructor(error: OAuthErrorCode, description?: string, options: OAuthErrorOptions = {}) {
    const safeDescription =
      description === undefined || description === ''
        ? undefined
        : sanitizeErrorDescription(description);
    super(safeDescription ? `${error}: ${safeDescription}` : error, { cause: options.cause });
    this.error = error;
    this.description = safeDescription;
    this.status = options.status ?? defaultStatusFor(error);
    this.headers = { ...options.headers };
  }

  toJSON(): OAuthErrorBody {
    return this.description === undefined
      ? { error: this.error }
      : { error: this.error, error_description: this.description };
  }

  static invalidRequest(description?: string, options?: OAuthErrorOptions): OAuthError {
    return new OAuthError('invalid_request', description, options);
  }

  /**
   * AS-24: 401 `invalid_client`. When the client tried HTTP Basic, RFC 6749 §5.2 requires a
   * `WWW-Authenticate` challenge naming that scheme: pass `basicRealm`.
   */
  static invalidClient(
    description?: string,
    options: OAuthErrorOptions & { basicRealm?: string } = {},
  ): OAuthError {
    const { basicRealm, ...rest } = options;
    const headers =
      basicRealm === undefined
        ? rest.headers
        : { ...rest.headers, 'WWW-Authenticate': basicChallenge(basicRealm) };
    return new OAuthError('invalid_client', description, { ...rest, headers });
  }

  static invalidGrant(description?: string, options?: OAuthErrorOptions): OAuthError {
    return new OAuthError('invalid_grant', description, options);
  }

  static unauthorizedClient(description?: string, options?: OAuthErrorOptions): OAuthError {
    return new OAuthError('unauthorized_client', description, options);
  }

  static unsupportedGrantType(description?: string, options?: OAuthErrorOptions): OAuthError {
    return new OAuthError('unsupported_grant_type', description, options);
  }

  static invalidScope(description?: string, options?: OAuthErrorOptions): OAuthError {
    return new OAuthError('invalid_scope', description, options);
  }

  /** AS-15: RFC 8707 §2 unknown or unacceptable `resource`. */
  static invalidTarget(description?: string, options?: OAuthErrorOptions): OAuthError {
    return new OAuthError('invalid_target', description, options);
  }

  static accessDenied(description?: string, options?: OAuthErrorOptions): OAuthError {
    return new OAuthError('access_denied', description, options);
  }

  static unsupportedResponseType(description?: string, options?: OAuthErrorOptions): OAuthError {
    return new OAuthError('unsupported_response_type', description, options);
  }

  static serverError(description?: string, options?: OAuthErrorOptions): OAuthError {
    return new OAuthError('server_error', description, options);
  }

  /** `retryAfterSeconds` becomes a `Retry-After` header (RFC 9110 §10.2.3). */
  static temporarilyUnavailable(
    description?: string,
    options: OAuthErrorOptions & { retryAfterSeconds?: number } = {},
  ): OAuthError {
    const { retryAfterSeconds, ...rest } = options;
    const headers =
      retryAfterSeconds === undefined
        ? rest.headers
        : { ...rest.headers, 'Retry-After': String(Math.max(0, Math.ceil(retryAfterSeconds))) };
    return new OAuthError('temporarily_unavailable', description, { ...rest, headers });
  }

  /** AS-9: RFC 7591 §3.2.2. */
  static invalidClientMetadata(description?: string, options?: OAuthErrorOptions): OAuthError {
    return new OAuthError('invalid_client_metadata', description, options);
  }

  /** AS-9 / AS-14: RFC 7591 §3.2.2. */
  static invalidRedirectUri(description?: string, options?: OAuthErrorOptions): OAuthError {
    return new OAuthError('invalid_redirect_uri', description, options);
  }

  /** RS-1: RFC 6750 §3.1, 401. */
  static invalidToken(description?: string, options?: OAuthErrorOptions): OAuthError {
    return new OAuthError('invalid_token', description, options);
  }

  /** RS-9: RFC 6750 §3.1, 403. */
  static insufficientScope(description?: string, options?: OAuthErrorOptions): OAuthError {
    return new OAuthError('insufficient_scope', description, options);
  }
}

/** `Basic realm="..."` with the realm reduced to characters safe inside a quoted-string. */
function basicChallenge(realm: string): string {
  const safeRealm = realm.replace(/[^\x20-\x7e]|["\\]/g, '');
  return `Basic realm="${safeRealm}", charset="UTF-8"`;
}
