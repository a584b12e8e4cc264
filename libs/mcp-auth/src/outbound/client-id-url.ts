import { parseOutboundUrl } from './outbound-url';

/** Result of checking whether a `client_id` is a Client ID Metadata Document URL. */
export type ClientIdUrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

// What is compared to the fetched document's client_id must be the same bytes as sent.
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;
// A raw path segment that is `.` or `..`, also percent-encoded (`%2e`, `.%2E`, ...): WHATWG URL
// resolves them while parsing, so they are looked for in the original string.
const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;

/**
 * A `client_id` is a metadata document URL iff it is an `https:` URL with a path other than
 * `/`, and no fragment, userinfo, query or dot segments (draft-ietf-oauth-client-id-metadata-
 * document §3). The reason of a refusal is for logs and `invalid_client` descriptions.
 */
export function parseClientIdUrl(value: string): ClientIdUrlCheck {
  if (!VISIBLE_ASCII.test(value)) {
    return { ok: false, reason: 'URL must be visible ASCII (no spaces or raw Unicode)' };
  }
  if (!/^https:\/\//i.test(value)) return { ok: false, reason: 'scheme must be https' };
  if (value.includes('?')) return { ok: false, reason: 'URL must not contain a query' };
  const base = parseOutboundUrl(value);
  if (!base.ok) return base;
  // `https:///host/x` parses as host `host`: the string compared later must name it itself.
  if (/^https:\/\/[/\\]/i.test(value)) return { ok: false, reason: 'URL has an empty authority' };
  const rawPath = rawPathOf(value);
  if (rawPath.split('/').some((segment) => DOT_SEGMENT.test(segment))) {
    return { ok: false, reason: 'URL must not contain . or .. path segments' };
  }
  if (base.url.pathname === '/' || base.url.pathname === '') {
    return { ok: false, reason: 'URL must have a path component' };
  }
  return { ok: true, url: base.url };
}

/** Whether `value` is a Client ID Metadata Document URL (see {@link parseClientIdUrl}). */
export function isClientIdUrl(value: string): boolean {
  return parseClientIdUrl(value).ok;
}

// The path as written: after `https://authority`, up to the end (query and fragment are
// refused before this is used). Backslashes count as slashes, as WHATWG URL treats them.
function rawPathOf(value: string): string {
  const afterScheme = value.slice('https://'.length).replace(/\\/g, '/');
  const slash = afterScheme.indexOf('/');
  return slash === -1 ? '' : afterScheme.slice(slash);
}
