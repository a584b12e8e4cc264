import { type ArgumentsHost, Catch, HttpException, Inject } from '@nestjs/common';
import { BaseExceptionFilter, HttpAdapterHost } from '@nestjs/core';
import { BearerChallengeException, type HttpRequest, type HttpResponse } from '@app/mcp-auth';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG, SERVICE_NAME } from '../config/app-config.constants';
import { preferredMediaType } from '../web/accept';
import { renderMcpEndpointPage } from '../web/mcp-endpoint-page';
import { PAGE_HEADERS } from '../web/page-layout';

/**
 * A browser opening the MCP endpoint gets a page saying what it is, instead of an empty JSON
 * body. Same 401 and same `WWW-Authenticate` challenge, and only for a GET that prefers HTML,
 * which MCP clients never send: everything else is answered by Nest's default filter. Written
 * through Nest's HTTP adapter, so it works on Express and Fastify alike.
 */
@Catch(HttpException)
export class McpBrowserPageFilter extends BaseExceptionFilter {
  private readonly page: string;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    super();
    this.page = renderMcpEndpointPage({
      serviceName: SERVICE_NAME,
      mcpUrl: `${config.issuerUrl}/mcp`,
    });
  }

  override catch(exception: HttpException, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<HttpRequest>();
    const response = host.switchToHttp().getResponse<HttpResponse>();
    if (exception.getStatus() !== 401 || request.method !== 'GET' || !prefersHtml(request)) {
      super.catch(exception, host);
      return;
    }
    const adapter = this.adapterHost.httpAdapter;
    for (const [name, value] of Object.entries(PAGE_HEADERS)) {
      adapter.setHeader(response, name, value);
    }
    // The guard has set the challenge already; a challenge thrown from elsewhere has not.
    if (exception instanceof BearerChallengeException) exception.applyTo(response);
    adapter.reply(response, this.page, 401);
  }
}

/** MCP clients accept JSON or an event stream; a browser navigation puts text/html first. */
function prefersHtml(request: HttpRequest): boolean {
  const accept = request.headers.accept;
  return (
    preferredMediaType(accept, ['application/json', 'text/event-stream', 'text/html']) ===
    'text/html'
  );
}
