import {
  Body,
  Controller,
  Get,
  HttpCode,
  Post,
  Req,
  Res,
  UseGuards,
  type CanActivate,
  type OnModuleInit,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import {
  AccessTokenIssuer,
  BearerGuard,
  ClientStore,
  GrantStore,
  McpAuthConfig,
  McpAuthorizationService,
  RequiredScopes,
  SigningKeyService,
  type ClientStore as ClientStoreContract,
  type GrantStore as GrantStoreContract,
  type HttpRequest,
} from '@app/mcp-auth';
// Not in the public API: the pieces the token and authorize endpoints run, measured in-process.
import { AuthorizationRequestValidator } from '../../libs/mcp-auth/src/authorization-server/authorization/authorization-request.validator';
import { computeS256Challenge } from '../../libs/mcp-auth/src/oauth/pkce';
import { randomToken } from '../../libs/mcp-auth/src/tokens/random-token';
import { hashSecret } from '../../libs/mcp-auth/src/tokens/secret-hash';
import { FormParameters } from '../../libs/mcp-auth/src/authorization-server/client-authentication/form-parameters';
import { AuthorizationCodeGrant } from '../../libs/mcp-auth/src/authorization-server/token/authorization-code.grant';
import {
  createSampleMcpServer,
  type SampleServerStats,
} from '../../apps/sample-mcp-server/src/mcp/sample-tools';
import { nodeExchange, type HttpReply } from '../../apps/sample-mcp-server/src/mcp/node-exchange';
import { benchMemory, benchPurge, type BenchMemory } from './bench-admin';

/** Allows everything: isolates what any guard costs in Nest from what BearerGuard costs. */
class AllowGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

/** The payload of both trivial routes, guarded and not. */
const TRIVIAL_BODY = { ok: true, service: 'bench' };

export interface MintRequest {
  kind: 'codes' | 'refresh_tokens' | 'access_tokens';
  count: number;
  clientId: string;
  redirectUri: string;
  scope?: string;
}

/**
 * Routes that exist only in the benchmark process: the baselines the guard is compared with,
 * and minting of single-use credentials through the library's own services (the same calls
 * /authorize, the interaction pages and /token make), so every bench request consumes a
 * distinct, real row.
 */
@Controller('bench')
export class BenchController implements OnModuleInit {
  private readonly stats: SampleServerStats = { startedAt: new Date(), toolCalls: 0 };
  private validator!: AuthorizationRequestValidator;
  private authorization!: McpAuthorizationService;
  private codeGrant!: AuthorizationCodeGrant;
  private issuer!: AccessTokenIssuer;
  private keys!: SigningKeyService;
  private clients!: ClientStoreContract;
  private grants!: GrantStoreContract;
  private config!: McpAuthConfig;

  constructor(private readonly moduleRef: ModuleRef) {}

  onModuleInit(): void {
    const get = <T>(token: string | symbol | (abstract new (...args: never[]) => unknown)): T =>
      this.moduleRef.get<unknown, T>(token, { strict: false });
    this.validator = get(AuthorizationRequestValidator);
    this.authorization = get(McpAuthorizationService);
    this.codeGrant = get(AuthorizationCodeGrant);
    this.issuer = get(AccessTokenIssuer);
    this.keys = get(SigningKeyService);
    this.clients = get(ClientStore);
    this.grants = get(GrantStore);
    this.config = get(McpAuthConfig);
  }

  /** Baseline of scenario 1: no guard. */
  @Get('plain')
  plain(): typeof TRIVIAL_BODY {
    return TRIVIAL_BODY;
  }

  /** Scenario 1: the same route behind BearerGuard + @RequiredScopes. */
  @Get('guarded')
  @UseGuards(BearerGuard)
  @RequiredScopes('mcp:tools')
  guarded(): typeof TRIVIAL_BODY {
    return TRIVIAL_BODY;
  }

  /** Diagnostics: Nest's guard machinery alone (a guard that always allows). */
  @Get('noop-guard')
  @UseGuards(AllowGuard)
  noopGuarded(): typeof TRIVIAL_BODY {
    return TRIVIAL_BODY;
  }

  /** Baseline of scenario 4: the same form body parsed, no database. */
  @Post('form')
  @HttpCode(200)
  form(@Req() request: HttpRequest): typeof TRIVIAL_BODY {
    FormParameters.fromRequest(request).require('grant_type');
    return TRIVIAL_BODY;
  }

  /**
   * Baseline of scenario 2: the sample's MCP endpoint (the same code as McpController) with
   * no guard and no per-tool scope check.
   */
  @Post('mcp-open')
  async mcpOpen(@Req() request: HttpRequest, @Res() response: HttpReply): Promise<void> {
    const { req, res } = nodeExchange(request, response);
    const server = createSampleMcpServer(this.stats);
    const transport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, request.body);
  }

  /** Diagnostics: `mcp-open` behind BearerGuard only (no tool scopes, no origin check). */
  @Post('mcp-guarded')
  @UseGuards(BearerGuard)
  @RequiredScopes('mcp:tools')
  mcpGuarded(@Req() request: HttpRequest, @Res() response: HttpReply): Promise<void> {
    return this.mcpOpen(request, response);
  }

  /** Diagnostics: `mcp-open` behind a guard that always allows (Nest's guard path alone). */
  @Post('mcp-noop-guard')
  @UseGuards(AllowGuard)
  mcpNoopGuarded(@Req() request: HttpRequest, @Res() response: HttpReply): Promise<void> {
    return this.mcpOpen(request, response);
  }

  /** Creates `count` codes, refresh tokens or access tokens for one registered client. */
  @Post('admin/mint')
  @HttpCode(200)
  async mint(@Body() body: MintRequest): Promise<unknown[]> {
    const count = Math.max(0, Math.min(Number(body.count) || 0, 50_000));
    const results: unknown[] = new Array(count);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < count) {
        const index = next++;
        results[index] = await this.mintOne(body);
      }
    };
    try {
      // A few at a time: the pool has 10 connections.
      await Promise.all(Array.from({ length: 8 }, worker));
    } catch (error) {
      process.stderr.write(`mint failed: ${(error as Error).stack ?? String(error)}\n`);
      throw error;
    }
    return results;
  }

  /** Heap after a full collection and the deny-list's size (cost-as-data-grows scenarios). */
  @Get('admin/memory')
  memory(): BenchMemory {
    return benchMemory(this.moduleRef);
  }

  /** One run of the clean-up's purger, as the scheduled clean-up does it; answers its report. */
  @Post('admin/purge')
  @HttpCode(200)
  purge(): Promise<{ ms: number; deleted: Record<string, number> }> {
    return benchPurge(this.moduleRef);
  }

  /** Rotates the signing key `count` times: every retired key stays in the JWKS. */
  @Post('admin/rotate')
  @HttpCode(200)
  async rotate(@Body() body: { count: number }): Promise<{ keys: number }> {
    for (let i = 0; i < body.count; i += 1) await this.keys.rotate();
    return { keys: this.keys.getJwks().keys.length };
  }

  private async mintOne(request: MintRequest): Promise<unknown> {
    if (request.kind === 'access_tokens') return this.mintAccessToken(request);
    const code = await this.mintCode(request);
    if (request.kind === 'codes') return code;
    const client = await this.clients.findById(request.clientId);
    if (!client) throw new Error('unknown client');
    const response = await this.codeGrant.exchange(
      client,
      FormParameters.fromObject({
        grant_type: 'authorization_code',
        code: code.code,
        code_verifier: code.verifier,
        redirect_uri: request.redirectUri,
      }),
    );
    return { refreshToken: response.refresh_token, accessToken: response.access_token };
  }

  /** What /authorize, the login page and the consent page do, minus the browser. */
  private async mintCode(request: MintRequest): Promise<{ code: string; verifier: string }> {
    const verifier = randomToken(48);
    const validated = await this.validator.validate({
      response_type: 'code',
      client_id: request.clientId,
      redirect_uri: request.redirectUri,
      code_challenge: computeS256Challenge(verifier),
      code_challenge_method: 'S256',
      scope: request.scope ?? 'mcp:tools',
      resource: this.config.defaultResource.uri,
      state: randomToken(16),
    });
    const interaction = await this.authorization.begin(validated, hashSecret(randomToken()));
    const { redirectUrl } = await this.authorization.completeAuthorization(interaction, {
      subject: 'bench-user',
    });
    const code = new URL(redirectUrl).searchParams.get('code');
    if (!code) throw new Error(`no code in ${redirectUrl}`);
    return { code, verifier };
  }

  private grantId: Promise<string> | undefined;

  /** Distinct access tokens of one grant: what /token signs, without the database round trips. */
  private async mintAccessToken(request: MintRequest): Promise<string> {
    this.grantId ??= this.grants
      .createGrant({
        clientId: request.clientId,
        subject: 'bench-user',
        scopes: ['mcp:tools'],
        resource: this.config.defaultResource.uri,
        expiresAt: new Date(Date.now() + 3_600_000),
      })
      .then((grant) => grant.id);
    const issued = await this.issuer.issue({
      subject: 'bench-user',
      clientId: request.clientId,
      audience: this.config.defaultResource.uri,
      scopes: (request.scope ?? 'mcp:tools').split(' '),
      grantId: await this.grantId,
    });
    return issued.token;
  }
}
