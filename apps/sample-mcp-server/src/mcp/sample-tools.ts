import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';

/** Scopes each tool needs beyond the endpoint's own `mcp:tools` (RS-9 step-up). */
export const TOOL_SCOPES: Readonly<Record<string, readonly string[]>> = {
  whoami: [],
  current_time: [],
  echo: [],
  server_stats: ['mcp:admin'],
};

export interface SampleServerStats {
  startedAt: Date;
  toolCalls: number;
}

/**
 * Builds the sample MCP server: a few harmless tools that show what the verified token says.
 * Stateless Streamable HTTP creates one per request, so this stays cheap: no I/O, no state.
 */
export function createSampleMcpServer(stats: SampleServerStats): McpServer {
  const server = new McpServer(
    { name: 'sample-mcp-server', version: '0.1.0' },
    { capabilities: { tools: {} } },
  );

  server.registerTool(
    'whoami',
    {
      title: 'Who am I',
      description: 'Shows the signed-in user, the client and the scopes of the access token.',
    },
    async (extra) => {
      stats.toolCalls++;
      const auth = extra.authInfo;
      const who = {
        subject: auth?.extra?.sub ?? null,
        clientId: auth?.clientId ?? null,
        scopes: auth?.scopes ?? [],
        expiresAt: auth?.expiresAt ? new Date(auth.expiresAt * 1000).toISOString() : null,
        resource: auth?.resource?.toString() ?? null,
      };
      return {
        content: [{ type: 'text', text: JSON.stringify(who) }],
        structuredContent: who,
      };
    },
  );

  server.registerTool(
    'current_time',
    {
      title: 'Current time',
      description: 'The current time, optionally in an IANA time zone such as Europe/Paris.',
      inputSchema: { timeZone: z.string().max(64).optional() },
    },
    async ({ timeZone }) => {
      stats.toolCalls++;
      try {
        const text = new Date().toLocaleString('en-GB', { timeZone: timeZone ?? 'UTC' });
        return { content: [{ type: 'text', text }] };
      } catch {
        return { isError: true, content: [{ type: 'text', text: 'Unknown time zone.' }] };
      }
    },
  );

  server.registerTool(
    'echo',
    {
      title: 'Echo',
      description: 'Returns the text it is given.',
      inputSchema: { text: z.string().max(10_000) },
    },
    async ({ text }) => {
      stats.toolCalls++;
      return { content: [{ type: 'text', text }] };
    },
  );

  server.registerTool(
    'server_stats',
    {
      title: 'Server statistics',
      description: 'Uptime, memory and tool calls of this server. Needs the mcp:admin scope.',
    },
    async () => {
      stats.toolCalls++;
      const memory = process.memoryUsage();
      const body = {
        startedAt: stats.startedAt.toISOString(),
        uptimeSeconds: Math.round(process.uptime()),
        rssMegabytes: Math.round(memory.rss / 1_048_576),
        toolCalls: stats.toolCalls,
      };
      return { content: [{ type: 'text', text: JSON.stringify(body) }], structuredContent: body };
    },
  );

  return server;
}
