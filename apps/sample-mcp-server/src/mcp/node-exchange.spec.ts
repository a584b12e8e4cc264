import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import { McpServer, type AuthInfo } from '@modelcontextprotocol/server';
import type { HttpRequest } from '@app/mcp-auth';
import { nodeExchange, type HttpReply } from './node-exchange';

/** What BearerGuard sets as `request.auth` (the SDK's AuthInfo shape). */
const AUTH_INFO: AuthInfo = {
  token: 'header.payload.signature',
  clientId: 'client-1',
  scopes: ['mcp:tools'],
  expiresAt: 2_000_000_000,
  resource: new URL('http://127.0.0.1/mcp'),
  extra: { sub: 'demo|demo' },
};

/**
 * The handler of McpController after its checks, on a plain Node server: each request is
 * wrapped the way Express (the Node objects themselves) or Fastify (`raw`, `hijack()`) hands
 * them to a Nest handler, with the guard's AuthInfo on the adapter's request object.
 */
function serve(
  adapter: 'express' | 'fastify',
  seen: (AuthInfo | undefined)[],
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body: unknown = JSON.parse(Buffer.concat(chunks).toString());
      let request: HttpRequest & { auth?: AuthInfo };
      let response: HttpReply;
      if (adapter === 'express') {
        request = Object.assign(req, { auth: AUTH_INFO, body }) as HttpRequest & {
          auth?: AuthInfo;
        };
        response = res;
      } else {
        request = { method: 'POST', url: req.url ?? '/', headers: req.headers, body, raw: req };
        // As BearerGuard leaves a Fastify request: on it and on its Node request.
        request.auth = AUTH_INFO;
        (req as IncomingMessage & { auth?: AuthInfo }).auth = AUTH_INFO;
        response = { raw: res, hijack: () => undefined };
      }
      const exchange = nodeExchange(request, response);
      const server = new McpServer({ name: 'probe', version: '1.0.0' });
      server.registerTool('probe', { description: 'Records what it is given.' }, (ctx) => {
        seen.push(ctx.http?.authInfo);
        return { content: [{ type: 'text', text: 'ok' }] };
      });
      const transport = new NodeStreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        enableJsonResponse: true,
      });
      await server.connect(transport);
      await transport.handleRequest(exchange.req, exchange.res, body);
    })();
  };
}

describe.each(['express', 'fastify'] as const)('nodeExchange on %s', (adapter) => {
  const seen: (AuthInfo | undefined)[] = [];
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer(serve(adapter, seen));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('the SDK v2 Node transport hands the tool exactly the AuthInfo the guard set', async () => {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'probe', arguments: {} },
      }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ result: { content: [{ text: 'ok' }] } });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBe(AUTH_INFO);
  });
});
