import { Catch, HttpException, Logger } from '@nestjs/common';
import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import { types } from 'node:util';
import {
  DATABASE_UNAVAILABLE_RETRY_AFTER_SECONDS,
  isDatabaseUnavailableError,
} from '../oauth/database-unavailable';
import { OAuthError } from '../oauth/oauth-error';
import { sendResponse, type HttpResponse } from './http-exchange';
import type { OAuthErrorBody } from '../oauth/oauth-error';

/** What the filter sends: always an RFC 6749 §5.2 body. */
export interface OAuthErrorResponse {
  status: number;
  body: OAuthErrorBody;
  headers: Record<string, string>;
}

// body-parser `type`s whose message may quote the request body (a JSON.parse error shows a
// snippet of it); they get a fixed description instead.
const BODY_ERROR_DESCRIPTIONS: Record<string, string> = {
  'entity.parse.failed': 'The request body could not be parsed.',
  'entity.too.large': 'The request body is too large.',
  'entity.verify.failed': 'The request body was rejected.',
  'encoding.unsupported': 'The request body content encoding is not supported.',
  'charset.unsupported': 'The request body charset is not supported.',
  'parameters.too.many': 'The request body has too many parameters.',
  'request.aborted': 'The request was aborted.',
  'request.size.invalid': 'The request body size does not match its Content-Length.',
};

// Fixed texts per status: HttpException messages are never echoed, since some quote the
// request (Nest's 404 says "Cannot GET /path?query", and a query may hold a code).
const STATUS_DESCRIPTIONS: Record<number, string> = {
  400: 'The request is malformed.',
  401: 'Authentication is required.',
  403: 'The request is not allowed.',
  404: 'The requested endpoint does not exist.',
  405: 'The request method is not allowed for this endpoint.',
  406: 'The requested response format is not available.',
  408: 'The request timed out.',
  411: 'The request needs a Content-Length.',
  413: 'The request body is too large.',
  414: 'The request URI is too long.',
  415: 'The request content type is not supported.',
  429: 'Too many requests; retry later.',
};

const GENERIC_CLIENT_ERROR = 'The request could not be processed.';
const GENERIC_SERVER_ERROR = 'The server encountered an unexpected error.';
const UNAVAILABLE = 'The server is temporarily unavailable; retry later.';

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e]*$/;

// Headers a non-OAuth error may carry on to the client. Anything else it sets is dropped.
const PASSTHROUGH_HEADERS: Record<string, string> = {
  allow: 'Allow',
  'retry-after': 'Retry-After',
};

/**
 * Answers every error on OAuth JSON endpoints (token, registration, revocation, introspection)
 * with an RFC 6749 §5.2 body, never Nest's `{ statusCode, message }` (AS-24). Unexpected errors
 * become a 500 `server_error` that reveals nothing; they are logged, without request data.
 *
 * Bound to the module's controllers only. Body-parser errors (413, malformed JSON) happen
 * before routing; the module answers those for its own paths with {@link send} from an error
 * middleware (`body-parser-errors.responder.ts`), never through an application-wide filter.
 */
@Catch()
export class OAuthExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('OAuthExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') {
      throw exception;
    }
    this.send(exception, host.switchToHttp().getResponse<HttpResponse>());
  }

  /** Writes the RFC 6749 §5.2 answer for any thrown value, on either HTTP adapter. */
  send(exception: unknown, response: HttpResponse): void {
    const { status, body, headers } = this.toResponse(exception);
    // setHeader throws on CR/LF; a bad header must not turn into an unhandled error here.
    const safe = Object.entries(headers).filter(
      ([name, value]) => HEADER_NAME.test(name) && HEADER_VALUE.test(value),
    );
    // RFC 6749 §5.1/§5.2: errors are JSON and must not be cached (AS-21).
    sendResponse(
      response,
      status,
      {
        ...Object.fromEntries(safe),
        'Content-Type': 'application/json; charset=utf-8',
        'Cache-Control': 'no-store',
        Pragma: 'no-cache',
      },
      JSON.stringify(body),
    );
  }

  /** Maps any thrown value to the response the filter sends. Public for reuse and tests. */
  toResponse(exception: unknown): OAuthErrorResponse {
    if (exception instanceof OAuthError) {
      if (exception.status >= 500) {
        this.logServerFault(exception);
      }
      return {
        status: exception.status,
        body: exception.toJSON(),
        headers: { ...exception.headers },
      };
    }
    if (isHttpException(exception)) {
      const cause: unknown = exception.cause;
      return this.fromHttpStatus(exception.getStatus(), exception, [
        exception,
        exception.getResponse(),
        cause,
      ]);
    }
    const status = httpErrorStatus(exception);
    if (status !== undefined) {
      return this.fromHttpStatus(status, exception, [exception]);
    }
    if (isDatabaseUnavailableError(exception)) {
      // Not a bug and not the client's fault: it should retry shortly (RFC 6749 §4.1.2.1's
      // temporarily_unavailable, with RFC 9110 Retry-After). Logged without stack or query.
      this.logger.warn(`Database unavailable: ${describe(exception)}`);
      return databaseUnavailable();
    }
    this.logServerFault(exception);
    return serverError();
  }

  private fromHttpStatus(
    status: number,
    exception: unknown,
    headerSources: unknown[],
  ): OAuthErrorResponse {
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      // A non-error status thrown as an error is a server bug, not a client mistake.
      this.logServerFault(exception);
      return serverError();
    }
    const headers = collectPassthroughHeaders(headerSources);
    if (status === 503) {
      return {
        status,
        body: { error: 'temporarily_unavailable', error_description: UNAVAILABLE },
        headers,
      };
    }
    if (status >= 500) {
      this.logServerFault(exception);
      return serverError();
    }
    const type = bodyParserType(exception);
    const description =
      (type !== undefined ? BODY_ERROR_DESCRIPTIONS[type] : undefined) ??
      STATUS_DESCRIPTIONS[status] ??
      GENERIC_CLIENT_ERROR;
    return {
      status,
      body: { error: 'invalid_request', error_description: description },
      headers,
    };
  }

  /** Logs name, message and stack only: http-errors from body-parser carry the raw body. */
  private logServerFault(exception: unknown): void {
    if (isError(exception)) {
      this.logger.error(`${exception.name}: ${exception.message}`, exception.stack);
    } else {
      this.logger.error(`Non-error value thrown (${typeof exception})`);
    }
  }
}

