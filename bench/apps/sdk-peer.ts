/**
 * Scenario 3's peer: the same sample tools served by the MCP TypeScript SDK's own stack, the
 * way its documentation shows a stateless server: Express, `requireBearerAuth` with a jose
 * ES256 verifier (keys fetched once from our JWKS and kept in memory), a new McpServer (SDK v2) and
 * NodeStreamableHTTPServerTransport per request (the bearer middleware is still v1's). No Nest.
 *
 * Environment: PORT, ISSUER_URL (our app: JWKS and `iss`), RESOURCE (the `aud`).
 */
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import type { OAuthTokenVerifier } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { InvalidTokenError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import express from 'express';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import {
  createSampleMcpServer,
  type SampleServerStats,
} from '../../apps/sample-mcp-server/src/mcp/sample-tools';
import { installSignalProfiler } from './profiler';

async function main(): Promise<void> {
  installSignalProfiler('sdk-peer');
  const port = Number(process.env.PORT);
  const issuer = process.env.ISSUER_URL as string;
  const resource = process.env.RESOURCE as string;
  const jwksResponse = await fetch(`${issuer}/.well-known/jwks.json`);
  const jwks = createLocalJWKSet((await jwksResponse.json()) as JSONWebKeySet);

  const verifier: OAuthTokenVerifier = {
    async verifyAccessToken(token: string): Promise<AuthInfo> {
      try {
        const { payload } = await jwtVerify(token, jwks, {
          algorithms: ['ES256'],
          typ: 'at+jwt',
          issuer,
          audience: resource,
          requiredClaims: ['sub', 'exp', 'client_id'],
        });
        return {
          token,
          clientId: payload.client_id as string,
          scopes: typeof payload.scope === 'string' ? payload.scope.split(' ') : [],
          expiresAt: payload.exp,
          resource: new URL(resource),
          extra: { ...payload },
        };
      } catch {
        throw new InvalidTokenError('Invalid access token');
      }
    },
  };

  const stats: SampleServerStats = { startedAt: new Date(), toolCalls: 0 };
  const serveMcp = async (request: express.Request, response: express.Response): Promise<void> => {
    const server = createSampleMcpServer(stats);
    const transport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    response.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(request, response, request.body);
  };
  const app = express();
  app.use(express.json());
  app.post(
    '/mcp',
    requireBearerAuth({
      verifier,
      requiredScopes: ['mcp:tools'],
      resourceMetadataUrl: `${issuer}/.well-known/oauth-protected-resource/mcp`,
    }),
    serveMcp,
  );
  // The same without authentication: how much of the peer's cost is its auth.
  app.post('/mcp-open', serveMcp);
  const server = app.listen(port, '127.0.0.1', () => process.stdout.write(`BENCH_READY ${port}\n`));
  process.once('SIGTERM', () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
