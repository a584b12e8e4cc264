import {
  BadRequestException,
  Controller,
  ForbiddenException,
  Get,
  HttpException,
  InternalServerErrorException,
  Logger,
  MethodNotAllowedException,
  NotFoundException,
  PayloadTooLargeException,
  Post,
  ServiceUnavailableException,
} from '@nestjs/common';
import type { ArgumentsHost, INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { OAuthError } from '../oauth/oauth-error';
import { OAuthExceptionFilter } from './oauth-exception.filter';

/** A stand-in for node's ServerResponse that records what the filter does. */
class FakeResponse {
  statusCode = 200;
  headersSent = false;
  writableEnded = false;
  readonly headers: Record<string, string | number> = {};
  body: string | undefined;

  setHeader(name: string, value: string | number): this {
    if (/[\r\n]/.test(String(value))) {
      throw new TypeError('Invalid character in header content');
    }
    this.headers[name.toLowerCase()] = value;
    return this;
  }

  end(body?: string): this {
    this.body = body;
    this.writableEnded = true;
    return this;
  }

  json(): unknown {
    return JSON.parse(this.body ?? 'null');
  }
}

function httpHost(response: FakeResponse): ArgumentsHost {
  return {
    getType: () => 'http',
    switchToHttp: () => ({
      getResponse: () => response,
      getRequest: () => ({}),
      getNext: () => undefined,
    }),
  } as unknown as ArgumentsHost;
}

/** An http-errors style error as body-parser creates it, including the raw body it keeps. */
function bodyParserError(status: number, type: string, body?: string): Error {
  return Object.assign(new Error(`body-parser says ${type}`), {
    status,
    statusCode: status,
    expose: status < 500,
    type,
    body,
  });
}

describe('OAuthExceptionFilter (AS-24, RFC 6749 §5.2)', () => {
  let filter: OAuthExceptionFilter;
  let logged: jest.SpyInstance;

  beforeEach(() => {
    filter = new OAuthExceptionFilter();
    logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });

  afterEach(() => {
    logged.mockRestore();
  });

  function run(exception: unknown): FakeResponse {
    const response = new FakeResponse();
    filter.catch(exception, httpHost(response));
    return response;
  }

  function expectOAuthHeaders(response: FakeResponse): void {
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers.pragma).toBe('no-cache');
    expect(response.headers['content-length']).toBe(Buffer.byteLength(response.body ?? ''));
  }

  describe('OAuthError', () => {
    it('sends its status and JSON body', () => {
      const response = run(OAuthError.invalidGrant('The code has expired.'));
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({
        error: 'invalid_grant',
        error_description: 'The code has expired.',
      });
      expectOAuthHeaders(response);
      expect(logged).not.toHaveBeenCalled();
    });

    it('applies its headers (invalid_client with a Basic challenge)', () => {
      const response = run(OAuthError.invalidClient('Bad credentials.', { basicRealm: 'mcp' }));
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Basic realm="mcp", charset="UTF-8"');
      expect(response.json()).toEqual({
        error: 'invalid_client',
        error_description: 'Bad credentials.',
      });
    });

    it('does not let a header override the JSON and no-store headers', () => {
      const response = run(
        new OAuthError('invalid_request', 'x', {
          headers: { 'Content-Type': 'text/html', 'Cache-Control': 'public' },
        }),
      );
      expectOAuthHeaders(response);
    });

    it('skips a header value that would inject a new header, instead of failing', () => {
      const response = run(
        new OAuthError('invalid_request', 'x', { headers: { 'X-Bad': 'a\r\nSet-Cookie: x=y' } }),
      );
      expect(response.statusCode).toBe(400);
      expect(response.headers['x-bad']).toBeUndefined();
      expect(response.json()).toEqual({ error: 'invalid_request', error_description: 'x' });
    });

    it('omits error_description when the error has none', () => {
      expect(run(new OAuthError('access_denied')).json()).toEqual({ error: 'access_denied' });
    });

    it('logs a server_error OAuthError', () => {
      const response = run(OAuthError.serverError('Storage failed.'));
      expect(response.statusCode).toBe(500);
      expect(logged).toHaveBeenCalledTimes(1);
    });
  });

  describe('Nest HttpException', () => {
    it.each([
      [new BadRequestException('Cannot parse ?code=SECRETCODE'), 400],
      [new ForbiddenException(), 403],
      [new NotFoundException('Cannot GET /token?code=SECRETCODE'), 404],
      [new PayloadTooLargeException(), 413],
      [new HttpException('teapot', 418), 418],
      [new HttpException({ statusCode: 429, message: 'slow down' }, 429), 429],
    ])('maps %p to invalid_request with status %d, never echoing its message', (error, status) => {
      const response = run(error);
      expect(response.statusCode).toBe(status);
      const body = response.json() as Record<string, unknown>;
      expect(Object.keys(body).sort()).toEqual(['error', 'error_description']);
      expect(body.error).toBe('invalid_request');
      expect(body).not.toHaveProperty('statusCode');
      expect(body).not.toHaveProperty('message');
      expect(response.body).not.toContain('SECRETCODE');
      expectOAuthHeaders(response);
      expect(logged).not.toHaveBeenCalled();
    });

    it('keeps 405 and an Allow header from an http-errors cause', () => {
      const cause = Object.assign(new Error('nope'), {
        status: 405,
        statusCode: 405,
        expose: true,
        headers: { allow: 'POST, OPTIONS', 'set-cookie': 'a=b' },
      });
      const response = run(new MethodNotAllowedException('nope', { cause }));
      expect(response.statusCode).toBe(405);
      expect(response.headers.allow).toBe('POST, OPTIONS');
      expect(response.headers['set-cookie']).toBeUndefined();
      expect(response.json()).toEqual({
        error: 'invalid_request',
        error_description: 'The request method is not allowed for this endpoint.',
      });
    });

    it('keeps an Allow header given in the exception response object', () => {
      const response = run(
        new HttpException({ message: 'x', headers: { Allow: ['GET', 'POST'] } }, 405),
      );
      expect(response.statusCode).toBe(405);
      expect(response.headers.allow).toBe('GET, POST');
    });

    it('maps a wrapped body-parser 413 (entity.too.large)', () => {
      const cause = bodyParserError(413, 'entity.too.large');
      const response = run(new HttpException('request entity too large', 413, { cause }));
      expect(response.statusCode).toBe(413);
      expect(response.json()).toEqual({
        error: 'invalid_request',
        error_description: 'The request body is too large.',
      });
    });

    it('maps a wrapped body-parser parse failure without quoting the body', () => {
      const cause = bodyParserError(400, 'entity.parse.failed', '{"client_secret":"TOPSECRET"');
      const response = run(
        new HttpException('Unexpected end of JSON: {"client_secret":"TOPSECRET"', 400, { cause }),
      );
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({
        error: 'invalid_request',
        error_description: 'The request body could not be parsed.',
      });
      expect(response.body).not.toContain('TOPSECRET');
    });

    it('maps 503 to temporarily_unavailable and keeps Retry-After', () => {
      const cause = Object.assign(new Error('busy'), {
        status: 503,
        statusCode: 503,
        expose: false,
        headers: { 'Retry-After': 7 },
      });
      const response = run(new ServiceUnavailableException('db pool exhausted', { cause }));
      expect(response.statusCode).toBe(503);
      expect(response.headers['retry-after']).toBe('7');
      expect(response.json()).toEqual({
        error: 'temporarily_unavailable',
        error_description: 'The server is temporarily unavailable; retry later.',
      });
      expect(response.body).not.toContain('pool');
    });

    it('maps other 5xx to a generic server_error and logs it', () => {
      const response = run(new InternalServerErrorException('password=hunter2 in config'));
      expect(response.statusCode).toBe(500);
      expect(response.json()).toEqual({
        error: 'server_error',
        error_description: 'The server encountered an unexpected error.',
      });
      expect(response.body).not.toContain('hunter2');
      expect(logged).toHaveBeenCalledTimes(1);
    });

    it('treats a non-error status thrown as an exception as a server error', () => {
      const response = run(new HttpException('moved', 302));
      expect(response.statusCode).toBe(500);
      expect((response.json() as { error: string }).error).toBe('server_error');
    });
  });

  describe('raw http-errors (body-parser errors Nest did not wrap)', () => {
    it.each([
      [413, 'entity.too.large', 'The request body is too large.'],
      [400, 'entity.parse.failed', 'The request body could not be parsed.'],
      [415, 'charset.unsupported', 'The request body charset is not supported.'],
      [415, 'encoding.unsupported', 'The request body content encoding is not supported.'],
      [413, 'parameters.too.many', 'The request body has too many parameters.'],
      [400, 'request.aborted', 'The request was aborted.'],
      [400, 'request.size.invalid', 'The request body size does not match its Content-Length.'],
      [403, 'entity.verify.failed', 'The request body was rejected.'],
    ])('maps %d %s', (status, type, description) => {
      const response = run(bodyParserError(status, type, '{"client_secret":"TOPSECRET"'));
      expect(response.statusCode).toBe(status);
      expect(response.json()).toEqual({ error: 'invalid_request', error_description: description });
      expect(response.body).not.toContain('TOPSECRET');
      expectOAuthHeaders(response);
    });

    it('uses the status alone when only statusCode and expose are set', () => {
      const error = Object.assign(new Error('x'), { statusCode: 414, expose: true });
      const response = run(error);
      expect(response.statusCode).toBe(414);
      expect((response.json() as { error_description: string }).error_description).toBe(
        'The request URI is too long.',
      );
    });

    it('maps a 5xx http-error to server_error and logs it without the body', () => {
      const response = run(bodyParserError(500, 'stream.not.readable', 'BODY-SECRET'));
      expect(response.statusCode).toBe(500);
      expect((response.json() as { error: string }).error).toBe('server_error');
      expect(logged).toHaveBeenCalledTimes(1);
      expect(JSON.stringify(logged.mock.calls)).not.toContain('BODY-SECRET');
    });

    it('does not trust a bare status on an arbitrary error (an upstream response leaking)', () => {
      const error = Object.assign(new Error('upstream said 401'), { status: 401 });
      const response = run(error);
      expect(response.statusCode).toBe(500);
      expect((response.json() as { error: string }).error).toBe('server_error');
    });
  });

  describe('anything else', () => {
    it.each([
      ['an Error', new Error('relation "clients" does not exist at /srv/app/db.ts:12')],
      ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'x')")],
      ['a string', 'boom'],
      ['null', null],
      ['undefined', undefined],
      ['a plain object', { client_secret: 'TOPSECRET' }],
    ])('answers %s with a generic 500 server_error and logs it', (_name, thrown) => {
      const response = run(thrown);
      expect(response.statusCode).toBe(500);
      expect(response.json()).toEqual({
        error: 'server_error',
        error_description: 'The server encountered an unexpected error.',
      });
      expect(response.body).not.toMatch(/clients|srv|undefined|boom|TOPSECRET/);
      expectOAuthHeaders(response);
      expect(logged).toHaveBeenCalledTimes(1);
      expect(JSON.stringify(logged.mock.calls)).not.toContain('TOPSECRET');
    });

    it('logs the error name, message and stack for diagnosis', () => {
      const error = new Error('db exploded');
      run(error);
      expect(logged).toHaveBeenCalledWith('Error: db exploded', error.stack);
    });
  });

  describe('response state', () => {
    it('only ends a response whose headers were already sent', () => {
      const response = new FakeResponse();
      response.headersSent = true;
      response.statusCode = 200;
      filter.catch(OAuthError.invalidRequest('x'), httpHost(response));
      expect(response.statusCode).toBe(200);
      expect(response.writableEnded).toBe(true);
      expect(response.body).toBeUndefined();
      expect(response.headers).toEqual({});
    });

    it('leaves a finished response alone', () => {
      const response = new FakeResponse();
      response.headersSent = true;
      response.writableEnded = true;
      const end = jest.spyOn(response, 'end');
      filter.catch(new Error('late'), httpHost(response));
      expect(end).not.toHaveBeenCalled();
    });

    it('rethrows outside HTTP contexts', () => {
      const host = { getType: () => 'rpc' } as unknown as ArgumentsHost;
      const error = new Error('rpc');
      expect(() => filter.catch(error, host)).toThrow(error);
    });
  });
});