/** 503 `temporarily_unavailable` with `Retry-After`, for a database that cannot be reached. */
export function databaseUnavailable(): OAuthErrorResponse {
  return {
    status: 503,
    body: { error: 'temporarily_unavailable', error_description: UNAVAILABLE },
    headers: { 'Retry-After': String(DATABASE_UNAVAILABLE_RETRY_AFTER_SECONDS) },
  };
}

/** Name and message only: a TypeORM QueryFailedError also carries the query's parameters. */
function describe(exception: unknown): string {
  return isError(exception) ? `${exception.name}: ${exception.message}` : typeof exception;
}

function serverError(): OAuthErrorResponse {
  return {
    status: 500,
    body: { error: 'server_error', error_description: GENERIC_SERVER_ERROR },
    headers: {},
  };
}

/**
 * `instanceof` alone is not enough: when Nest loads the platform adapter through a dynamic
 * `import()` (jest, mixed CJS/ESM setups) its errors come from another copy of
 * `@nestjs/common`, or another realm, and would otherwise all become 500s.
 */
function isHttpException(value: unknown): value is HttpException {
  return (
    value instanceof HttpException ||
    (isError(value) &&
      typeof (value as unknown as Record<string, unknown>).getStatus === 'function' &&
      typeof (value as unknown as Record<string, unknown>).getResponse === 'function')
  );
}

function isError(value: unknown): value is Error {
  return value instanceof Error || types.isNativeError(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/**
 * The status of an http-errors error (body-parser, Express, finalhandler) that Nest did not
 * wrap: a numeric `status` or `statusCode`, plus `expose` or a body-parser `type`. A bare
 * `status` on an arbitrary error is not enough: that could be an upstream HTTP response status
 * leaking out of a library, which is our fault, not the client's.
 */
function httpErrorStatus(value: unknown): number | undefined {
  if (!isError(value)) {
    return undefined;
  }
  const fields = value as unknown as Record<string, unknown>;
  const status = fields.status ?? fields.statusCode;
  if (typeof status !== 'number') {
    return undefined;
  }
  // body-parser's errors (Express) carry `expose` or `type`; Fastify's content-parser errors a
  // `FST_ERR_CTP_*` code.
  const fromBodyParser =
    typeof fields.expose === 'boolean' ||
    typeof fields.type === 'string' ||
    (typeof fields.code === 'string' && fields.code.startsWith('FST_ERR_CTP_'));
  return fromBodyParser ? status : undefined;
}

/** The body-parser error `type` of the error itself or of what Nest wrapped. */
function bodyParserType(exception: unknown): string | undefined {
  for (const candidate of [exception, isRecord(exception) ? exception.cause : undefined]) {
    if (isRecord(candidate) && typeof candidate.type === 'string') {
      return candidate.type;
    }
  }
  return undefined;
}

/** `Allow` (405) and `Retry-After` (429) from an http-errors `headers` object, if any. */
function collectPassthroughHeaders(sources: unknown[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const source of sources) {
    if (!isRecord(source) || !isRecord(source.headers)) {
      continue;
    }
    for (const [name, value] of Object.entries(source.headers)) {
      const canonical = PASSTHROUGH_HEADERS[name.toLowerCase()];
      const text = headerValue(value);
      if (canonical !== undefined && text !== undefined && headers[canonical] === undefined) {
        headers[canonical] = text;
      }
    }
  }
  return headers;
}

function headerValue(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) {
    return String(value);
  }
  if (typeof value === 'string') {
    return value;
  }
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) {
    return value.join(', ');
  }
  return undefined;
}
