import {
  Client,
  StreamableHTTPClientTransport,
  UnauthorizedError,
  type OAuthClientProvider,
  type OAuthTokens,
} from '@modelcontextprotocol/client';
import { Controller, UseGuards } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import {
  McpContext,
  McpController,
  McpHttpControllerFor,
  McpStrategy,
  StreamableHttpTransport,
  Tool,
  ToolScopes,
} from '@rekog/mcp-nest';
import { RequiredScopes, type McpPrincipal } from '@app/mcp-auth/resource-server';
import { McpNestBearerGuard } from '@app/mcp-auth/resource-server';
import {
  InMemoryOAuthClientProvider,
  recordingFetch,
  type Exchange,
} from '../support/oauth-client-provider';
import { createTestApp, freePort, type TestApp } from '../support/test-app';
import { TEST_USERS } from '../support/test-authenticator';

/**
 * `@rekog/mcp-nest` 2.x (the NestJS MCP library, on MCP SDK v2) behind this library: its
 * Streamable HTTP transport mounted by a Nest controller that `McpNestBearerGuard` (our
 * `BearerGuard` plus the hand-over to mcp-nest) protects, `McpAuthModule` as the
 * authorization server, tools declared with mcp-nest's decorators. The official SDK v2 client
 * runs the whole OAuth flow given only the MCP URL, the tools see the principal, and a tool
 * needing `mcp:admin` answers mcp-nest's 403 step-up challenge, which the client follows.
 */

jest.setTimeout(120_000);

// mcp-nest's wiring, as an app declares it at module level.
const transport = new StreamableHttpTransport({ stepUpAuthorization: true });
const mcp = new McpStrategy({
  name: 'mcp-nest-behind-mcp-auth',
  version: '1.0.0',
  transports: [transport],
  logging: false,
});

/** The MCP endpoint: mcp-nest's POST/GET/DELETE handlers behind our guard. */
@Controller('mcp')
@UseGuards(McpNestBearerGuard)
@RequiredScopes('mcp:tools')
class McpHttpController extends McpHttpControllerFor(transport) {}

/** What a tool sees of the caller. */
function whoIs(ctx: McpContext) {
  const user = ctx.getRawRequest<{ user?: McpPrincipal }>()?.user;
  return {
    subject: user?.subject,
    clientId: user?.clientId,
    scopes: user?.scopes,
    scope: user?.scope,
    aud: user?.claims.aud,
    iss: user?.claims.iss,
  };
}

function text(value: unknown) {
  return { content: [{ type: 'text' as const, text: JSON.stringify(value) }] };
}

@McpController()
class Tools {
  @Tool({ name: 'whoami', description: 'The caller as the tool sees it' })
  whoami(@Payload() _args: unknown, @Ctx() ctx: McpContext) {
    return text(whoIs(ctx));
  }

  @Tool({ name: 'admin_stats', description: 'Needs mcp:admin on top of the endpoint scope' })
  @ToolScopes(['mcp:tools', 'mcp:admin'])
  adminStats(@Payload() _args: unknown, @Ctx() ctx: McpContext) {
    return text({ admin: true, caller: whoIs(ctx) });
  }
}

interface ToolResult {
  content?: { type: string; text?: string }[];
  isError?: boolean;
}
const parsed = (result: unknown) =>
  JSON.parse((result as ToolResult).content?.[0]?.text ?? 'null') as Record<string, unknown>;

