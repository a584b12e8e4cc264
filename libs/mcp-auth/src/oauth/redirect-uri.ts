import { LOOPBACK_HOSTS } from './loopback';

/** Result of checking one redirect URI at registration. */
export type RedirectUriCheck = { ok: true } | { ok: false; reason: string };

/** RFC 7591 / OIDC `application_type` (AS-10). */
export type RedirectUriApplicationType = 'web' | 'native';

export interface RedirectUriPolicy {
  /**
   * Non-reverse-domain schemes the operator trusts for native clients anyway, e.g. `cursor`
   * (Cursor registers `cursor://anysphere.cursor-mcp/oauth/callback`). Lowercase; the
   * dangerous schemes (`javascript`, `data`, `file`, ...) stay refused even if listed.
   */
  extraPrivateUseSchemes?: readonly string[];
}

/** Longer URIs are refused: no real callback needs more, and they bloat every stored grant. */
export const MAX_REDIRECT_URI_LENGTH = 2000;

// Only visible ASCII: whitespace, control characters and raw Unicode are refused, so what is
// stored, compared and redirected to is the same byte string (IDN hosts must use punycode).
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;
// Schemes that run code, read local data or reach the OS instead of an OAuth client.
const FORBIDDEN_SCHEMES = new Set([
  'javascript',
  'vbscript',
  'livescript',
  'data',
  'file',
  'filesystem',
  'blob',
  'about',
  'view-source',
  'jar',
  'ws',
  'wss',
  'ftp',
  'mailto',
  'tel',
  'sms',
  'intent',
  'chrome',
  'chrome-extension',
  'moz-extension',
  'ms-settings',
  'x-apple.systempreferences',
]);
/**
 * RFC 8252 §7.1 private-use scheme: a reverse domain name. The first label must look like a
 * TLD (letters only), which keeps out vendor/OS schemes like `x-apple.systempreferences`
 * and everything without a dot (`javascript`, `data`, ...).
 */
const PRIVATE_USE_SCHEME = /^[a-z]{2,63}(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;
// Lowercase DNS name or IPv4 (no empty labels, no trailing dot), or a bracketed IPv6 literal.
const HOST =
  /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])$/;
const PORT = /^[1-9][0-9]{0,4}$/;
// `.` and `..` segments, also percent-encoded: WHATWG URL resolves `%2e%2e` like `..`.
const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;

/**
 * Loopback redirect URI split around its port, on the raw string (RFC 8252 §7.3). Anything
 * after the host other than `:port`, `/`, `?` or the end (a `.`, `@`, `%`) does not match, so
 * `127.0.0.1.evil.com`, `localhost:80@evil.com` and the like never get the port relaxation.
 */
const LOOPBACK_REDIRECT =
  /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(?::([1-9][0-9]{0,4}))?((?:[/?][\x21-\x7e]*)?)$/;

const fail = (reason: string): RedirectUriCheck => ({ ok: false, reason });

/**
 * Checks a redirect URI a client wants to register (AS-14, RFC 7591 §2, RFC 8252 §7, OAuth 2.1
 * §2.3.1). Allowed: `https:`; `http:` on a loopback host (`localhost`, `127.0.0.1`, `[::1]`);
 * for native clients, private-use reverse-domain schemes (`com.example.app:/callback`).
 *
 * Registered URIs must be canonical (lowercase scheme and host, no dot segments, host as WHATWG
 * URL would print it) because matching compares raw strings: refusing odd forms here means a
 * stored URI is exactly what the browser will be sent to, and no two spellings of one URI exist.
 *
 * Beyond that, `policy.extraPrivateUseSchemes` can admit named single-label schemes.
 *
 * `http://localhost` is accepted for web clients too: browser-based MCP clients (Inspector)
 * run on localhost and register as `web`.
 */
export function validateRedirectUriForRegistration(
  uri: string,
  applicationType: RedirectUriApplicationType,
  policy: RedirectUriPolicy = {},
): RedirectUriCheck {
  if (typeof uri !== 'string' || uri.length === 0) {
    return fail('redirect URI must be a non-empty string');
  }
  if (uri.length > MAX_REDIRECT_URI_LENGTH) {
    return fail(`redirect URI must be at most ${MAX_REDIRECT_URI_LENGTH} characters`);
  }
  if (!VISIBLE_ASCII.test(uri)) {
    return fail(
      'redirect URI must not contain whitespace, control or non-ASCII characters (percent-encode them; use punycode for hostnames)',
    );
  }
  if (uri.includes('\\')) {
    return fail('redirect URI must not contain backslashes');
  }
  if (uri.includes('#')) {
    return fail('redirect URI must not contain a fragment (RFC 6749 section 3.1.2)');
  }
  const schemeMatch = SCHEME.exec(uri);
  if (!schemeMatch) {
    return fail('redirect URI must be an absolute URI');
  }
  const scheme = schemeMatch[1];
  if (scheme !== scheme.toLowerCase()) {
    return fail('redirect URI scheme must be lowercase');
  }
  if (FORBIDDEN_SCHEMES.has(scheme)) {
    return fail(`redirect URI scheme "${scheme}" is not allowed`);
  }
  if (!parsesAsUrl(uri)) {
    return fail('redirect URI is not a valid URI');
  }
  if (scheme === 'https' || scheme === 'http') {
    return checkHttpRedirectUri(uri, scheme);
  }
  if (applicationType !== 'native') {
    return fail('private-use URI schemes are only allowed for native clients');
  }
  return checkPrivateUseRedirectUri(uri, scheme, policy.extraPrivateUseSchemes ?? []);
}

