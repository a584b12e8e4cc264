import { type ArgumentsHost, Catch } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { Request, Response } from 'express';
import {
  PAGE_HEADERS,
  renderErrorPage,
} from '../authorization-server/authorization/interaction-pages';
import { OAuthExceptionFilter } from './oauth-exception.filter';

const PAGE_TITLES: Record<number, string> = {
  400: 'Invalid request',
  404: 'Not found',
  405: 'Method not allowed',
  413: 'Request too large',
  415: 'Unsupported request',
  429: 'Too many requests',
  503: 'Temporarily unavailable',
};

/**
 * Application-wide filter that gives the OAuth JSON endpoints RFC 6749 error bodies even for
 * errors raised before routing (malformed JSON, oversized bodies: body-parser runs first, so
 * only a global filter sees them), and the browser-facing endpoints (`/authorize`, the login
 * and consent pages) an HTML error page: a browser is on them, and before the client's
 * redirect URI is validated nothing may be redirected (AS-14). Every other path gets Nest's
 * default handling, unchanged.
 */
@Catch()
export class OAuthEndpointsExceptionFilter extends BaseExceptionFilter {
  /** Paths of the OAuth JSON endpoints of every module instance in the process. */
  private static readonly paths = new Set<string>();
  /** Exact paths of the page endpoints (`/authorize`) of every instance. */
  private static readonly pagePaths = new Set<string>();
  /** Path prefixes of the page endpoints (`/interaction/`) of every instance. */
  private static readonly pagePrefixes = new Set<string>();
  private readonly oauth = new OAuthExceptionFilter();

  static register(paths: Iterable<string>): void {
    for (const path of paths) OAuthEndpointsExceptionFilter.paths.add(path);
  }

  /** Registers browser-facing endpoints: an exact path, or a prefix ending in `/`. */
  static registerPages(paths: Iterable<string>, prefixes: Iterable<string> = []): void {
    for (const path of paths) OAuthEndpointsExceptionFilter.pagePaths.add(path);
    for (const prefix of prefixes) OAuthEndpointsExceptionFilter.pagePrefixes.add(prefix);
  }

  /** Whether a request targets an OAuth JSON endpoint (for hosts with their own global filter). */
  static handles(request: Pick<Request, 'path'>): boolean {
    return OAuthEndpointsExceptionFilter.paths.has(request.path);
  }

  /** Whether a request targets a browser-facing endpoint of the module. */
  static handlesPage(request: Pick<Request, 'path'>): boolean {
    const path = request.path;
    if (OAuthEndpointsExceptionFilter.pagePaths.has(path)) return true;
    for (const prefix of OAuthEndpointsExceptionFilter.pagePrefixes) {
      if (path.startsWith(prefix)) return true;
    }
    return false;
  }

  override catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() === 'http') {
      const request = host.switchToHttp().getRequest<Request>();
      if (OAuthEndpointsExceptionFilter.handles(request)) {
        this.oauth.catch(exception, host);
        return;
      }
      if (OAuthEndpointsExceptionFilter.handlesPage(request)) {
        this.sendPage(exception, host.switchToHttp().getResponse<Response>());
        return;
      }
    }
    super.catch(exception, host);
  }

  /**
   * The same status mapping as the JSON endpoints (which never echoes the request and never
   * logs a body-parser error's raw body), rendered as an error page.
   */
  private sendPage(exception: unknown, response: Response): void {
    if (response.headersSent) {
      // Already answered (e.g. the rate-limit page); only finish it.
      if (!response.writableEnded) response.end();
      return;
    }
    const { status, body, headers } = this.oauth.toResponse(exception);
    const title =
      PAGE_TITLES[status] ?? (status >= 500 ? 'Something went wrong' : 'Request refused');
    const message =
      status >= 500 && status !== 503
        ? 'The request could not be processed.'
        : (body.error_description ?? 'The request could not be processed.');
    response.status(status).set(PAGE_HEADERS);
    for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
    response.send(renderErrorPage(title, message));
  }
}
