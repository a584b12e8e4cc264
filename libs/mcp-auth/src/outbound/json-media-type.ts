/**
 * Whether a `Content-Type` value is JSON: `application/json` or any `application/*+json`
 * (e.g. `application/jwk-set+json`), parameters allowed, case-insensitive. A `charset`
 * other than UTF-8 is refused (RFC 8259 §8.1: JSON exchanged between systems is UTF-8).
 */
export function isJsonMediaType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const [essence, ...parameters] = contentType.split(';');
  const type = essence.trim().toLowerCase();
  if (type !== 'application/json' && !/^application\/[a-z0-9!#$&^_.-]+\+json$/.test(type)) {
    return false;
  }
  for (const parameter of parameters) {
    const [name, raw = ''] = parameter.split('=');
    if (name.trim().toLowerCase() !== 'charset') continue;
    const charset = raw
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase();
    if (charset !== 'utf-8' && charset !== 'utf8') return false;
  }
  return true;
}
