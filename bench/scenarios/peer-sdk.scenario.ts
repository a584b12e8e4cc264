/**
 * Scenario 3: the same tool served by the MCP TypeScript SDK's own Express stack in a separate
 * process (bench/apps/sdk-peer.ts), same token, against our `POST /mcp`; and the plain app the
 * SDK's documentation writes (bench/apps/sdk-plain-peer.ts), with our ratio to it.
 */
import { isToolResult, MCP_HEADERS, TOOL_CALL } from '../lib/fixtures';
import { startApp } from '../lib/processes';
import { pairRatio } from '../lib/report';
import { alternate, SETTINGS, timed, type Scenario } from '../lib/scenario';

export const peerSdkScenario: Scenario = {
  id: '3',
  name: 'peer-sdk',
  description: 'peer comparison with the MCP SDK’s Express stack',
  sharedApp: true,
  async run({ app, auth }) {
    const c = SETTINGS.connections;
    const env = { ISSUER_URL: app.url, RESOURCE: `${app.url}/mcp`, NODE_ENV: 'production' };
    const peer = await startApp({ name: 'sdk-peer', script: 'bench/apps/sdk-peer.js', env });
    const plain = await startApp({
      name: 'sdk-plain-peer',
      script: 'bench/apps/sdk-plain-peer.js',
      env,
    });
    try {
      const summaries = await alternate('S3', [
        timed('theirs: SDK Express + requireBearerAuth, jose ES256 (peer process)', {
          url: `${peer.url}/mcp`,
          method: 'POST',
          headers: { ...MCP_HEADERS, ...auth.authorization },
          body: TOOL_CALL,
          connections: c,
          verify: isToolResult,
          pid: peer.pid,
        }),
        timed('ours: Nest + BearerGuard, POST /mcp', {
          url: `${app.url}/mcp`,
          method: 'POST',
          headers: { ...MCP_HEADERS, ...auth.authorization },
          body: TOOL_CALL,
          connections: c,
          verify: isToolResult,
          pid: app.pid,
        }),
        timed('theirs as the SDK documents it: createMcpExpressApp, no shared validator (peer)', {
          url: `${plain.url}/mcp`,
          method: 'POST',
          headers: { ...MCP_HEADERS, ...auth.authorization },
          body: TOOL_CALL,
          connections: c,
          verify: isToolResult,
          pid: plain.pid,
        }),
      ]);
      const oursToPlain = pairRatio(summaries[1], summaries[2]);
      return {
        id: '3',
        title: 'Peer: same tool, same token, MCP SDK requireBearerAuth on Express',
        summaries,
        checks: {
          2: { text: `ours ≥ 1.0× this (${oursToPlain.toFixed(2)}×)`, met: oursToPlain >= 1.0 },
        },
        target: { text: 'ours ≥ 1.0× the equally optimised peer', variant: 1, minRatio: 1.0 },
      };
    } finally {
      await plain.stop();
      await peer.stop();
    }
  },
};
