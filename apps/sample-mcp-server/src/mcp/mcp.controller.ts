import {
  Controller,
  Delete,
  Get,
  Inject,
  Post,
  Req,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Response } from 'express';
import {
  BearerGuard,
  requireScopes,
  RequiredScopes,
  type McpAuthenticatedRequest,
} from '@app/mcp-auth';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/app-config.constants';
import { McpBrowserPageFilter } from './mcp-browser-page.filter';
import { createSampleMcpServer, type SampleServerStats, TOOL_SCOPES } from './sample-tools';

/**
 * The MCP endpoint: stateless Streamable HTTP, every request authenticated by its own bearer
 * token (RS-5: no session carries authentication).
 */
@Controller('mcp')
@UseGuards(BearerGuard)
@RequiredScopes('mcp:tools')
@UseFilters(McpBrowserPageFilter)
export class McpController {
  private readonly stats: SampleServerStats = { startedAt: new Date(), toolCalls: 0 };

  private readonly allowedOrigins: ReadonlySet<string>;
  /** On a loopback issuer (local development) any loopback page is the user's own. */
  private readonly allowLoopbackOrigins: boolean;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.allowedOrigins = new Set(config.allowedOrigins);
    this.allowLoopbackOrigins = LOOPBACK_ORIGIN.test(new URL(config.issuerUrl).origin);
  }

  @Post()
  async handle(@Req() request: McpAuthenticatedRequest, @Res() response: Response): Promise<void> {
    // RS-11: a browser page on a foreign origin (DNS rebinding) gets 403, token or not.
    const origin = request.headers.origin;
    if (origin !== undefined && !this.originAllowed(origin)) {
      response.status(403).json({
        jsonrpc: '2.0',
        error: { code: -32000, message: 'Forbidden: this Origin may not call the MCP endpoint.' },
        id: null,
      });
      return;
    }
    const body: unknown = request.body;
    // RS-9: a tool that needs more than the endpoint's scope gets the 403 step-up challenge
    // before anything runs, naming every scope the call needs.
    for (const message of Array.isArray(body) ? body : [body]) {
      const toolName = toolCallName(message);
      if (toolName) requireScopes(request, TOOL_SCOPES[toolName] ?? []);
    }
    const server = createSampleMcpServer(this.stats);
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    response.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    // `request.auth` (set by BearerGuard) reaches the tools as `extra.authInfo`.
    await transport.handleRequest(request, response, body);
  }

  private originAllowed(origin: string): boolean {
    return (
      this.allowedOrigins.has(origin) || (this.allowLoopbackOrigins && LOOPBACK_ORIGIN.test(origin))
    );
  }

  /** No server-initiated stream and no sessions in this stateless server. */
  @Get()
  streamNotOffered(@Res() response: Response): void {
    methodNotAllowed(response);
  }

  @Delete()
  noSessionToEnd(@Res() response: Response): void {
    methodNotAllowed(response);
  }
}

const LOOPBACK_ORIGIN = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;

function toolCallName(message: unknown): string | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const { method, params } = message as { method?: unknown; params?: { name?: unknown } };
  return method === 'tools/call' && typeof params?.name === 'string' ? params.name : undefined;
}

function methodNotAllowed(response: Response): void {
  response
    .status(405)
    .set('Allow', 'POST')
    .json({
      jsonrpc: '2.0',
      error: { code: -32000, message: 'Method not allowed: this server is stateless, use POST.' },
      id: null,
    });
}
