import { type HttpServer, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { NextFunction, Request, Response } from 'express';
import { PageExceptionFilter } from './authorization-server/authorization/page-exception.filter';
import { McpAuthConfig } from './mcp-auth.config';
import { OAuthExceptionFilter } from './http/oauth-exception.filter';

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
  private readonly host: string | undefined;

  constructor(
    config: Pick<McpAuthConfig, 'endpoints' | 'host'>,
    private readonly matching: PathMatching,
  ) {
    const { token, registration, revocation, introspection, authorization, interaction } =
      config.endpoints;
    for (const url of [token, registration, revocation, introspection]) {
      this.exact.set(this.normalize(new URL(url).pathname), 'json');
    }
    this.exact.set(this.normalize(new URL(authorization).pathname), 'page');
    this.pagePrefix = `${this.normalize(new URL(interaction).pathname)}/`;
    this.host = config.host?.toLowerCase();
  }

  kindOf(path: string, hostname: string | undefined): EndpointKind | undefined {
    if (this.host !== undefined && hostname?.toLowerCase() !== this.host) return undefined;
    const normalized = this.normalize(path);
    return (
      this.exact.get(normalized) ?? (normalized.startsWith(this.pagePrefix) ? 'page' : undefined)
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

/**
 * Answers errors raised before routing (body-parser: malformed JSON, 413, too many
 * parameters) on this module instance's own paths, in the endpoint's shape: RFC 6749 JSON
 * (AS-24) or an HTML page. It is an Express error middleware installed after the routes and
 * before Nest's own error handler, so errors on every other path, and every error of the host's
 * controllers, RPC handlers and filters, take their usual course: no application-wide filter.
 */
@Injectable()
export class BodyParserErrorsResponder implements OnModuleInit {
  private readonly json = new OAuthExceptionFilter();
  private readonly pages = new PageExceptionFilter();

  constructor(
    private readonly config: McpAuthConfig,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  /** Runs after `app.init()` registered the routes and before Nest's error handler. */
  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter;
    if (adapter?.getType() !== 'express') return;
    const server = adapter as Partial<Pick<HttpServer, 'getRouteMatchingOptions'>>;
    const paths = new EndpointPaths(this.config, {
      caseSensitive: false,
      ignoreTrailingSlash: true,
      ...server.getRouteMatchingOptions?.(),
    });
    adapter.use((error: unknown, request: Request, response: Response, next: NextFunction) => {
      const kind = paths.kindOf(request.path, request.hostname);
      if (kind === undefined) return next(error);
      (kind === 'json' ? this.json : this.pages).send(error, response);
    });
  }
}
