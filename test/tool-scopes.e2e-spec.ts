import { Controller, Get, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  AccessTokenIssuer,
  BearerGuard,
  hasToolScopes,
  RequiredScopes,
  RequiredToolScopes,
  requireScopes,
  type AuthInfo,
} from '@app/mcp-auth';
import {
  InMemoryOAuthClientProvider,
  recordingFetch,
  type Exchange,
} from './support/oauth-client-provider';
import { createTestApp, freePort, TEST_HTTP_ADAPTER, type TestApp } from './support/test-app';
import { TEST_USERS } from './support/test-authenticator';

/**
 * Per-tool scopes (`@RequiredToolScopes`) on an MCP endpoint served by the SDK's own Streamable
 * HTTP transport (stateless), on the adapter under test: BearerGuard reads the JSON-RPC body and
 * answers the 403 step-up challenge before the transport, and so any tool, runs (RS-9).
 */

jest.setTimeout(60_000);

/** Every tool callback that ran, in order. */
const ran: string[] = [];

const TOOL_SCOPES = {
  'delete-file': 'files:write',
  'server-stats': ['mcp:admin'],
} as const;

function createServer(request: object): McpServer {
  const server = new McpServer({ name: 'tool-scopes-test', version: '1.0.0' });
  const text = (value: string) => ({ content: [{ type: 'text' as const, text: value }] });
  server.registerTool('echo', { description: 'Echo' }, () => {
    ran.push('echo');
    return text('echo');
  });
  server.registerTool('delete-file', { description: 'Deletes a file' }, (extra) => {
    ran.push('delete-file');
    return text(`deleted by ${String(extra.authInfo?.extra?.sub)}`);
  });
  server.registerTool('server-stats', { description: 'Statistics' }, () => {
    ran.push('server-stats');
    return text('stats');
  });
  // The pitfall the declaration avoids: a refusal thrown inside a tool callback.
  server.registerTool('checks-itself', { description: 'Refuses in its callback' }, () => {
    ran.push('checks-itself');
    requireScopes(request, 'mcp:admin');
    return text('not reached');
  });
  // What a host may do to list only callable tools: register by the token's scopes.
  if (hasToolScopes(request, 'server-stats')) {
    server.registerTool('admin-only', { description: 'Listed to admins only' }, () =>
      text('admin'),
    );
  }
  return server;
}

/** The Node request and response under either adapter's (Fastify: `raw`). */
interface AdapterRequest {
  raw?: IncomingMessage;
  body?: unknown;
  auth: AuthInfo;
}
interface AdapterResponse {
  raw?: ServerResponse;
  hijack?: () => void;
}

@Controller('mcp')
@UseGuards(BearerGuard)
@RequiredScopes('mcp:tools')
@RequiredToolScopes(TOOL_SCOPES)
class ToolScopesMcpController {
  @Post()
  async handle(@Req() req: AdapterRequest, @Res() res: AdapterResponse): Promise<void> {
    // Fastify: the SDK writes the Node response itself, so the reply is handed over.
    res.hijack?.();
    const nodeRequest = (req.raw ?? req) as IncomingMessage & { auth?: AuthInfo };
    nodeRequest.auth = req.auth;
    const nodeResponse = (res.raw ?? res) as ServerResponse;
    const server = createServer(req);
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    nodeResponse.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(nodeRequest, nodeResponse, req.body);
  }

  @Get()
  noStream(@Res() res: AdapterResponse): void {
    res.hijack?.();
    (res.raw ?? (res as ServerResponse)).writeHead(405, { Allow: 'POST' }).end();
  }
}

const MCP_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2025-06-18',
};

const callOf = (name: string, id: number = 1) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: {} },
});

