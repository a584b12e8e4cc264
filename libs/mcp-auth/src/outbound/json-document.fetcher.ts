import { request } from 'node:https';
import type { CacheHeaders } from './cache-lifetime';
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import { checkAddress } from './address.policy';
import { systemResolver } from './host.resolver';
import type { HostResolver, ResolvedAddress } from './host.resolver';
import { OutboundFetchError } from './outbound-fetch.error';
import type {
  JsonObject,
  OutboundDocumentPolicy,
  OutboundPolicyVerdict,
  OutboundUrlPolicy,
} from './outbound.types';
import { parseOutboundUrl } from './outbound-url';
import { pinnedLookup } from './pinned.lookup';
import {
  cacheHeadersOf,
  checkResponseHead,
  parseJsonObject,
  tooLarge,
} from './json-response.checks';

export const DEFAULT_MAX_BODY_BYTES = 5 * 1024;
export const DEFAULT_FETCH_TIMEOUT_MS = 5_000;
export const DEFAULT_USER_AGENT = 'mcp-auth-metadata-fetcher';

export interface JsonDocumentFetcherOptions {
  /** Resolves host names; called once per fetch. Default: `dns.promises.lookup`, all answers. */
  readonly resolver?: HostResolver;
  /** Largest accepted body, in bytes (default 5 KiB). Beyond it the socket is destroyed. */
  readonly maxBodyBytes?: number;
  /** Time limit for resolution + connect + TLS + headers + body, in ms (default 5 s). */
  readonly timeoutMs?: number;
  /**
   * Development only, off by default: URL host names (as `URL.hostname` spells them, e.g.
   * `localhost`, `127.0.0.1`, `[::1]`) that may resolve to loopback addresses. Every other
   * private range stays refused for them.
   */
  readonly allowLoopbackHosts?: readonly string[];
  /** Extra trusted CA certificates (PEM), on top of Node's roots, for this fetcher only. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** Sent as `User-Agent`. No other identifying or credential header is ever sent. */
  readonly userAgent?: string;
  /** Operator hook run before anything is resolved or fetched (e.g. a domain allow-list). */
  readonly urlPolicy?: OutboundUrlPolicy;
  /** Operator hook run on the parsed document before it is returned. */
  readonly documentPolicy?: OutboundDocumentPolicy;
}

/** A fetched JSON object and what the caller needs to cache it. */
export interface FetchedJsonDocument {
  readonly url: URL;
  /** The checked address the connection went to. */
  readonly address: string;
  readonly document: JsonObject;
  /** Raw cache headers, for {@link cacheLifetimeSeconds}. */
  readonly cacheHeaders: CacheHeaders;
}

/**
 * Fetches small JSON documents from URLs a client chose (Client ID Metadata Documents, later
 * `jwks_uri`) without letting the client aim the server at its own network:
 *
 * 1. the URL must be https without userinfo or fragment, then pass the operator URL hook;
 * 2. the host is resolved once and EVERY answer must be a public address (one private answer
 *    refuses the fetch);
 * 3. the connection goes to the first checked answer through a pinned `lookup` (no second
 *    resolution, so no DNS rebinding), TLS verifying the certificate for the host name;
 * 4. one GET with `Accept: application/json` and a fixed User-Agent, no cookies or
 *    credentials, no connection reuse; redirects are refused, only 200 is accepted;
 * 5. the body is capped (socket destroyed when exceeded), the whole exchange is time-limited,
 *    and the body must be JSON (media type and syntax) parsing to an object;
 * 6. the operator document hook has the last word.
 */
export class JsonDocumentFetcher {
  private readonly resolver: HostResolver;
  private readonly maxBodyBytes: number;
  private readonly timeoutMs: number;
  private readonly loopbackHosts: ReadonlySet<string>;
  private readonly ca: (string | Buffer)[] | undefined;
  private readonly userAgent: string;

  constructor(private readonly options: JsonDocumentFetcherOptions = {}) {
    this.resolver = options.resolver ?? systemResolver;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
    this.loopbackHosts = new Set(options.allowLoopbackHosts ?? []);
    const extra = options.ca === undefined ? [] : ([] as (string | Buffer)[]).concat(options.ca);
    this.ca = extra.length ? [...rootCertificates, ...extra] : undefined;
    this.userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
  }

