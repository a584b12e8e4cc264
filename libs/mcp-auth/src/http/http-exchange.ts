import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';

/**
 * What the module reads of a request, on either HTTP adapter: Express's `Request` and
 * Fastify's `FastifyRequest` both have these members.
 */
export interface HttpRequest {
  readonly method: string;
  /** Path and query. Express rewrites it under a mount point; `originalUrl` keeps it whole. */
  readonly url: string;
  readonly originalUrl?: string;
  readonly headers: IncomingHttpHeaders;
  readonly body?: unknown;
  readonly query?: unknown;
  readonly ip?: string;
  readonly hostname?: string;
  /** Express: the Node request itself has `rawHeaders`; Fastify keeps it as `raw`. */
  readonly rawHeaders?: string[];
  readonly raw?: IncomingMessage;
}

/** A Fastify reply: it wraps the Node response and must send through its own API. */
export interface FastifyReplyLike {
  readonly raw: ServerResponse;
  readonly sent: boolean;
  code(status: number): FastifyReplyLike;
  send(payload?: string): FastifyReplyLike;
}

/** Express's `Response` is a Node `ServerResponse`; Fastify's reply holds one as `raw`. */
export type HttpResponse = ServerResponse | FastifyReplyLike;

function isFastifyReply(response: object): response is FastifyReplyLike {
  return 'raw' in response && typeof (response as FastifyReplyLike).code === 'function';
}

/** The Node response under either adapter's response object. */
export function nodeResponse(response: HttpResponse): ServerResponse {
  return isFastifyReply(response) ? response.raw : response;
}

/** The request path without its query, as the client sent it. */
export function requestPath(request: HttpRequest): string {
  const url = request.originalUrl ?? request.url;
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/** Header names and values as received, repeats included. */
export function rawHeaders(request: HttpRequest): readonly string[] {
  return request.rawHeaders ?? request.raw?.rawHeaders ?? [];
}

/**
 * Sets a header before the body is written. On Fastify the reply merges these Node-level
 * headers with its own when it writes the head, so handlers that return a value (passthrough)
 * keep them.
 */
export function setHeader(response: HttpResponse, name: string, value: string): void {
  nodeResponse(response).setHeader(name, value);
}

/** Adds a value to a header that may repeat (`Set-Cookie`). */
export function appendHeader(response: HttpResponse, name: string, value: string): void {
  nodeResponse(response).appendHeader(name, value);
}

/** Whether the body was sent as `application/json` (parameters such as charset aside). */
export function isJsonRequest(request: HttpRequest): boolean {
  const type = request.headers['content-type'];
  return type?.split(';')[0].trim().toLowerCase() === 'application/json';
}

export function headersSent(response: HttpResponse): boolean {
  return nodeResponse(response).headersSent;
}

/**
 * Writes a whole answer. Fastify must send through its reply, or its hooks and bookkeeping
 * never learn the request was answered; on Express the Node response is written directly.
 */
export function sendResponse(
  response: HttpResponse,
  status: number,
  headers: Readonly<Record<string, string>>,
  body: string,
): void {
  const node = nodeResponse(response);
  if (node.headersSent) {
    // Too late for a status line: close what was started rather than append to it.
    if (!node.writableEnded) node.end();
    return;
  }
  for (const [name, value] of Object.entries(headers)) node.setHeader(name, value);
  node.setHeader('Content-Length', Buffer.byteLength(body));
  if (isFastifyReply(response)) {
    response.code(status).send(body);
  } else {
    node.statusCode = status;
    node.end(body);
  }
}

/** A redirect with no body: the browser follows `Location`. */
export function redirect(response: HttpResponse, status: 302 | 303, location: string): void {
  sendResponse(response, status, { Location: location, 'Cache-Control': 'no-store' }, '');
}
