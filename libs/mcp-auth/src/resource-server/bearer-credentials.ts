import { rawHeaders, type HttpRequest } from '../http/http-exchange';
import { NO_CREDENTIALS, invalidRequest, type BearerRefusal } from './bearer-refusal';

// RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token.
const BEARER_CREDENTIALS = /^(\S+)(?: +(.*))?$/;
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
/** The usual well-formed header, checked in one pass; anything else takes the detailed path. */
const WELL_FORMED_BEARER = /^[Bb][Ee][Aa][Rr][Ee][Rr] ([A-Za-z0-9\-._~+/]+=*)$/;

/**
 * The bearer token of a request, or why there is none (RS-5: the Authorization header is the
 * only accepted place for a token; passport-http-bearer would also read `?access_token=` and
 * body fields, which MCP forbids). Decisions:
 * - a token in `?access_token=` or a body `access_token` field → 400 `invalid_request`, even
 *   alongside a header (RFC 6750 §3.1: "more than one method");
 * - two Authorization headers → 400 `invalid_request` (the header is not a list; Node would
 *   silently keep the first);
 * - no header, or another scheme (`Basic …`) → no credentials, 401 without error (RFC 6750
 *   §3.1: "attempted using an unsupported authentication method");
 * - `Bearer` with no token, or characters outside b64token → 400 `invalid_request`;
 * - several spaces after `Bearer` are accepted (RFC 7235: 1*SP).
 */
export function readBearerCredentials(request: HttpRequest): string | BearerRefusal {
  if (countAuthorizationHeaders(request) > 1) {
    return invalidRequest('More than one Authorization header.');
  }
  // No `?` in the URL, no query: skips Express parsing one on every request.
  const query = request.url?.includes('?') === false ? undefined : request.query;
  if (hasAccessTokenField(query) || hasAccessTokenField(request.body)) {
    return invalidRequest('Access tokens are accepted only in the Authorization header.');
  }
  const header = request.headers.authorization;
  if (header === undefined || header === '') return NO_CREDENTIALS;
  const wellFormed = WELL_FORMED_BEARER.exec(header);
  if (wellFormed !== null) return wellFormed[1];
  const [, scheme, credentials] = BEARER_CREDENTIALS.exec(header) ?? [];
  if (scheme === undefined || !/^bearer$/i.test(scheme)) return NO_CREDENTIALS;
  if (credentials === undefined || !B64TOKEN.test(credentials)) {
    return invalidRequest('Malformed Authorization header.');
  }
  return credentials;
}

function countAuthorizationHeaders(request: HttpRequest): number {
  let count = 0;
  const raw = rawHeaders(request);
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].length === 13 && raw[i].toLowerCase() === 'authorization') count += 1;
  }
  return count;
}

function hasAccessTokenField(container: unknown): boolean {
  return (
    typeof container === 'object' &&
    container !== null &&
    !Array.isArray(container) &&
    Object.prototype.hasOwnProperty.call(container, 'access_token')
  );
}