describe(`@RequiredToolScopes with the SDK's Streamable HTTP transport (${TEST_HTTP_ADAPTER})`, () => {
  let t: TestApp;
  let mcpUrl: string;
  let prmUrl: string;

  beforeAll(async () => {
    t = await createTestApp({
      auth: () => ({
        resources: [
          {
            path: '/mcp',
            scopes: ['mcp:tools', 'mcp:admin', 'files:write', 'files:admin'],
          },
        ],
        scopes: {
          'mcp:tools': 'Call tools',
          'mcp:admin': 'Administer the server',
          'files:write': 'Change files',
          'files:admin': 'Administer files',
          offline_access: 'Stay signed in',
        },
      }),
      resourceServer: { scopeHierarchy: { 'files:admin': ['files:write'] } },
      module: { controllers: [ToolScopesMcpController] },
    });
    mcpUrl = `${t.url}/mcp`;
    prmUrl = `${t.url}/.well-known/oauth-protected-resource/mcp`;
  });
  afterAll(() => t?.close());
  beforeEach(() => {
    ran.length = 0;
  });

  async function tokenWith(scopes: string[]): Promise<string> {
    const issued = await t.app.get(AccessTokenIssuer).issue({
      subject: 'user-alice',
      clientId: 'client-1',
      audience: mcpUrl,
      scopes,
      grantId: randomUUID(),
    });
    return issued.token;
  }

  async function post(scopes: string[], body: unknown): Promise<Response> {
    return fetch(mcpUrl, {
      method: 'POST',
      headers: { ...MCP_HEADERS, authorization: `Bearer ${await tokenWith(scopes)}` },
      body: JSON.stringify(body),
    });
  }

  function insufficientScope(scope: string): string {
    return (
      'Bearer error="insufficient_scope", ' +
      'error_description="The access token does not grant every scope this operation needs.", ' +
      `resource_metadata="${prmUrl}", scope="${scope}"`
    );
  }

  async function expectChallenge(response: Response, scope: string): Promise<void> {
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toBe(insufficientScope(scope));
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({
      error: 'insufficient_scope',
      error_description: 'The access token does not grant every scope this operation needs.',
    });
    expect(ran).toEqual([]);
  }

  interface RpcResult {
    id: number;
    result?: { content?: { text: string }[]; isError?: boolean; tools?: { name: string }[] };
    error?: unknown;
  }

  it('a tool call without the tool scope → 403 naming the route and tool scopes; no tool runs', async () => {
    await expectChallenge(
      await post(['mcp:tools'], callOf('delete-file')),
      'mcp:tools files:write',
    );
    await expectChallenge(await post(['mcp:tools'], callOf('server-stats')), 'mcp:tools mcp:admin');
  });

  it('a token without the route scope either: one challenge naming everything the call needs', async () => {
    await expectChallenge(
      await post(['files:write'], callOf('delete-file')),
      'mcp:tools files:write',
    );
  });

  it('with the tool scope the tool runs, through the transport, with the token as authInfo', async () => {
    const response = await post(['mcp:tools', 'files:write'], callOf('delete-file'));
    expect(response.status).toBe(200);
    const body = (await response.json()) as RpcResult;
    expect(body.result?.isError).toBeFalsy();
    expect(body.result?.content?.[0].text).toBe('deleted by user-alice');
    expect(ran).toEqual(['delete-file']);
  });

  it('a broader scope of the hierarchy satisfies the tool scope', async () => {
    const response = await post(['mcp:tools', 'files:admin'], callOf('delete-file'));
    expect(response.status).toBe(200);
    expect(ran).toEqual(['delete-file']);
  });

  it('tools without scopes of their own, tools/list and other methods need the route scopes only', async () => {
    const echo = await post(['mcp:tools'], callOf('echo'));
    expect(echo.status).toBe(200);
    expect(((await echo.json()) as RpcResult).result?.content?.[0].text).toBe('echo');

    const list = await post(['mcp:tools'], { jsonrpc: '2.0', id: 1, method: 'tools/list' });
    expect(list.status).toBe(200);
    const names = ((await list.json()) as RpcResult).result?.tools?.map((tool) => tool.name);
    // Listed although not callable with this token: the client learns of them, then steps up.
    expect(names).toEqual(['echo', 'delete-file', 'server-stats', 'checks-itself']);

    const ping = await post(['mcp:tools'], { jsonrpc: '2.0', id: 1, method: 'ping' });
    expect(ping.status).toBe(200);
    expect(((await ping.json()) as RpcResult).result).toEqual({});

    // A notification: 202, nothing to refuse.
    const note = await post(['mcp:tools'], {
      jsonrpc: '2.0',
      method: 'notifications/initialized',
    });
    expect(note.status).toBe(202);
    expect(ran).toEqual(['echo']);
  });

  it('hasToolScopes() lets a host register (and so list) a tool only for tokens that may call it', async () => {
    const list = await post(['mcp:tools', 'mcp:admin'], {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/list',
    });
    const names = ((await list.json()) as RpcResult).result?.tools?.map((tool) => tool.name);
    expect(names).toEqual(['echo', 'delete-file', 'server-stats', 'checks-itself', 'admin-only']);
  });

  it('a refusal thrown inside a tool callback is no challenge: the SDK answers 200 with isError', async () => {
    const response = await post(['mcp:tools'], callOf('checks-itself'));
    expect(response.status).toBe(200);
    // The header requireScopes() wrote goes out with the 200, where no client acts on it.
    expect(response.headers.get('www-authenticate')).toBe(insufficientScope('mcp:tools mcp:admin'));
    const body = (await response.json()) as RpcResult;
    expect(body.result?.isError).toBe(true);
    expect(body.result?.content?.[0].text).toBe('Bearer Challenge Exception');
    expect(ran).toEqual(['checks-itself']);
  });

  it('a batch with one forbidden call → 403 naming the union over the batch; nothing runs', async () => {
    const batch = [callOf('echo', 1), callOf('delete-file', 2), callOf('server-stats', 3)];
    await expectChallenge(
      await post(['mcp:tools', 'files:write'], batch),
      'mcp:tools files:write mcp:admin',
    );
  });

  it('a batch of allowed calls → 200, every call answered', async () => {
    const batch = [callOf('echo', 1), callOf('delete-file', 2), callOf('server-stats', 3)];
    const response = await post(['mcp:tools', 'files:admin', 'mcp:admin'], batch);
    expect(response.status).toBe(200);
    const answers = (await response.json()) as RpcResult[];
    expect(answers.map((answer) => answer.id).sort()).toEqual([1, 2, 3]);
    expect(answers.every((answer) => answer.result && !answer.result.isError)).toBe(true);
    expect([...ran].sort()).toEqual(['delete-file', 'echo', 'server-stats']);
  });

  it('malformed bodies are the transport’s to answer, not a challenge', async () => {
    const odd = await post(['mcp:tools'], { jsonrpc: '2.0', id: 1, method: 'tools/call' });
    expect(odd.status).not.toBe(403);
    const numbers = await post(['mcp:tools'], [1, 2]);
    expect(numbers.status).toBe(400);
    // (JSON the adapter cannot parse never reaches the guard: the adapter answers it.)
    expect(ran).toEqual([]);
  });

  it('the SDK client steps up: 403 → a new authorization for the challenged scopes → the tool runs', async () => {
    const log: Exchange[] = [];
    const provider = new InMemoryOAuthClientProvider(
      `http://127.0.0.1:${await freePort()}/callback`,
      {
        user: { username: 'alice', password: TEST_USERS.alice.password },
        // No refresh token: on a 403 the SDK cannot refresh, so it asks for a new authorization.
        metadata: { grant_types: ['authorization_code'] },
      },
    );
    const connect = async () => {
      const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), {
        authProvider: provider,
        fetch: recordingFetch(log),
      });
      const client = new Client({ name: 'tool-scopes-step-up', version: '1.0.0' });
      await client.connect(transport);
      return { client, transport };
    };

    // First authorization: the 401 challenge's scope, the route's.
    const first = new StreamableHTTPClientTransport(new URL(mcpUrl), {
      authProvider: provider,
      fetch: recordingFetch(log),
    });
    await expect(
      new Client({ name: 'tool-scopes-step-up', version: '1.0.0' }).connect(first),
    ).rejects.toBeInstanceOf(UnauthorizedError);
    expect(provider.authorizationUrl?.searchParams.get('scope')).toBe('mcp:tools');
    await first.finishAuth((await provider.signIn(t.url)).code);
    expect(provider.tokens()?.scope).toBe('mcp:tools');
    expect(provider.tokens()?.refresh_token).toBeUndefined();

    const { client, transport } = await connect();
    const echo = (await client.callTool({ name: 'echo' })) as { content: { text: string }[] };
    expect(echo.content[0].text).toBe('echo');

    // The tool needs more: 403, and the SDK itself asks for the challenged scopes.
    const from = log.length;
    await expect(client.callTool({ name: 'delete-file' })).rejects.toBeInstanceOf(
      UnauthorizedError,
    );
    const refused = log.slice(from).find((e) => e.status === 403);
    expect(refused?.responseHeaders.get('www-authenticate')).toBe(
      insufficientScope('mcp:tools files:write'),
    );
    expect(ran).toEqual(['echo']);
    expect(provider.authorizationUrl?.searchParams.get('scope')).toBe('mcp:tools files:write');
    expect(provider.authorizationUrl?.searchParams.get('resource')).toBe(mcpUrl);

    // The person consents to the larger scope; the same client now gets the tool.
    await transport.finishAuth((await provider.signIn(t.url)).code);
    expect(provider.tokens()?.scope).toBe('mcp:tools files:write');
    const deleted = (await client.callTool({ name: 'delete-file' })) as {
      content: { text: string }[];
      isError?: boolean;
    };
    expect(deleted.isError).toBeFalsy();
    expect(deleted.content[0].text).toBe(`deleted by ${TEST_USERS.alice.subject}`);
    expect(ran).toEqual(['echo', 'delete-file']);
    await client.close();
  });
});
