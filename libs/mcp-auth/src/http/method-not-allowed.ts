import { OAuthError } from '../oauth/oauth-error';

/**
 * 405 for a method an endpoint does not serve, with the `Allow` header RFC 9110 §15.5.6
 * requires. Thrown from catch-all handlers so clients get a JSON answer, not Nest's 404 page.
 */
export function methodNotAllowed(allowed: readonly string[]): OAuthError {
  return new OAuthError('invalid_request', `Use ${allowed.join(', ')}.`, {
    status: 405,
    headers: { Allow: allowed.join(', ') },
  });
}
