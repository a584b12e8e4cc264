// scheme "://" authority path [ "?" query ], raw; a fragment anywhere fails the match.
const ABSOLUTE_HTTP_URI = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(\?[^#]*)?$/;
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;
// DNS name or IPv4 (any case, no empty labels, no trailing dot), or a bracketed IPv6 literal.
const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])$/;
const PORT = /^[0-9]{1,5}$/;
const DEFAULT_PORTS: Record<string, string> = { http: '80', https: '443' };
/** Answers of canonicalizeResourceUri, bounded (cleared when full). */
const MEMO_SIZE = 256;
const MEMO_MAX_LENGTH = 2048;
const memo = new Map<string, string | null>();

/**
 * Canonical form of a resource indicator (RFC 8707 §2, MCP "Canonical Server URI"): absolute
 * `http(s)` URI, lowercase scheme and host, default port dropped, no trailing slash. The path
 * and query are otherwise kept byte for byte, so different resources never collapse into one.
 * A root path becomes the bare origin (`https://example.com/` → `https://example.com`), the
 * same spelling as the issuer.
 *
 * Returns null for anything that cannot identify a resource (AS-15): relative, a fragment
 * (even an empty one), userinfo, non-http(s), whitespace or non-ASCII.
 */
export function canonicalizeResourceUri(uri: string): string | null {
  if (typeof uri !== 'string') return null;
  // Every authenticated request compares its token's `aud` with the route's resource: the
  // same few strings each time, so their (pure) answers are remembered, boundedly.
  const known = memo.get(uri);
  if (known !== undefined) return known;
  const canonical = canonicalize(uri);
  if (uri.length <= MEMO_MAX_LENGTH) {
    if (memo.size >= MEMO_SIZE) memo.clear();
    memo.set(uri, canonical);
  }
  return canonical;
}

function canonicalize(uri: string): string | null {
  if (!VISIBLE_ASCII.test(uri) || uri.includes('\\')) {
    return null;
  }
  const match = ABSOLUTE_HTTP_URI.exec(uri);
  if (!match) {
    return null;
  }
  const scheme = match[1].toLowerCase();
  const authority = match[2];
  let path = match[3];
  const query = match[4] ?? '';
  if (scheme !== 'http' && scheme !== 'https') {
    return null;
  }
  if (authority.includes('@')) {
    return null;
  }
  const portSeparator = authority.lastIndexOf(':');
  const hasPort = portSeparator !== -1 && !authority.endsWith(']');
  const host = (hasPort ? authority.slice(0, portSeparator) : authority).toLowerCase();
  const port = hasPort ? authority.slice(portSeparator + 1) : '';
  if (!HOST.test(host) || (hasPort && (!PORT.test(port) || Number(port) > 65535))) {
    return null;
  }
  try {
    new URL(uri);
  } catch {
    return null;
  }
  const portPart = port === '' || port === DEFAULT_PORTS[scheme] ? '' : `:${port}`;
  if (path.endsWith('/')) {
    path = path.slice(0, -1);
  }
  return `${scheme}://${host}${portPart}${path}${query}`;
}

/**
 * AS-15 / RS-7: whether a requested `resource` (or a token `aud`) names the canonical resource.
 * Scheme and host compare case-insensitively; the path and query exactly.
 */
export function resourceMatches(requested: string, canonical: string): boolean {
  const a = canonicalizeResourceUri(requested);
  return a !== null && a === canonicalizeResourceUri(canonical);
}

/**
 * The canonical URI of an MCP endpoint served under `issuer`, e.g.
 * (`https://example.com`, `/mcp`) → `https://example.com/mcp`. Throws on a configuration that
 * cannot form a valid resource URI.
 */
export function canonicalResourceUri(issuer: string, path: string): string {
  const base = issuer.endsWith('/') ? issuer.slice(0, -1) : issuer;
  const suffix = path === '' || path.startsWith('/') ? path : `/${path}`;
  const canonical = canonicalizeResourceUri(`${base}${suffix}`);
  if (canonical === null) {
    throw new Error(`Cannot form a resource URI from issuer "${issuer}" and path "${path}"`);
  }
  return canonical;
}
