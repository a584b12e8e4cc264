/**
 * Scenario 2: guard overhead on MCP `tools/call` (the sample's `echo` tool), `POST
 * /bench/mcp-open` (the sample controller's code without guard) vs the sample's own `POST /mcp`.
 */
import { isToolResult, MCP_HEADERS, TOOL_CALL } from '../lib/fixtures';
import { alternate, SETTINGS, timed, type Scenario } from '../lib/scenario';

export const guardMcpScenario: Scenario = {
  id: '2',
  name: 'guard-mcp',
  description: 'guard overhead, MCP tools/call',
  sharedApp: true,
  async run({ app, auth }) {
    const c = SETTINGS.connections;
    const summaries = await alternate('S2', [
      timed('unguarded MCP, POST /bench/mcp-open (same request, token ignored)', {
        url: `${app.url}/bench/mcp-open`,
        method: 'POST',
        headers: { ...MCP_HEADERS, ...auth.authorization },
        body: TOOL_CALL,
        connections: c,
        verify: isToolResult,
        pid: app.pid,
      }),
      timed('guarded MCP, POST /mcp (the sample’s endpoint)', {
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
      id: '2',
      title: 'Guard overhead, MCP tools/call (echo)',
      summaries,
      // The guard's cost at most 3 % of a tools/call (Fastify: scenario 8).
      target: { text: 'guarded ≥ 97 % of unguarded (Express)', variant: 1, minRatio: 0.97 },
    };
  },
};
