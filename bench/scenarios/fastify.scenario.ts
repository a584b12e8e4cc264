/**
 * Scenario 8: the same MCP `tools/call` on the Fastify adapter (`HTTP_ADAPTER=fastify`, the
 * sample's own switch): guard overhead there, and ours on Fastify against the MCP SDK's own
 * Express stack (the peer of scenario 3) and against ours on Express (the shared app).
 */
import { dropDatabase, freshDatabase } from '../lib/database';
import { isToolResult, MCP_HEADERS, TOOL_CALL } from '../lib/fixtures';
import { startApp, startBenchAppOn } from '../lib/processes';
import { alternate, SETTINGS, timed, type Scenario } from '../lib/scenario';
import { authorize } from '../lib/shared-app';

const DB_FASTIFY = 'mcp_auth_bench_fastify';

export const fastifyScenario: Scenario = {
  id: '8',
  name: 'fastify',
  description: 'MCP tools/call on the Fastify adapter',
  sharedApp: true,
  async run({ app: expressApp, auth: expressAuth }) {
    const c = SETTINGS.connections;
    const fastify = await startBenchAppOn('bench-fastify', await freshDatabase(DB_FASTIFY), {
      HTTP_ADAPTER: 'fastify',
    });
    const peer = await startApp({
      name: 'sdk-peer',
      script: 'bench/apps/sdk-peer.js',
      env: { ISSUER_URL: fastify.url, RESOURCE: `${fastify.url}/mcp`, NODE_ENV: 'production' },
    });
    try {
      const auth = await authorize(fastify);
      const call = (url: string, pid: number, authorization: Record<string, string>) => ({
        url,
        method: 'POST' as const,
        headers: { ...MCP_HEADERS, ...authorization },
        body: TOOL_CALL,
        connections: c,
        verify: isToolResult,
        pid,
      });
      const summaries = await alternate('S8', [
        timed(
          'theirs: SDK Express + requireBearerAuth, jose ES256 (peer process)',
          call(`${peer.url}/mcp`, peer.pid, auth.authorization),
        ),
        timed(
          'ours on Fastify: Nest + BearerGuard, POST /mcp',
          call(`${fastify.url}/mcp`, fastify.pid, auth.authorization),
        ),
        timed(
          'ours on Fastify, unguarded POST /bench/mcp-open (guard overhead)',
          call(`${fastify.url}/bench/mcp-open`, fastify.pid, auth.authorization),
        ),
        timed(
          'ours on Express: Nest + BearerGuard, POST /mcp',
          call(`${expressApp.url}/mcp`, expressApp.pid, expressAuth.authorization),
        ),
      ]);
      return {
        id: '8',
        title: 'Fastify: same tool, same token, against the SDK Express peer',
        summaries,
        target: { text: 'ours on Fastify ≥ 1.3× theirs', variant: 1, minRatio: 1.3 },
      };
    } finally {
      await peer.stop();
      await fastify.stop();
      await dropDatabase(DB_FASTIFY);
    }
  },
};
