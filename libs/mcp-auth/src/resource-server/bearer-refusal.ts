import { BearerChallengeException, type ChallengeScope } from './bearer-challenge.exception';

/**
 * Why `BearerStrategy` refused a request: the `challenge` it hands Passport's `fail()`, so the
 * guard can answer with an RFC 6750 / RFC 9728 challenge of its own (passport-http-bearer's
 * challenge string can express neither `resource_metadata` nor the descriptions below).
 * Never contains the token.
 */
export interface BearerRefusal {
  readonly kind: 'mcp-bearer-refusal';
  /** Absent when the request carried no bearer credentials (RFC 6750 §3.1: no error code). */
  readonly error?: 'invalid_request' | 'invalid_token';
  readonly description?: string;
  /** The status Passport is given along with the refusal. */
  readonly status: 400 | 401;
}

export const NO_CREDENTIALS: BearerRefusal = Object.freeze({
  kind: 'mcp-bearer-refusal',
  status: 401,
});

/** RS-5 / RS-8: a malformed request → 400 `invalid_request`. */
export function invalidRequest(description: string): BearerRefusal {
  return Object.freeze({
    kind: 'mcp-bearer-refusal',
    error: 'invalid_request',
    description,
    status: 400,
  });
}

/** RS-1: an invalid, expired, foreign-audience or revoked token → 401 `invalid_token`. */
export function invalidToken(description: string): BearerRefusal {
  return Object.freeze({
    kind: 'mcp-bearer-refusal',
    error: 'invalid_token',
    description,
    status: 401,
  });
}

export function isBearerRefusal(value: unknown): value is BearerRefusal {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { kind?: unknown }).kind === 'mcp-bearer-refusal'
  );
}

/**
 * The challenge to answer a failed Passport attempt with. `info` is what the strategy gave
 * `fail()`; anything else (another strategy's challenge) is answered by its status: 400 as a
 * malformed request, otherwise as missing credentials.
 */
export function challengeForFailure(
  info: unknown,
  status: unknown,
  scope: ChallengeScope,
): BearerChallengeException {
  const refusal = isBearerRefusal(info) ? info : undefined;
  if (refusal?.error === 'invalid_token') {
    return BearerChallengeException.invalidToken(scope, refusal.description ?? 'invalid token');
  }
  if (refusal?.error === 'invalid_request' || (refusal === undefined && status === 400)) {
    return BearerChallengeException.invalidRequest(
      scope,
      refusal?.description ?? 'Malformed Authorization header.',
    );
  }
  return BearerChallengeException.missingCredentials(scope);
}
