/**
 * Scenario 3: the same tool served by the MCP TypeScript SDK's own Express stack in a separate
 * process (bench/apps/sdk-peer.ts), same token, against our `POST /mcp`.
 */
import { isToolResult, MCP_HEADERS, TOOL_CALL } from '../lib/fixtures';
import { startApp } from '../lib/processes';
import { alternate, SETTINGS, timed, type Scenario } from '../lib/scenario';

export const peerSdkScenario: Scenario = {
  id: '3',
  name: 'peer-sdk',
  description: 'peer comparison with the MCP SDK’s Express stack',
  sharedApp: true,
  async run({ app, auth }) {
    const c = SETTINGS.connections;
    const peer = await startApp({
      name: 'sdk-peer',
      script: 'bench/apps/sdk-peer.js',
      env: { ISSUER_URL: app.url, RESOURCE: `${app.url}/mcp`, NODE_ENV: 'production' },
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
      ]);
      return {
        id: '3',
        title: 'Peer: same tool, same token, MCP SDK requireBearerAuth on Express',
        summaries,
        target: { text: 'ours ≥ 1.0× theirs', variant: 1, minRatio: 1.0 },
      };
    } finally {
      await peer.stop();
    }
  },
};