/**
 * Finds the registered redirect URI that `requested` matches (AS-14): exact string equality,
 * or, for `http:` loopback hosts, equality of everything but the port (RFC 8252 §7.3; native
 * clients listen on an ephemeral port). `localhost` gets the port relaxation too, since real
 * clients register `http://localhost/callback`, but a host never matches a different loopback
 * spelling (`localhost` is not `127.0.0.1`).
 *
 * Returns the matching registered entry, or null. The caller redirects to `requested` itself
 * (it may carry a different port) and binds the code to it (AS-19).
 */
export function matchRedirectUri(requested: string, registered: readonly string[]): string | null {
  if (
    typeof requested !== 'string' ||
    requested.length > MAX_REDIRECT_URI_LENGTH ||
    !VISIBLE_ASCII.test(requested) ||
    requested.includes('\\') ||
    requested.includes('#')
  ) {
    return null;
  }
  if (registered.includes(requested)) {
    return requested;
  }
  const asked = splitLoopback(requested);
  if (!asked) {
    return null;
  }
  for (const candidate of registered) {
    const known = splitLoopback(candidate);
    if (known && known.host === asked.host && known.rest === asked.rest) {
      return candidate;
    }
  }
  return null;
}

function checkHttpRedirectUri(uri: string, scheme: 'http' | 'https'): RedirectUriCheck {
  const prefix = `${scheme}://`;
  if (!uri.startsWith(prefix)) {
    return fail(`redirect URI must start with "${prefix}"`);
  }
  const afterScheme = uri.slice(prefix.length);
  const authorityEnd = afterScheme.search(/[/?]/);
  const authority = authorityEnd === -1 ? afterScheme : afterScheme.slice(0, authorityEnd);
  const rest = authorityEnd === -1 ? '' : afterScheme.slice(authorityEnd);
  if (authority.includes('@')) {
    return fail('redirect URI must not contain user information');
  }
  const portSeparator = authority.lastIndexOf(':');
  const hasPort = portSeparator !== -1 && !authority.endsWith(']');
  const host = hasPort ? authority.slice(0, portSeparator) : authority;
  const port = hasPort ? authority.slice(portSeparator + 1) : undefined;
  if (!HOST.test(host)) {
    return fail('redirect URI host must be a lowercase hostname or IP address');
  }
  if (port !== undefined && (!PORT.test(port) || Number(port) > 65535)) {
    return fail('redirect URI port must be a number from 1 to 65535 without leading zeros');
  }
  // WHATWG URL reads `127.1`, `0x7f.0.0.1` or `2130706433` as 127.0.0.1: such a host would
  // be displayed as one thing and reached as another.
  if (new URL(uri).hostname !== host) {
    return fail('redirect URI host must be written in its canonical form');
  }
  if (scheme === 'http' && !LOOPBACK_HOSTS.has(host)) {
    return fail('redirect URI must use https, or http on localhost, 127.0.0.1 or [::1]');
  }
  return checkPath(rest);
}

function checkPrivateUseRedirectUri(
  uri: string,
  scheme: string,
  extraSchemes: readonly string[],
): RedirectUriCheck {
  if (!PRIVATE_USE_SCHEME.test(scheme) && !extraSchemes.includes(scheme)) {
    return fail(
      'private-use redirect URI schemes must be a reverse domain name such as "com.example.app" (RFC 8252 section 7.1)',
    );
  }
  const afterScheme = uri.slice(scheme.length + 1);
  if (afterScheme.length === 0) {
    return fail('redirect URI must have a path after the scheme');
  }
  if (afterScheme.startsWith('//')) {
    const authorityEnd = afterScheme.slice(2).search(/[/?]/);
    const authority =
      authorityEnd === -1 ? afterScheme.slice(2) : afterScheme.slice(2, 2 + authorityEnd);
    if (authority.includes('@')) {
      return fail('redirect URI must not contain user information');
    }
    return checkPath(authorityEnd === -1 ? '' : afterScheme.slice(2 + authorityEnd));
  }
  return checkPath(afterScheme);
}

/** Refuses dot segments, which the browser would resolve away from the registered path. */
function checkPath(pathAndQuery: string): RedirectUriCheck {
  const queryStart = pathAndQuery.indexOf('?');
  const path = queryStart === -1 ? pathAndQuery : pathAndQuery.slice(0, queryStart);
  if (path.split('/').some((segment) => DOT_SEGMENT.test(segment))) {
    return fail('redirect URI path must not contain "." or ".." segments');
  }
  return { ok: true };
}

function parsesAsUrl(uri: string): boolean {
  try {
    new URL(uri);
    return true;
  } catch {
    return false;
  }
}

function splitLoopback(uri: string): { host: string; rest: string } | null {
  const match = LOOPBACK_REDIRECT.exec(uri);
  if (!match) {
    return null;
  }
  const port = match[2];
  if (port !== undefined && Number(port) > 65535) {
    return null;
  }
  return { host: match[1], rest: match[3] };
}
