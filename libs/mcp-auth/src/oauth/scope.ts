import { OAuthError } from './oauth-error';

// RFC 6749 §3.3: scope-token = 1*NQCHAR; NQCHAR = %x21 / %x23-5B / %x5D-7E.
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** Whether one scope token is syntactically valid (RFC 6749 §3.3). */
export function isValidScopeToken(token: string): boolean {
  return typeof token === 'string' && SCOPE_TOKEN.test(token);
}

/**
 * Splits a `scope` parameter into unique tokens, first occurrence order kept (RFC 6749 §3.3).
 * `undefined` or an empty string gives `[]`, leaving the default-scope decision to the caller.
 * Repeated spaces are tolerated (some clients join with them); any other separator, quote,
 * backslash, control or non-ASCII character is an `invalid_scope` error.
 *
 * @throws OAuthError invalid_scope
 */
export function parseScope(scope: string | undefined): string[] {
  if (scope === undefined) {
    return [];
  }
  if (typeof scope !== 'string') {
    throw OAuthError.invalidScope('scope must be a string');
  }
  const tokens = scope.split(' ').filter((token) => token !== '');
  for (const token of tokens) {
    if (!SCOPE_TOKEN.test(token)) {
      throw OAuthError.invalidScope('scope contains characters not allowed by RFC 6749');
    }
  }
  return [...new Set(tokens)];
}

/** The `scope` string for a set of tokens: unique, space-separated, order kept. */
export function formatScope(scopes: Iterable<string>): string {
  return [...new Set(scopes)].join(' ');
}

/** Whether every scope in `subset` is also in `superset` (an empty subset always is). */
export function isSubset(subset: Iterable<string>, superset: Iterable<string>): boolean {
  const allowed = new Set(superset);
  for (const scope of subset) {
    if (!allowed.has(scope)) {
      return false;
    }
  }
  return true;
}
