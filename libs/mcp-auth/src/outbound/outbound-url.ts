/** Result of checking a URL the server is about to fetch. */
export type OutboundUrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

/**
 * The rules every outbound fetch obeys (a client metadata document, a `jwks_uri`): an
 * absolute `https:` URL with a host, no userinfo (never send credentials) and no fragment.
 * A query is allowed here; stricter callers (client_id URLs) refuse it themselves.
 */
export function parseOutboundUrl(value: string | URL): OutboundUrlCheck {
  let url: URL;
  try {
    url = new URL(typeof value === 'string' ? value : value.href);
  } catch {
    return { ok: false, reason: 'not an absolute URL' };
  }
  if (url.protocol !== 'https:') return { ok: false, reason: 'scheme must be https' };
  if (!url.hostname) return { ok: false, reason: 'URL has no host' };
  if (url.username || url.password) return { ok: false, reason: 'URL must not contain userinfo' };
  if (typeof value === 'string' ? value.includes('#') : url.hash) {
    return { ok: false, reason: 'URL must not contain a fragment' };
  }
  return { ok: true, url };
}