describe('@rekog/mcp-nest behind BearerGuard, with McpAuthModule as the authorization server (SDK v2 client)', () => {
  let app: TestApp;
  let mcpUrl: string;
  let prmUrl: string;
  const log: Exchange[] = [];
  let provider: InMemoryOAuthClientProvider;
  let client: Client | undefined;
  /** The first tokens (mcp:tools), kept to step up a second time. */
  let toolsOnly: OAuthTokens | undefined;

  /** The client as an app would build it; the v1-typed test provider fits v2's interface. */
  function newTransport(): StreamableHTTPClientTransport {
    return new StreamableHTTPClientTransport(new URL(mcpUrl), {
      authProvider: provider as unknown as OAuthClientProvider,
      fetch: recordingFetch(log),
    });
  }

  /** The person signs in and consents; the transport exchanges the code (iss checked). */
  async function signInAndFinish(t: StreamableHTTPClientTransport): Promise<void> {
    const { redirect } = await provider.signIn(app.url);
    await t.finishAuth(redirect.searchParams);
  }

  beforeAll(async () => {
    app = await createTestApp({
      auth: () => ({ resources: [{ path: '/mcp', scopes: ['mcp:tools'] }] }),
      module: { controllers: [McpHttpController, Tools] },
    });
    // mcp-nest runs as a microservice strategy; the HTTP route is our controller's, so the
    // strategy only has to be started (no self-mount, no HTTP adapter).
    app.app.connectMicroservice({ strategy: mcp });
    await app.app.startAllMicroservices();
    mcpUrl = `${app.url}/mcp`;
    prmUrl = `${app.url}/.well-known/oauth-protected-resource/mcp`;
    provider = new InMemoryOAuthClientProvider(`http://127.0.0.1:${await freePort()}/callback`, {
      user: { username: 'alice', password: TEST_USERS.alice.password },
    });
  });
  afterAll(async () => {
    await client?.close();
    await app?.close();
  });

  it('connect() gets our 401, discovers the PRM and the AS, registers and asks to open /authorize', async () => {
    const first = newTransport();
    await expect(
      new Client({ name: 'mcp-nest-proof', version: '1.0.0' }).connect(first),
    ).rejects.toBeInstanceOf(UnauthorizedError);

    expect(log[0].method).toBe('POST');
    expect(log[0].url).toBe(mcpUrl);
    expect(log[0].status).toBe(401);
    expect(log[0].responseHeaders.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${prmUrl}", scope="mcp:tools"`,
    );
    expect(log.map((e) => `${e.method} ${e.url} ${e.status}`)).toEqual(
      expect.arrayContaining([
        `GET ${prmUrl} 200`,
        `GET ${app.url}/.well-known/oauth-authorization-server 200`,
        `POST ${app.url}/register 201`,
      ]),
    );
    const url = provider.authorizationUrl as URL;
    expect(url.origin + url.pathname).toBe(`${app.url}/authorize`);
    expect(url.searchParams.get('resource')).toBe(mcpUrl);
    // The challenge's scope, plus offline_access: SDK v2 asks for it when the AS offers it.
    expect(url.searchParams.get('scope')).toBe('mcp:tools offline_access');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');

    await signInAndFinish(first);
    expect(provider.tokens()?.scope).toBe('mcp:tools offline_access');
    toolsOnly = provider.tokens();
  });

  it('lists the tools mcp-nest lets an mcp:tools token see, and whoami sees the principal BearerGuard set', async () => {
    client = new Client({ name: 'mcp-nest-proof', version: '1.0.0' });
    await client.connect(newTransport());

    // mcp-nest filters tools/list by @ToolScopes against req.user.scope.
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['whoami']);

    const who = parsed(await client.callTool({ name: 'whoami', arguments: {} }));
    expect(who).toEqual({
      subject: TEST_USERS.alice.subject,
      clientId: provider.clientInformation()?.client_id,
      scopes: ['mcp:tools', 'offline_access'],
      scope: 'mcp:tools offline_access',
      aud: mcpUrl,
      iss: app.url,
    });
  });

  it('admin_stats without mcp:admin: 403 insufficient_scope from mcp-nest, with our PRM URL and every scope the call needs', async () => {
    // The raw exchange, as any client sees it.
    const response = await fetch(mcpUrl, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${provider.tokens()?.access_token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2025-11-25',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 7,
        method: 'tools/call',
        params: { name: 'admin_stats', arguments: {} },
      }),
    });
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toBe(
      `Bearer error="insufficient_scope", error_description="Tool 'admin_stats' requires scopes: mcp:tools, mcp:admin", scope="mcp:tools mcp:admin", resource_metadata="${prmUrl}"`,
    );
    expect(await response.json()).toEqual({
      jsonrpc: '2.0',
      id: 7,
      error: { code: -32600, message: "Tool 'admin_stats' requires scopes: mcp:tools, mcp:admin" },
    });
  });

  /**
   * The step-up as the SDK v2 client runs it on its own: the call gets mcp-nest's 403, the
   * transport runs auth() for the union of its scopes and the challenged ones, which ends in
   * "open the browser"; once the person consents, a new connection makes the call.
   */
  async function stepUp(mode: 'legacy' | 'auto'): Promise<Exchange[]> {
    const from = log.length;
    const urlsBefore = provider.authorizationUrls.length;
    const options = { versionNegotiation: { mode } };
    const stepUpTransport = newTransport();
    const stepUpClient = new Client({ name: 'mcp-nest-proof', version: '1.0.0' }, options);
    await stepUpClient.connect(stepUpTransport);
    await expect(
      stepUpClient.callTool({ name: 'admin_stats', arguments: {} }),
    ).rejects.toBeInstanceOf(UnauthorizedError);

    const refused = log.slice(from).find((e) => e.url === mcpUrl && e.status === 403);
    expect(refused?.responseHeaders.get('www-authenticate')).toBe(
      `Bearer error="insufficient_scope", error_description="Tool 'admin_stats' requires scopes: mcp:tools, mcp:admin", scope="mcp:tools mcp:admin", resource_metadata="${prmUrl}"`,
    );
    expect(provider.authorizationUrls.length).toBe(urlsBefore + 1);
    // SDK v2 asks for the union of what it held and what the challenge named.
    expect(provider.authorizationUrl?.searchParams.get('scope')).toBe(
      'mcp:tools offline_access mcp:admin',
    );
    await signInAndFinish(stepUpTransport);
    expect(provider.tokens()?.scope).toBe('mcp:tools offline_access mcp:admin');
    await stepUpClient.close();

    const after = new Client({ name: 'mcp-nest-proof', version: '1.0.0' }, options);
    await after.connect(newTransport());
    try {
      const { tools } = await after.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(['admin_stats', 'whoami']);
      const stats = parsed(await after.callTool({ name: 'admin_stats', arguments: {} }));
      expect(stats).toEqual({
        admin: true,
        caller: expect.objectContaining({
          subject: TEST_USERS.alice.subject,
          scopes: ['mcp:tools', 'offline_access', 'mcp:admin'],
          scope: 'mcp:tools offline_access mcp:admin',
        }),
      });
    } finally {
      await after.close();
    }
    return log.slice(from).filter((e) => e.url === mcpUrl);
  }

  it('the SDK client (2025-11-25) steps up on that 403: re-authorizes for the challenged scopes, and the call then succeeds', async () => {
    const exchanges = await stepUp('legacy');
    expect(
      exchanges.every((e) => e.requestHeaders.get('mcp-protocol-version') !== '2026-07-28'),
    ).toBe(true);
  });

  it("the same over the 2026-07-28 protocol (no initialize, mcp-nest's modern leg), from an mcp:tools token again", async () => {
    provider.setTokens(toolsOnly);
    const exchanges = await stepUp('auto');
    expect(
      exchanges.some((e) => e.requestHeaders.get('mcp-protocol-version') === '2026-07-28'),
    ).toBe(true);
    expect(exchanges.some((e) => e.body?.includes('"initialize"'))).toBe(false);
  });
});
