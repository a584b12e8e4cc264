import { type ArgumentsHost, Catch, HttpException, Inject } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { Request, Response } from 'express';
import { BearerChallengeException } from '@app/mcp-auth';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG, SERVICE_NAME } from '../config/app-config.constants';
import { renderMcpEndpointPage } from '../web/mcp-endpoint-page';
import { PAGE_HEADERS } from '../web/page-layout';

/**
 * A browser opening the MCP endpoint gets a page saying what it is, instead of an empty JSON
 * body. Same 401 and same `WWW-Authenticate` challenge, and only for a GET that prefers HTML,
 * which MCP clients never send: everything else is answered by Nest's default filter.
 */
@Catch(HttpException)
export class McpBrowserPageFilter extends BaseExceptionFilter {
  private readonly page: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    super();
    this.page = renderMcpEndpointPage({
      serviceName: SERVICE_NAME,
      mcpUrl: `${config.issuerUrl}/mcp`,
    });
  }

  override catch(exception: HttpException, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<Request>();
    const response = host.switchToHttp().getResponse<Response>();
    if (exception.getStatus() !== 401 || request.method !== 'GET' || !prefersHtml(request)) {
      super.catch(exception, host);
      return;
    }
    response.status(401).set(PAGE_HEADERS);
    // The guard has set the challenge already; a challenge thrown from elsewhere has not.
    if (exception instanceof BearerChallengeException) exception.applyTo(response);
    response.send(this.page);
  }
}

/** MCP clients accept JSON or an event stream; a browser navigation puts text/html first. */
function prefersHtml(request: Request): boolean {
  return request.accepts(['application/json', 'text/event-stream', 'text/html']) === 'text/html';
}