@Controller('oauth-filter-test')
class ThrowingController {
  @Post('token')
  token(): never {
    throw OAuthError.invalidClient('Client authentication failed.', { basicRealm: 'test' });
  }

  @Post('echo')
  echo(): { ok: true } {
    return { ok: true };
  }

  @Get('crash')
  crash(): never {
    throw new Error('internal detail: /var/lib/secret');
  }

  @Get('nest')
  nest(): never {
    throw new BadRequestException('validation failed for client_secret=TOPSECRET');
  }
}

describe('OAuthExceptionFilter in a Nest 12 express app', () => {
  let app: INestApplication;
  let logged: jest.SpyInstance;

  beforeAll(async () => {
    logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const moduleRef = await Test.createTestingModule({
      controllers: [ThrowingController],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    // Global, so it also sees body-parser errors raised before routing.
    app.useGlobalFilters(new OAuthExceptionFilter());
    await app.init();
  });

  afterAll(async () => {
    await app.close();
    logged.mockRestore();
  });

  function expectOAuthHeaders(response: request.Response): void {
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers.pragma).toBe('no-cache');
  }

  it('sends an OAuthError with its status, body and challenge', async () => {
    const response = await request(app.getHttpServer()).post('/oauth-filter-test/token');
    expect(response.status).toBe(401);
    expect(response.body).toEqual({
      error: 'invalid_client',
      error_description: 'Client authentication failed.',
    });
    expect(response.headers['www-authenticate']).toBe('Basic realm="test", charset="UTF-8"');
    expectOAuthHeaders(response);
  });

  it('answers malformed JSON from body-parser with 400 invalid_request, not quoting it', async () => {
    const response = await request(app.getHttpServer())
      .post('/oauth-filter-test/echo')
      .set('Content-Type', 'application/json')
      .send('{"client_secret":"TOPSECRET",');
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error: 'invalid_request',
      error_description: 'The request body could not be parsed.',
    });
    expect(response.text).not.toContain('TOPSECRET');
    expectOAuthHeaders(response);
  });

  it('answers an over-large body with 413 invalid_request', async () => {
    const response = await request(app.getHttpServer())
      .post('/oauth-filter-test/echo')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ padding: 'x'.repeat(200 * 1024) }));
    expect(response.status).toBe(413);
    expect(response.body).toEqual({
      error: 'invalid_request',
      error_description: 'The request body is too large.',
    });
    expectOAuthHeaders(response);
  });

  it('answers an unsupported charset with 415 invalid_request', async () => {
    const response = await request(app.getHttpServer())
      .post('/oauth-filter-test/echo')
      .set('Content-Type', 'application/json; charset=klingon')
      .send('{}');
    expect(response.status).toBe(415);
    expect(response.body.error).toBe('invalid_request');
  });

  it('answers an unknown route with 404 in OAuth form, not quoting the URL', async () => {
    const response = await request(app.getHttpServer()).get('/nowhere?code=SECRETCODE');
    expect(response.status).toBe(404);
    expect(response.body.error).toBe('invalid_request');
    expect(response.body).not.toHaveProperty('statusCode');
    expect(response.text).not.toContain('SECRETCODE');
  });

  it('answers a Nest HttpException without its message', async () => {
    const response = await request(app.getHttpServer()).get('/oauth-filter-test/nest');
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error: 'invalid_request',
      error_description: 'The request is malformed.',
    });
  });

  it('answers an unexpected error with a bare 500 server_error', async () => {
    const response = await request(app.getHttpServer()).get('/oauth-filter-test/crash');
    expect(response.status).toBe(500);
    expect(response.body).toEqual({
      error: 'server_error',
      error_description: 'The server encountered an unexpected error.',
    });
    expect(response.text).not.toContain('secret');
    expectOAuthHeaders(response);
  });
});
