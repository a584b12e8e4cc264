import { LOOPBACK_HOSTS } from './loopback';

/**
 * Problems with an issuer identifier, as sentences for a startup error; empty when it is fine.
 *
 * The issuer must be a bare origin, spelled exactly as URL parsers print it: clients compare it
 * byte for byte with the metadata `issuer`, the PRM `authorization_servers` entry and the `iss`
 * parameter (AS-4, AS-16, RFC 8414 §3.3), and 03 clients look for metadata at the origin root
 * (see section 4.1 of the spec digest), so no path is allowed. `https:` is required (AS-25)
 * except on a loopback host.
 */
export function validateIssuer(issuer: string): string[] {
  if (typeof issuer !== 'string' || issuer.length === 0) {
    return ['issuer must be a non-empty string'];
  }
  // Non-ASCII hosts fall through to the origin comparison, which suggests the punycode form.
  if (/[\s\p{Cc}]/u.test(issuer)) {
    return ['issuer must not contain whitespace or control characters'];
  }
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return ['issuer is not an absolute URL'];
  }
  const problems: string[] = [];
  if (url.protocol === 'http:') {
    if (!LOOPBACK_HOSTS.has(url.hostname)) {
      problems.push(
        'issuer must use https (http is allowed only for localhost, 127.0.0.1 or [::1])',
      );
    }
  } else if (url.protocol !== 'https:') {
    problems.push(`issuer must use https, not "${url.protocol}"`);
  }
  if (url.username !== '' || url.password !== '' || /^[^:]*:\/\/[^/?#]*@/.test(issuer)) {
    problems.push('issuer must not contain user information');
  }
  if (issuer.includes('#')) {
    problems.push('issuer must not contain a fragment');
  }
  if (issuer.includes('?')) {
    problems.push('issuer must not contain a query');
  }
  if (url.pathname !== '/' || /^[^:]*:\/\/[^/?#]*\/[^?#]+/.test(issuer)) {
    problems.push('issuer must not contain a path (use the bare origin)');
  } else if (/^[^:]*:\/\/[^/?#]*\/(?:[?#]|$)/.test(issuer)) {
    problems.push('issuer must not end with a slash');
  }
  const suggestion = suggestedIssuer(url);
  if (problems.length === 0 && url.origin !== issuer) {
    // Anything left is a spelling difference: case, a default port, an IDN or IP form.
    problems.push(`issuer must be written exactly as its origin: use "${url.origin}"`);
  } else if (problems.length > 0 && suggestion !== undefined && suggestion !== issuer) {
    problems.push(`did you mean "${suggestion}"?`);
  }
  return problems;
}

/** The valid issuer closest to what was given, if there is one. */
function suggestedIssuer(url: URL): string | undefined {
  if (url.protocol === 'https:') {
    return url.origin;
  }
  if (url.protocol === 'http:') {
    return LOOPBACK_HOSTS.has(url.hostname) ? url.origin : `https://${url.host}`;
  }
  return undefined;
}
