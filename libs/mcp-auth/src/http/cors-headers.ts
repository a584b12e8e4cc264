import { nodeResponse, setHeader, type HttpResponse } from './http-exchange';

/**
 * Request headers browser MCP clients send to public AS endpoints (AS-8). The SDK adds
 * `MCP-Protocol-Version` to discovery requests and, after a CORS failure, retries without it:
 * listing it saves a round trip and keeps 03 clients working. `Authorization` has to be named
 * explicitly (a `*` wildcard never covers it).
 */
export const CORS_ALLOWED_HEADERS = 'Authorization, Content-Type, MCP-Protocol-Version';

/** Seconds a browser may cache a preflight answer. */
const PREFLIGHT_MAX_AGE = 86_400;

/**
 * CORS headers of an endpoint any origin may call (AS-8). `*` without credentials: these
 * endpoints read no cookies, so no origin needs to be trusted and none is reflected.
 */
export function setPublicCorsHeaders(response: HttpResponse, methods: readonly string[]): void {
  setHeader(response, 'Access-Control-Allow-Origin', '*');
  setHeader(response, 'Access-Control-Allow-Methods', methods.join(', '));
  setHeader(response, 'Access-Control-Allow-Headers', CORS_ALLOWED_HEADERS);
  setHeader(response, 'Access-Control-Max-Age', String(PREFLIGHT_MAX_AGE));
}

/**
 * CORS: lets browser scripts read a response header (`WWW-Authenticate`, `Retry-After`), kept
 * with whatever the response already exposes.
 */
export function exposeHeader(reply: HttpResponse, header: string): void {
  const response = nodeResponse(reply);
  if (response.headersSent) return;
  const current = response.getHeader('Access-Control-Expose-Headers');
  // The usual case: nothing exposed yet, so no list to merge with.
  if (current === undefined) {
    response.setHeader('Access-Control-Expose-Headers', header);
    return;
  }
  const names = (Array.isArray(current) ? current.join(',') : String(current))
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (names.some((name) => name.toLowerCase() === header.toLowerCase())) return;
  response.setHeader('Access-Control-Expose-Headers', [...names, header].join(', '));
}