  async fetch(input: string | URL): Promise<FetchedJsonDocument> {
    const checked = parseOutboundUrl(input);
    if (!checked.ok) throw new OutboundFetchError('invalid_url', `invalid URL: ${checked.reason}`);
    const url = checked.url;
    const { urlPolicy, documentPolicy } = this.options;
    if (urlPolicy) await this.applyPolicy('URL', () => urlPolicy(url));
    const { address, document, cacheHeaders } = await withDeadline(
      this.timeoutMs,
      url,
      async (signal) => {
        const pinned = await this.resolveAndCheck(url);
        if (signal.aborted) throw new OutboundFetchError('timeout', 'aborted');
        return this.get(url, pinned, signal);
      },
    );
    if (documentPolicy) {
      await this.applyPolicy('document', () => documentPolicy(document, { url, address }));
    }
    return { url, address, document, cacheHeaders };
  }

  private async applyPolicy(
    what: string,
    hook: () => OutboundPolicyVerdict | Promise<OutboundPolicyVerdict>,
  ): Promise<void> {
    let verdict: OutboundPolicyVerdict;
    try {
      verdict = await hook();
    } catch (error) {
      throw new OutboundFetchError('policy', `${what} policy hook failed`, { cause: error });
    }
    if (!verdict.ok) {
      throw new OutboundFetchError('policy', `${what} refused by policy: ${verdict.reason}`);
    }
  }

  private async resolveAndCheck(url: URL): Promise<ResolvedAddress> {
    const host = hostOf(url);
    const literal = isIP(host);
    let answers: readonly ResolvedAddress[];
    if (literal) {
      answers = [{ address: host, family: literal === 6 ? 6 : 4 }];
    } else {
      try {
        answers = await this.resolver(host);
      } catch (error) {
        throw new OutboundFetchError('dns', `could not resolve ${host}`, { cause: error });
      }
    }
    if (answers.length === 0) throw new OutboundFetchError('dns', `no address for ${host}`);
    const allowLoopback = this.loopbackHosts.has(url.hostname);
    for (const answer of answers) {
      const check = checkAddress(answer.address, { allowLoopback });
      if (!check.ok) {
        throw new OutboundFetchError(
          'forbidden_address',
          `${host} resolves to a forbidden address ${answer.address}: ${check.reason}`,
        );
      }
    }
    return answers[0];
  }

  private get(
    url: URL,
    pinned: ResolvedAddress,
    signal: AbortSignal,
  ): Promise<FetchedJsonDocument> {
    const host = hostOf(url);
    return new Promise<FetchedJsonDocument>((resolve, reject) => {
      const req = request({
        host,
        port: url.port || 443,
        path: `${url.pathname}${url.search}`,
        method: 'GET',
        headers: { accept: 'application/json', 'user-agent': this.userAgent },
        lookup: pinnedLookup(host, pinned),
        agent: false,
        ca: this.ca,
        signal,
      });
      const fail = (error: OutboundFetchError) => {
        req.destroy();
        reject(error);
      };
      req.on('error', (error) => {
        fail(
          error instanceof OutboundFetchError
            ? error
            : new OutboundFetchError(
                'connection',
                `request to ${url.href} failed: ${errorCode(error)}`,
                {
                  cause: error,
                },
              ),
        );
      });
      req.on('response', (res) => {
        const refusal = checkResponseHead(url, res, this.maxBodyBytes);
        if (refusal) {
          res.destroy();
          fail(refusal);
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        let done = false;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > this.maxBodyBytes) {
            done = true;
            res.destroy();
            fail(tooLarge(url, this.maxBodyBytes));
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', (error) => {
          if (done) return;
          done = true;
          fail(
            new OutboundFetchError(
              'connection',
              `reading ${url.href} failed: ${errorCode(error)}`,
              {
                cause: error,
              },
            ),
          );
        });
        res.on('close', () => {
          if (done || res.complete) return;
          done = true;
          fail(
            new OutboundFetchError(
              'connection',
              `${url.href}: connection closed before the body ended`,
            ),
          );
        });
        res.on('end', () => {
          if (done) return;
          done = true;
          const parsed = parseJsonObject(Buffer.concat(chunks), url);
          if (parsed instanceof OutboundFetchError) {
            reject(parsed);
            return;
          }
          const cacheHeaders = cacheHeadersOf(res);
          resolve({ url, address: pinned.address, document: parsed, cacheHeaders });
        });
      });
      req.end();
    });
  }
}

// The host to resolve and connect to: URL.hostname without the brackets of an IPv6 literal.
function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

function errorCode(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code ?? error.message;
}

// Runs `run` with a total time limit: on expiry the signal aborts (destroying the request and
// its socket) and the promise rejects with a 'timeout' error.
function withDeadline<T>(
  ms: number,
  url: URL,
  run: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new OutboundFetchError('timeout', `${url.href}: no complete answer within ${ms} ms`));
      controller.abort();
    }, ms);
    run(controller.signal).then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
