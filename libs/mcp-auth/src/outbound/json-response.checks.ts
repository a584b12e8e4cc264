import type { IncomingMessage } from 'node:http';
import type { CacheHeaders } from './cache-lifetime';
import { isJsonMediaType } from './json-media-type';
import { OutboundFetchError } from './outbound-fetch.error';
import type { JsonObject } from './outbound.types';

/** What a response must be before its body is read: 200, JSON, not compressed, not too big. */
export function checkResponseHead(
  url: URL,
  res: IncomingMessage,
  maxBodyBytes: number,
): OutboundFetchError | undefined {
  const status = res.statusCode ?? 0;
  if (status >= 300 && status < 400) {
    return new OutboundFetchError(
      'redirect',
      `${url.href} answered ${status}: redirects are not followed`,
    );
  }
  if (status !== 200) {
    return new OutboundFetchError('http_status', `${url.href} answered ${status}, expected 200`);
  }
  const encoding = res.headers['content-encoding'];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
    return new OutboundFetchError('not_json', `${url.href}: unexpected Content-Encoding`);
  }
  if (!isJsonMediaType(res.headers['content-type'])) {
    return new OutboundFetchError('not_json', `${url.href}: Content-Type is not JSON`);
  }
  const length = Number(res.headers['content-length']);
  if (Number.isFinite(length) && length > maxBodyBytes) {
    return tooLarge(url, maxBodyBytes);
  }
  return undefined;
}

export function tooLarge(url: URL, limit: number): OutboundFetchError {
  return new OutboundFetchError('too_large', `${url.href}: body exceeds ${limit} bytes`);
}

export function parseJsonObject(body: Buffer, url: URL): JsonObject | OutboundFetchError {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch (error) {
    // The parser's message may quote the body: keep it out of ours (and out of `cause`).
    void error;
    return new OutboundFetchError('not_json', `${url.href}: body is not valid UTF-8 JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return new OutboundFetchError('not_json', `${url.href}: body is not a JSON object`);
  }
  return value as JsonObject;
}

export function cacheHeadersOf(res: IncomingMessage): CacheHeaders {
  const { headers } = res;
  return {
    cacheControl: headers['cache-control'],
    expires: headers.expires,
    date: headers.date,
    age: headers.age,
  };
}
