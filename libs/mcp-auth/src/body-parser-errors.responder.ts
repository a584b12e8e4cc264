import { type HttpServer, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { NextFunction, Request, Response } from 'express';
import { OAuthError } from './oauth/oauth-error';
import { requestPath, type HttpRequest, type HttpResponse } from './http/http-exchange';
import { PageExceptionFilter } from './authorization-server/authorization/page-exception.filter';
import { McpAuthConfig } from './mcp-auth.config';
import { OAuthExceptionFilter } from './http/oauth-exception.filter';
import { ConnectedAppsContext } from './connected-apps/connected-apps.context';

type EndpointKind = 'json' | 'page';

/** How the router matches paths; Express's defaults when the adapter does not say. */
interface PathMatching {
  caseSensitive: boolean;
  ignoreTrailingSlash: boolean;
}

/**
 * The module's endpoint paths as the router matches them, so `/TOKEN` and `/token/` (which
 * Express serves with the `/token` handler) are recognized too.
 */
export class EndpointPaths {
  private readonly exact = new Map<string, EndpointKind>();
  private readonly pagePrefix: string;
  /** The administration API's JSON routes, when it is on. */
  private readonly adminPath: string | undefined;
  /** The connected-apps page (HTML) and its `/api` (JSON), when it is on. */
  private readonly appsPath: string | undefined;
  /** Federation's browser steps, the page's "Continue with" post among them. */
  private readonly federationPrefix: string;
  private readonly host: string | undefined;

  constructor(
    config: Pick<McpAuthConfig, 'endpoints' | 'host'> &
      Partial<Pick<McpAuthConfig, 'administration'>>,
    private readonly matching: PathMatching,
    connectedAppsPath?: string,
  ) {
    const { token, registration, revocation, introspection, authorization, interaction, jwks } =
      config.endpoints;
    const metadata = new URL('/.well-known/oauth-authorization-server', jwks).toString();
    for (const url of [token, registration, revocation, introspection, jwks, metadata]) {
      this.exact.set(this.normalize(new URL(url).pathname), 'json');
    }
    this.exact.set(this.normalize(new URL(authorization).pathname), 'page');
    this.pagePrefix = `${this.normalize(new URL(interaction).pathname)}/`;
    const admin = config.administration?.path;
    this.adminPath = admin === undefined ? undefined : this.normalize(admin);
    this.appsPath = connectedAppsPath === undefined ? undefined : this.normalize(connectedAppsPath);
    this.federationPrefix = `${this.normalize(new URL(config.endpoints.federation).pathname)}/`;
    this.host = config.host?.toLowerCase();
  }

  kindOf(path: string, hostname: string | undefined): EndpointKind | undefined {
    if (this.host !== undefined && hostname?.toLowerCase() !== this.host) return undefined;
    const normalized = this.normalize(path);
    if (
      this.adminPath !== undefined &&
      (normalized === this.adminPath || normalized.startsWith(`${this.adminPath}/`))
    ) {
      return 'json';
    }
    const apps = this.appsPath;
    if (apps !== undefined && (normalized === apps || normalized.startsWith(`${apps}/`))) {
      const api = this.normalize(`${apps}/api`);
      return normalized === api || normalized.startsWith(`${api}/`) ? 'json' : 'page';
    }
    return (
      this.exact.get(normalized) ??
      (normalized.startsWith(this.pagePrefix) || normalized.startsWith(this.federationPrefix)
        ? 'page'
        : undefined)
    );
  }

  private normalize(path: string): string {
    let result = this.matching.caseSensitive ? path : path.toLowerCase();
    if (this.matching.ignoreTrailingSlash && result.length > 1 && result.endsWith('/')) {
      result = result.slice(0, -1);
    }
    return result;
  }
}

/** Express's default body limit, kept on Fastify (whose own default is 1 MiB) for these paths. */
const BODY_LIMIT = 100 * 1024;
/** Express's form parser refuses more parameters than this before any handler runs. */
const PARAMETER_LIMIT = 1000;

type FastifyErrorHandler = (
  this: unknown,
  error: Error,
  request: HttpRequest,
  reply: HttpResponse,
) => unknown;

/** The Fastify instance members used here (no import of fastify itself). */
interface FastifyInstanceLike {
  addHook(
    name: 'preParsing' | 'preValidation',
    hook: (request: HttpRequest, reply: HttpResponse, ...rest: never[]) => Promise<unknown>,
  ): unknown;
}

/**
 * Answers errors raised before a handler runs (malformed JSON, 413, too many parameters, an
 * unsupported media type) on this module instance's own paths, in the endpoint's shape: RFC
 * 6749 JSON (AS-24) or an HTML page. Errors on every other path, and every error of the host's
 * controllers, RPC handlers and filters, take their usual course: no application-wide filter.
 *
 * - Express: an error middleware installed after the routes and before Nest's own error
 *   handler (`onModuleInit` runs between the two).
 * - Fastify: the error handler Nest installs after `onModuleInit` is wrapped as it is set;
 *   hooks give these paths Express's limits (body size, parameters, charset, encoding).
 */
@Injectable()
export class BodyParserErrorsResponder implements OnModuleInit {
  private readonly json = new OAuthExceptionFilter();
  private readonly pages = new PageExceptionFilter();

  constructor(
    private readonly config: McpAuthConfig,
    private readonly adapterHost: HttpAdapterHost,
    private readonly connectedApps: ConnectedAppsContext,
  ) {}

  private endpointPaths(): EndpointPaths {
    const server = this.adapterHost.httpAdapter as Partial<
      Pick<HttpServer, 'getRouteMatchingOptions'>
    >;
    const apps = this.connectedApps.options;
    return new EndpointPaths(
      this.config,
      {
        caseSensitive: false,
        ignoreTrailingSlash: true,
        ...server.getRouteMatchingOptions?.(),
      },
      apps.enabled ? apps.path : undefined,
    );
  }

  private respond(kind: 'json' | 'page', error: unknown, response: HttpResponse): void {
    (kind === 'json' ? this.json : this.pages).send(error, response);
  }

  /**
   * Runs after `app.init()` registered the routes and before Nest installs its error handler.
   * Express: an error middleware, which comes before Nest's. Fastify has one error handler per
   * scope, and setting a second is a warning: the one Nest is about to set is wrapped instead.
   */
  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter;
    const type = adapter?.getType();
    if (type !== 'express' && type !== 'fastify') return;
    const paths = this.endpointPaths();
    if (type === 'express') {
      adapter.use((error: unknown, request: Request, response: Response, next: NextFunction) => {
        const kind = paths.kindOf(request.path, request.hostname);
        if (kind === undefined) return next(error);
        this.respond(kind, error, response);
      });
      return;
    }
    this.limitFastifyBodies(adapter.getInstance<FastifyInstanceLike>(), paths);
    const respond = this.respond.bind(this);
    const setErrorHandler = adapter.setErrorHandler.bind(adapter);
    adapter.setErrorHandler = (handler: FastifyErrorHandler, prefix?: string): void => {
      // A function: Fastify calls error handlers with its instance as `this`.
      const ours: FastifyErrorHandler = function (this: unknown, error, request, reply) {
        const kind = isClientError(error)
          ? paths.kindOf(requestPath(request), request.hostname)
          : undefined;
        if (kind === undefined) return handler.call(this, error, request, reply);
        respond(kind, error, reply);
      };
      setErrorHandler(ours, prefix);
    };
  }

  private limitFastifyBodies(fastify: FastifyInstanceLike, paths: EndpointPaths): void {
    fastify.addHook('preParsing', async (request) => {
      if (paths.kindOf(requestPath(request), request.hostname) === undefined) return;
      const headers = request.headers;
      // An empty body is no body, whatever its label (as on Express): Fastify would refuse an
      // empty one labelled JSON before the handler could answer, say, 405.
      const noBody =
        headers['content-length'] === '0' ||
        (headers['content-length'] === undefined && headers['transfer-encoding'] === undefined);
      if (noBody) delete headers['content-type'];
      const length = Number(headers['content-length']);
      if (length > BODY_LIMIT) throw bodyError(413, 'The request body is too large.');
      // What Express's parsers refuse and Fastify's would read anyway.
      const encoding = headers['content-encoding']?.trim().toLowerCase();
      if (encoding !== undefined && encoding !== 'identity') {
        throw bodyError(415, 'The request body must not be compressed.');
      }
      const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(headers['content-type'] ?? '')?.[1];
      if (charset !== undefined && charset.toLowerCase() !== 'utf-8') {
        throw bodyError(415, 'The request body must be UTF-8.');
      }
    });
    fastify.addHook('preValidation', async (request) => {
      const body = request.body;
      if (body === null || typeof body !== 'object' || Array.isArray(body)) return;
      if (paths.kindOf(requestPath(request), request.hostname) === undefined) return;
      if (!isFormRequest(request)) return;
      if (Object.keys(body).length > PARAMETER_LIMIT) {
        throw bodyError(413, 'The request has too many parameters.');
      }
    });
  }
}

/** Errors of the request itself (parsers, limits): the ones answered in the endpoint's shape. */
function isClientError(error: unknown): boolean {
  const status = (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' && status >= 400 && status < 500;
}

function isFormRequest(request: HttpRequest): boolean {
  const type = request.headers['content-type'];
  return type?.split(';')[0].trim().toLowerCase() === 'application/x-www-form-urlencoded';
}

/** Shaped like a Fastify content-parser error, so the filters map it as they map those. */
function bodyError(status: number, message: string): Error {
  return Object.assign(new OAuthError('invalid_request', message, { status }), {
    statusCode: status,
  });
}
