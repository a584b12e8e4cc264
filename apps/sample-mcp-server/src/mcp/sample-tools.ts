import { McpServer } from '@modelcontextprotocol/server';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/server/validators/ajv';
import { z } from 'zod';
import type { UpstreamProfileReader } from './upstream-profile';

/** Scopes each tool needs beyond the endpoint's own `mcp:tools` (RS-9 step-up). */
export const TOOL_SCOPES: Readonly<Record<string, readonly string[]>> = {
  whoami: [],
  current_time: [],
  echo: [],
  server_stats: ['mcp:admin'],
  upstream_profile: [],
};

export interface SampleServerStats {
  startedAt: Date;
  toolCalls: number;
}

// Built once, shared by the server of every request: without `jsonSchemaValidator` each
// McpServer creates its own Ajv instance (with formats), and the schemas would be rebuilt too;
// together that was over a third of the CPU of a tools/call (see bench/README.md).
const JSON_SCHEMA_VALIDATOR = new AjvJsonSchemaValidator();
const CURRENT_TIME_INPUT = z.object({ timeZone: z.string().max(64).optional() });
const ECHO_INPUT = z.object({ text: z.string().max(10_000) });

/** What the tools may use beyond the token (shared by every request's server). */
export interface SampleToolServices {
  /** Present when identity providers are configured: enables `upstream_profile`. */
  upstreamProfiles?: UpstreamProfileReader;
}

/**
 * Builds the sample MCP server: a few harmless tools that show what the verified token says,
 * and, with federation, one that reads the user's profile at their identity provider.
 * Stateless Streamable HTTP creates one per request, so this stays cheap: no I/O, no state,
 * and everything that can be shared between requests (schemas, the JSON Schema validator) is
 * built once at module load.
 */
export function createSampleMcpServer(
  stats: SampleServerStats,
  services: SampleToolServices = {},
): McpServer {
  const server = new McpServer(
    { name: 'sample-mcp-server', version: '0.1.0' },
    { capabilities: { tools: {} }, jsonSchemaValidator: JSON_SCHEMA_VALIDATOR },
  );

  server.registerTool(
    'whoami',
    {
      title: 'Who am I',
      description: 'Shows the signed-in user, the client and the scopes of the access token.',
    },
    async (ctx) => {
      stats.toolCalls++;
      // The transport hands the tool what BearerGuard put on `request.auth`.
      const auth = ctx.http?.authInfo;
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
      inputSchema: CURRENT_TIME_INPUT,
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
      inputSchema: ECHO_INPUT,
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

  const upstreamProfiles = services.upstreamProfiles;
  if (upstreamProfiles) {
    server.registerTool(
      'upstream_profile',
      {
        title: 'Profile at your identity provider',
        description:
          'Your profile as your identity provider has it (OpenID Connect userinfo, or GitHub’s /user), read with the upstream access token this server keeps for your sign-in.',
      },
      async (ctx) => {
        stats.toolCalls++;
        const result = await upstreamProfiles.read(ctx.http?.authInfo);
        if (!result.ok) {
          return { isError: true, content: [{ type: 'text', text: result.message }] };
        }
        const body = { provider: result.provider, profile: result.profile };
        return { content: [{ type: 'text', text: JSON.stringify(body) }], structuredContent: body };
      },
    );
  }

  return server;
}
