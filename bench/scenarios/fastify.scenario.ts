/**
 * Scenario 8: the same MCP `tools/call` on the Fastify adapter (`HTTP_ADAPTER=fastify`, the
 * sample's own switch): guard overhead there, and ours on Fastify against the MCP SDK's own
 * Express stack (the peers of scenario 3) and against ours on Express (the shared app); the
 * guard's overhead on Fastify on MCP and on the trivial route (Express: scenarios 1 and 2).
 */
import { dropDatabase, freshDatabase } from '../lib/database';
import { isToolResult, MCP_HEADERS, TOOL_CALL } from '../lib/fixtures';
import { startApp, startBenchAppOn } from '../lib/processes';
import { pairRatio, percent } from '../lib/report';
import { alternate, SETTINGS, timed, type Scenario } from '../lib/scenario';
import { authorize } from '../lib/shared-app';

const DB_FASTIFY = 'mcp_auth_bench_fastify';

export const fastifyScenario: Scenario = {
  id: '8',
  name: 'fastify',
  description: 'MCP tools/call on the Fastify adapter',
  sharedApp: true,
  async run({ app: expressApp }) {
    const c = SETTINGS.connections;
    // A token of its own: the shared app's was minted before scenario 1 and may have expired
    // by the time this scenario runs in a full run.
    const expressAuth = await authorize(expressApp);
    const fastify = await startBenchAppOn('bench-fastify', await freshDatabase(DB_FASTIFY), {
      HTTP_ADAPTER: 'fastify',
    });
    const env = { ISSUER_URL: fastify.url, RESOURCE: `${fastify.url}/mcp`, NODE_ENV: 'production' };
    const peer = await startApp({ name: 'sdk-peer', script: 'bench/apps/sdk-peer.js', env });
    const plain = await startApp({
      name: 'sdk-plain-peer',
      script: 'bench/apps/sdk-plain-peer.js',
      env,
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
        timed(
          'theirs as the SDK documents it: createMcpExpressApp, no shared validator (peer)',
          call(`${plain.url}/mcp`, plain.pid, auth.authorization),
        ),
        timed('ours on Fastify, unguarded GET /bench/plain (same request, token ignored)', {
          url: `${fastify.url}/bench/plain`,
          headers: auth.authorization,
          connections: c,
          pid: fastify.pid,
        }),
        timed('ours on Fastify, guarded GET /bench/guarded, same token every request', {
          url: `${fastify.url}/bench/guarded`,
          headers: auth.authorization,
          connections: c,
          pid: fastify.pid,
        }),
      ]);
      const guardMcp = pairRatio(summaries[1], summaries[2]);
      const oursToPlain = pairRatio(summaries[1], summaries[4]);
      // The trivial-route pair has its own baseline: its ratio column is guarded ÷ unguarded.
      const guardTrivial = pairRatio(summaries[6], summaries[5]);
      summaries[5].ratio = undefined;
      summaries[6].ratio = guardTrivial;
      return {
        id: '8',
        title:
          'Fastify: same tool, same token, against the SDK Express peers; guard overhead on Fastify',
        summaries,
        checks: {
          2: { text: `guarded /mcp ≥ 97 % of this (${percent(guardMcp)})`, met: guardMcp >= 0.97 },
          3: {
            text: 'ours on Express ≥ 1.0× the optimised peer',
            met: (summaries[3].ratio ?? 0) >= 1.0,
          },
          4: {
            text: `ours on Fastify ≥ 1.3× this (${oursToPlain.toFixed(2)}×)`,
            met: oursToPlain >= 1.3,
          },
          5: { text: 'baseline of the next row', met: undefined },
          6: {
            text: 'guarded ≥ 90 % of unguarded (ratio to the row above)',
            met: guardTrivial >= 0.9,
          },
        },
        target: {
          text: 'ours on Fastify ≥ 1.3× the equally optimised peer',
          variant: 1,
          minRatio: 1.3,
        },
      };
    } finally {
      await plain.stop();
      await peer.stop();
      await fastify.stop();
      await dropDatabase(DB_FASTIFY);
    }
  },
};
