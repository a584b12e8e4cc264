/** The response headers the cache lifetime is computed from (raw values, as received). */
export interface CacheHeaders {
  readonly cacheControl?: string;
  readonly expires?: string;
  readonly date?: string;
  readonly age?: string;
}

export interface CacheLifetimeBounds {
  /** Floor, in seconds (default 60): also what `no-store`, `no-cache` or no information gets. */
  readonly minSeconds?: number;
  /** Ceiling, in seconds (default 86 400, 24 h). */
  readonly maxSeconds?: number;
}

export const DEFAULT_MIN_CACHE_SECONDS = 60;
export const DEFAULT_MAX_CACHE_SECONDS = 24 * 60 * 60;

/**
 * How long, in whole seconds, a successfully fetched document may be reused (RFC 9111 §4.2,
 * simplified for a private cache). Failures are never cached: do not call this for them.
 *
 * - `no-store` or `no-cache` (we never revalidate) → the minimum;
 * - `max-age=N` → N (a malformed or duplicated `max-age` counts as stale → the minimum);
 *   `s-maxage`, `private`, `public` are ignored (the server is not a shared cache);
 * - otherwise `Expires` minus `Date` (or minus `now` without a valid `Date`); an invalid
 *   `Expires` counts as stale → the minimum;
 * - no freshness information at all → the minimum;
 * - a valid `Age` is subtracted;
 * - the result is clamped to [min, max]. The floor is deliberate: a document that forbids
 *   caching would otherwise make every authorization request a fetch the client controls.
 */
export function cacheLifetimeSeconds(
  headers: CacheHeaders,
  now: Date = new Date(),
  bounds: CacheLifetimeBounds = {},
): number {
  const min = bounds.minSeconds ?? DEFAULT_MIN_CACHE_SECONDS;
  const max = Math.max(min, bounds.maxSeconds ?? DEFAULT_MAX_CACHE_SECONDS);
  const lifetime = freshnessLifetime(headers, now);
  if (lifetime === undefined) return min;
  const age = parseDeltaSeconds(headers.age?.trim()) ?? 0;
  return Math.min(max, Math.max(min, Math.floor(lifetime - age)));
}

function freshnessLifetime(headers: CacheHeaders, now: Date): number | undefined {
  const directives = parseCacheControl(headers.cacheControl ?? '');
  if (directives.has('no-store') || directives.has('no-cache')) return undefined;
  const maxAge = directives.get('max-age');
  if (maxAge !== undefined) {
    return maxAge.length === 1 ? parseDeltaSeconds(maxAge[0]) : undefined;
  }
  if (headers.expires === undefined) return undefined;
  const expires = parseHttpDate(headers.expires);
  if (expires === undefined) return undefined;
  const date = headers.date === undefined ? undefined : parseHttpDate(headers.date);
  return (expires - (date ?? now.getTime())) / 1000;
}

// Directive name (lowercase) → its values, one per occurrence ('' for a bare directive).
function parseCacheControl(value: string): Map<string, string[]> {
  const directives = new Map<string, string[]>();
  for (const item of value.split(',')) {
    const match = /^\s*([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s*(?:=\s*(?:"([^"]*)"|([^\s"]*)))?\s*$/.exec(
      item,
    );
    if (!match) continue;
    const name = match[1].toLowerCase();
    const list = directives.get(name) ?? [];
    list.push(match[2] ?? match[3] ?? '');
    directives.set(name, list);
  }
  return directives;
}

function parseDeltaSeconds(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

function parseHttpDate(value: string): number | undefined {
  const time = Date.parse(value.trim());
  return Number.isNaN(time) ? undefined : time;
}
