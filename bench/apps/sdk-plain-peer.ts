/**
 * The second peer of scenarios 3 and 8: the sample's tools served the way the MCP TypeScript
 * SDK's documentation writes a stateless server, with none of the tuning the first peer
 * (sdk-peer.ts) shares with our app: `createMcpExpressApp()`, `requireBearerAuth` with a jose
 * verifier over the remote JWKS (`createRemoteJWKSet`, which caches the keys), and per request
 * a new `McpServer` whose tools are registered with their zod shapes inline and without a
 * shared JSON Schema validator, on a `NodeStreamableHTTPServerTransport` with its default
 * (SSE) answer. No Nest.
 *
 * Environment: PORT, ISSUER_URL (our app: JWKS and `iss`), RESOURCE (the `aud`).
 */
import {
  createMcpExpressApp,
  requireBearerAuth,
  type OAuthTokenVerifier,
} from '@modelcontextprotocol/express';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import { McpServer } from '@modelcontextprotocol/server';
import type express from 'express';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { z } from 'zod';

type AuthInfo = Awaited<ReturnType<OAuthTokenVerifier['verifyAccessToken']>>;

let toolCalls = 0;
const startedAt = new Date();

/** The sample's tools, written as the SDK's examples write them. */
function getServer(): McpServer {
  const server = new McpServer({ name: 'sample-mcp-server', version: '0.1.0' });
  server.registerTool(
    'whoami',
    { title: 'Who am I', description: 'The signed-in user, the client and the scopes.' },
    async (ctx) => {
      toolCalls++;
      const auth = ctx.http?.authInfo;
      const who = { clientId: auth?.clientId ?? null, scopes: auth?.scopes ?? [] };
      return { content: [{ type: 'text', text: JSON.stringify(who) }], structuredContent: who };
    },
  );
  server.registerTool(
    'current_time',
    {
      title: 'Current time',
      description: 'The current time, optionally in an IANA time zone.',
      inputSchema: z.object({ timeZone: z.string().max(64).optional() }),
    },
    async ({ timeZone }) => {
      toolCalls++;
      const text = new Date().toLocaleString('en-GB', { timeZone: timeZone ?? 'UTC' });
      return { content: [{ type: 'text', text }] };
    },
  );
  server.registerTool(
    'echo',
    {
      title: 'Echo',
      description: 'Returns the text it is given.',
      inputSchema: z.object({ text: z.string().max(10_000) }),
    },
    async ({ text }) => {
      toolCalls++;
      return { content: [{ type: 'text', text }] };
    },
  );
  server.registerTool(
    'server_stats',
    { title: 'Server statistics', description: 'Uptime and tool calls of this server.' },
    async () => {
      toolCalls++;
      const body = { startedAt: startedAt.toISOString(), toolCalls };
      return { content: [{ type: 'text', text: JSON.stringify(body) }], structuredContent: body };
    },
  );
  return server;
}

function main(): void {
  const port = Number(process.env.PORT);
  const issuer = process.env.ISSUER_URL as string;
  const resource = process.env.RESOURCE as string;
  const jwks = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`));
  const verifier: OAuthTokenVerifier = {
    async verifyAccessToken(token: string): Promise<AuthInfo> {
      const { payload } = await jwtVerify(token, jwks, { issuer, audience: resource });
      return {
        token,
        clientId: payload.client_id as string,
        scopes: typeof payload.scope === 'string' ? payload.scope.split(' ') : [],
        expiresAt: payload.exp,
        resource: new URL(resource),
        extra: { ...payload },
      };
    },
  };

  const app = createMcpExpressApp();
  app.post(
    '/mcp',
    requireBearerAuth({ verifier, requiredScopes: ['mcp:tools'] }),
    async (req: express.Request, res: express.Response) => {
      const server = getServer();
      const transport = new NodeStreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      res.on('close', () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(req, res, req.body);
    },
  );
  const listener = app.listen(port, '127.0.0.1', () =>
    process.stdout.write(`BENCH_READY ${port}\n`),
  );
  process.once('SIGTERM', () => {
    listener.close(() => process.exit(0));
    listener.closeAllConnections();
  });
}

main();
