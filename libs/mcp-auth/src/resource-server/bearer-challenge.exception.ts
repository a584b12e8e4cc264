import { HttpException } from '@nestjs/common';
import { exposeHeader } from '../http/cors-headers';
import { headersSent, setHeader, type HttpResponse } from '../http/http-exchange';
import { sanitizeErrorDescription } from '../oauth/oauth-error';
import type { ProtectedResource } from './resource-server.config';
import { formatBearerChallenge, type BearerErrorCode } from './www-authenticate';

/** The JSON body of a challenge: the same error as the header, or `{}` when it has none. */
export interface BearerChallengeBody {
  error?: BearerErrorCode;
  error_description?: string;
}

/** Something a challenge's headers can be written on (Express or Node response). */
export type HeaderTarget = HttpResponse;

/** The route a challenge is about: its resource and the scopes it needs. */
export interface ChallengeScope {
  resource: ProtectedResource;
  /** All scopes the operation needs; the resource's `scopes_supported` when empty. */
  requiredScopes: readonly string[];
}

/**
 * An RFC 6750 §3 / RFC 9728 §5.1 challenge: status, `WWW-Authenticate` header and the same
 * error in the JSON body. An `HttpException`, so Nest's default filter answers with the status
 * and body; the header is written on the response by whoever throws it (`applyTo`), because
 * exception filters in general do not copy headers from exceptions.
 * @publicApi
 */
export class BearerChallengeException extends HttpException {
  /** `WWW-Authenticate` and `Cache-Control`. */
  readonly headers: Readonly<Record<string, string>>;
  readonly error: BearerErrorCode | undefined;

  constructor(
    status: 400 | 401 | 403,
    scope: ChallengeScope,
    error?: BearerErrorCode,
    description?: string,
  ) {
    const safeDescription =
      error && description ? sanitizeErrorDescription(description) : undefined;
    const body: BearerChallengeBody = error
      ? { error, ...(safeDescription ? { error_description: safeDescription } : {}) }
      : {};
    super(body, status);
    this.error = error;
    this.headers = {
      'WWW-Authenticate': formatBearerChallenge({
        error,
        errorDescription: safeDescription,
        resourceMetadata: scope.resource.metadataUrl,
        // RS-3 / RS-9: every scope the operation needs, in one challenge.
        scope: scope.requiredScopes.length ? scope.requiredScopes : scope.resource.scopes,
      }),
      'Cache-Control': 'no-store',
    };
  }

  /** RS-1: no credentials (or another scheme) → 401 without an error code (RFC 6750 §3.1). */
  static missingCredentials(scope: ChallengeScope): BearerChallengeException {
    return new BearerChallengeException(401, scope);
  }

  /** RS-8: a malformed request → 400 `invalid_request`. */
  static invalidRequest(scope: ChallengeScope, description: string): BearerChallengeException {
    return new BearerChallengeException(400, scope, 'invalid_request', description);
  }

  /** RS-1: an invalid, expired or foreign token → 401 `invalid_token`. */
  static invalidToken(scope: ChallengeScope, description: string): BearerChallengeException {
    return new BearerChallengeException(401, scope, 'invalid_token', description);
  }

  /** RS-9: a valid token lacking scopes → 403 `insufficient_scope`, naming all needed scopes. */
  static insufficientScope(scope: ChallengeScope, description?: string): BearerChallengeException {
    return new BearerChallengeException(
      403,
      scope,
      'insufficient_scope',
      description ?? 'The access token does not grant every scope this operation needs.',
    );
  }

  /**
   * The route is for users; the token speaks for a client acting for itself. The error code is
   * RFC 9470's; the status is 403, not its 401: the client authenticated fine, and signing in
   * again as itself would change nothing.
   */
  static userRequired(scope: ChallengeScope): BearerChallengeException {
    return new BearerChallengeException(
      403,
      scope,
      'insufficient_user_authentication',
      'This operation needs a signed-in user; the token was issued to a client acting for itself.',
    );
  }

  override getResponse(): BearerChallengeBody {
    return super.getResponse() as BearerChallengeBody;
  }

  /**
   * Writes the challenge headers on a response that has not started yet, and lets browser
   * clients read `WWW-Authenticate` (CORS hides it from scripts unless exposed).
   */
  applyTo(response: HeaderTarget | undefined): void {
    if (!response || headersSent(response)) return;
    for (const [name, value] of Object.entries(this.headers)) setHeader(response, name, value);
    exposeHeader(response, 'WWW-Authenticate');
  }
}
