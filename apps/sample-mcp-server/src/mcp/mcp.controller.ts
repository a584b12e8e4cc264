import {
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  HttpException,
  Inject,
  Post,
  Req,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import {
  BearerGuard,
  RequiredScopes,
  RequiredToolScopes,
  type HttpRequest,
  type McpAuthenticatedRequest,
  UpstreamTokens,
} from '@app/mcp-auth';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/app-config.constants';
import { upstreamProviders } from '../federation/upstream-providers';
import { McpBrowserPageFilter } from './mcp-browser-page.filter';
import { nodeExchange, type HttpReply } from './node-exchange';
import {
  createSampleMcpServer,
  type SampleServerStats,
  type SampleToolServices,
  TOOL_SCOPES,
} from './sample-tools';
import { UpstreamProfileReader } from './upstream-profile';

/**
 * The MCP endpoint: stateless Streamable HTTP (MCP TypeScript SDK v2, the Node transport of
 * `@modelcontextprotocol/node`), every request authenticated by its own bearer token (RS-5: no
 * session carries authentication). Runs on Express and Fastify alike.
 */
@Controller('mcp')
@UseGuards(BearerGuard)
@RequiredScopes('mcp:tools')
// RS-9: a tool that needs more than the endpoint's scope gets the 403 step-up challenge from
// the guard, before anything runs, naming every scope the call (or batch) needs.
@RequiredToolScopes(TOOL_SCOPES)
@UseFilters(McpBrowserPageFilter)
export class McpController {
  private readonly stats: SampleServerStats = { startedAt: new Date(), toolCalls: 0 };
  private readonly services: SampleToolServices;

  private readonly allowedOrigins: ReadonlySet<string>;
  /** On a loopback issuer (local development) any loopback page is the user's own. */
  private readonly allowLoopbackOrigins: boolean;

  constructor(@Inject(APP_CONFIG) config: AppConfig, upstreamTokens: UpstreamTokens) {
    this.allowedOrigins = new Set(config.allowedOrigins);
    this.allowLoopbackOrigins = LOOPBACK_ORIGIN.test(new URL(config.issuerUrl).origin);
    const providers = upstreamProviders(config.federation);
    // upstream_profile exists only where users can sign in at an identity provider.
    this.services =
      providers.length > 0
        ? { upstreamProfiles: new UpstreamProfileReader(upstreamTokens, providers) }
        : {};
  }

  @Post()
  async handle(
    @Req() request: McpAuthenticatedRequest<HttpRequest>,
    @Res() response: HttpReply,
  ): Promise<void> {
    // RS-11: a browser page on a foreign origin (DNS rebinding) gets 403, token or not.
    const origin = request.headers.origin;
    if (origin !== undefined && !this.originAllowed(origin)) {
      throw new HttpException(FORBIDDEN_ORIGIN, 403);
    }
    const body: unknown = request.body;
    // From here the SDK writes the Node response itself (on Fastify, the reply is hijacked).
    const { req, res } = nodeExchange(request, response);
    const server = createSampleMcpServer(this.stats, this.services);
    const transport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    // `req.auth` (BearerGuard's AuthInfo) reaches the tools as `ctx.http.authInfo`.
    await transport.handleRequest(req, res, body);
  }

  private originAllowed(origin: string): boolean {
    return (
      this.allowedOrigins.has(origin) || (this.allowLoopbackOrigins && LOOPBACK_ORIGIN.test(origin))
    );
  }

  /** No server-initiated stream and no sessions in this stateless server. */
  @Get()
  @HttpCode(405)
  @Header('Allow', 'POST')
  streamNotOffered(): typeof METHOD_NOT_ALLOWED {
    return METHOD_NOT_ALLOWED;
  }

  @Delete()
  @HttpCode(405)
  @Header('Allow', 'POST')
  noSessionToEnd(): typeof METHOD_NOT_ALLOWED {
    return METHOD_NOT_ALLOWED;
  }
}

const LOOPBACK_ORIGIN = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;

const FORBIDDEN_ORIGIN = {
  jsonrpc: '2.0',
  error: { code: -32000, message: 'Forbidden: this Origin may not call the MCP endpoint.' },
  id: null,
} as const;

const METHOD_NOT_ALLOWED = {
  jsonrpc: '2.0',
  error: { code: -32000, message: 'Method not allowed: this server is stateless, use POST.' },
  id: null,
} as const;
