import {
  DEFAULT_MAX_CACHE_SECONDS,
  DEFAULT_MIN_CACHE_SECONDS,
} from '../../outbound/cache-lifetime';
import type { HostResolver } from '../../outbound/host.resolver';
import {
  DEFAULT_FETCH_TIMEOUT_MS,
  DEFAULT_MAX_BODY_BYTES,
} from '../../outbound/json-document.fetcher';
import type { OutboundDocumentPolicy, OutboundUrlPolicy } from '../../outbound/outbound.types';

/**
 * Client ID Metadata Documents (AS-11): a `client_id` that is an https URL names a JSON
 * document the server fetches to learn the client. On by default; the fetch refuses every
 * private, loopback and link-local address after resolution and follows no redirects.
 */
export interface ClientMetadataDocumentOptions {
  /** Accept metadata document URLs as client ids and advertise it. Default true. */
  enabled?: boolean;
  /**
   * Decides on a URL before anything is resolved or fetched, e.g. an allow-list of domains.
   * It sees URLs that already passed the built-in rules (https, a path, no query, fragment,
   * user info or dot segments).
   */
  urlPolicy?: OutboundUrlPolicy;
  /** Decides on a fetched JSON document before it is validated and cached. */
  documentPolicy?: OutboundDocumentPolicy;
  /**
   * Cache bounds in seconds. A document is reused for what its `Cache-Control: max-age` or
   * `Expires` says, clamped to [minSeconds, maxSeconds]; `no-store`, `no-cache` or no caching
   * headers get the minimum. Defaults: 60 and 86 400 (24 hours).
   */
  cache?: { minSeconds?: number; maxSeconds?: number };
  /** Time limit of one fetch (resolution, connection, TLS, headers and body), ms. Default 5000. */
  timeoutMs?: number;
  /** Largest accepted document, bytes. Default 5120. */
  maxBodyBytes?: number;
  /**
   * DEVELOPMENT AND TESTS ONLY. Host names (as `URL.hostname` spells them: `localhost`,
   * `*.localhost`, `127.0.0.1`, `[::1]`) whose documents may be fetched from a loopback
   * address. Empty by default; every other private range stays refused for them.
   */
  allowLoopbackHosts?: string[];
  /** Extra trusted CA certificates (PEM) for these fetches only, on top of Node's roots. */
  ca?: string | Buffer | (string | Buffer)[];
  /** Resolves host names (default: the system resolver, every answer checked). */
  resolver?: HostResolver;
}

/** The options after defaults. */
export interface ResolvedClientMetadataDocumentOptions extends Required<
  Pick<ClientMetadataDocumentOptions, 'enabled' | 'timeoutMs' | 'maxBodyBytes'>
> {
  readonly cache: { readonly minSeconds: number; readonly maxSeconds: number };
  readonly allowLoopbackHosts: readonly string[];
  readonly urlPolicy?: OutboundUrlPolicy;
  readonly documentPolicy?: OutboundDocumentPolicy;
  readonly ca?: ClientMetadataDocumentOptions['ca'];
  readonly resolver?: HostResolver;
}

/** Longest accepted `maxBodyBytes`: documents are small (CIMD §6.6 suggests 5 KB). */
const MAX_BODY_BYTES_LIMIT = 64 * 1024;
const MAX_TIMEOUT_MS = 30_000;
/** Names that can only mean this machine (RFC 6761 §6.3 reserves `localhost` and `*.localhost`). */
function isLoopbackName(host: unknown): boolean {
  return (
    typeof host === 'string' &&
    (host === '127.0.0.1' || host === '[::1]' || /^(?:[a-z0-9-]+\.)*localhost$/.test(host))
  );
}

export function resolveClientMetadataDocumentOptions(
  options: ClientMetadataDocumentOptions | undefined,
): ResolvedClientMetadataDocumentOptions {
  return {
    enabled: options?.enabled ?? true,
    timeoutMs: options?.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS,
    maxBodyBytes: options?.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    cache: {
      minSeconds: options?.cache?.minSeconds ?? DEFAULT_MIN_CACHE_SECONDS,
      maxSeconds: options?.cache?.maxSeconds ?? DEFAULT_MAX_CACHE_SECONDS,
    },
    allowLoopbackHosts: [...(options?.allowLoopbackHosts ?? [])],
    urlPolicy: options?.urlPolicy,
    documentPolicy: options?.documentPolicy,
    ca: options?.ca,
    resolver: options?.resolver,
  };
}

/** Problems with `clientMetadataDocuments`, worded like the module's other option errors. */
export function validateClientMetadataDocumentOptions(
  options: ClientMetadataDocumentOptions | undefined,
): string[] {
  if (options === undefined) return [];
  const where = 'clientMetadataDocuments';
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    return [`${where} must be an object`];
  }
  const problems: string[] = [];
  if (options.enabled !== undefined && typeof options.enabled !== 'boolean') {
    problems.push(`${where}.enabled must be true or false`);
  }
  for (const hook of ['urlPolicy', 'documentPolicy', 'resolver'] as const) {
    if (options[hook] !== undefined && typeof options[hook] !== 'function') {
      problems.push(`${where}.${hook} must be a function`);
    }
  }
  if (
    options.cache !== undefined &&
    (typeof options.cache !== 'object' || options.cache === null || Array.isArray(options.cache))
  ) {
    problems.push(`${where}.cache must be an object: { minSeconds, maxSeconds }`);
    return problems;
  }
  const min = options.cache?.minSeconds ?? DEFAULT_MIN_CACHE_SECONDS;
  const max = options.cache?.maxSeconds ?? DEFAULT_MAX_CACHE_SECONDS;
  if (!Number.isInteger(min) || min < 0) {
    problems.push(`${where}.cache.minSeconds must be a whole number of seconds, 0 or more`);
  }
  if (!Number.isInteger(max) || max < 1) {
    problems.push(`${where}.cache.maxSeconds must be a whole number of seconds, 1 or more`);
  } else if (Number.isInteger(min) && min > max) {
    problems.push(`${where}.cache.minSeconds must not exceed cache.maxSeconds`);
  }
  if (
    options.timeoutMs !== undefined &&
    !(
      Number.isInteger(options.timeoutMs) &&
      options.timeoutMs > 0 &&
      options.timeoutMs <= MAX_TIMEOUT_MS
    )
  ) {
    problems.push(`${where}.timeoutMs must be a whole number of milliseconds from 1 to 30000`);
  }
  if (
    options.maxBodyBytes !== undefined &&
    !(
      Number.isInteger(options.maxBodyBytes) &&
      options.maxBodyBytes >= 256 &&
      options.maxBodyBytes <= MAX_BODY_BYTES_LIMIT
    )
  ) {
    problems.push(`${where}.maxBodyBytes must be a whole number of bytes from 256 to 65536`);
  }
  if (options.allowLoopbackHosts !== undefined) {
    if (!Array.isArray(options.allowLoopbackHosts)) {
      problems.push(`${where}.allowLoopbackHosts must be a list of host names`);
    } else {
      for (const host of options.allowLoopbackHosts) {
        // Only names that can only mean this machine: the option must not open a private range.
        if (!isLoopbackName(host)) {
          problems.push(
            `${where}.allowLoopbackHosts: "${String(host)}" is not localhost, *.localhost, 127.0.0.1 or [::1]`,
          );
        }
      }
    }
  }
  return problems;
}
