import type * as OpenId from 'openid-client';
import type { UpstreamProviderOptions } from './federation-options';
import { UpstreamRefusedError, UpstreamUnavailableError } from './upstream.errors';

/** Maps what openid-client threw to refused (a bad answer) or unavailable (no answer). */
export function translateUpstreamError(
  client: typeof OpenId,
  error: unknown,
  step: string,
  options: UpstreamProviderOptions,
): Error {
  if (error instanceof UpstreamRefusedError || error instanceof UpstreamUnavailableError) {
    return error;
  }
  if (error instanceof client.AuthorizationResponseError) {
    return new UpstreamRefusedError(error.error, `${options.name} answered ${error.error}.`, {
      cause: error,
    });
  }
  if (error instanceof client.ResponseBodyError) {
    // Providers name a dead refresh token their own way (GitHub: bad_refresh_token).
    const code =
      options.type === 'oauth2' && options.invalidGrantErrors?.includes(error.error)
        ? 'invalid_grant'
        : error.error;
    return new UpstreamRefusedError(code, `${options.name} refused the ${step}: ${error.error}.`, {
      cause: error,
    });
  }
  if (isNetworkError(error)) {
    return new UpstreamUnavailableError(`${options.name} did not answer the ${step} in time.`, {
      cause: error,
    });
  }
  return new UpstreamRefusedError(null, `${options.name}'s ${step} answer failed a check.`, {
    cause: error,
  });
}

/** fetch failures and deadlines, as opposed to answers that failed a check. */
function isNetworkError(error: unknown): boolean {
  // By shape, not `instanceof`: fetch's errors may come from another realm (a test runner's VM).
  if (typeof error !== 'object' || error === null) return false;
  const { name, message, cause } = error as { name?: unknown; message?: unknown; cause?: unknown };
  if (name === 'TimeoutError' || name === 'AbortError') return true;
  if (name === 'TypeError' && message === 'fetch failed') return true;
  return cause !== undefined && cause !== error && isNetworkError(cause);
}
