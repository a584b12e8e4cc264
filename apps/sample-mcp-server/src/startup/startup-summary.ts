import type { AppConfig } from '../config/app-config';
import { federationCallbacks } from '../federation/upstream-providers';
import { inspectorCommand } from '../mcp/inspector-command';
import { describeDataLocation } from './data-location';

/**
 * What someone who just started the server needs next, one fact per line: where the MCP
 * endpoint is, how to connect the MCP Inspector to it, how to sign in, the callback URL to
 * register at each identity provider, where the data lives. The demo password only outside
 * production.
 */
export function startupSummary(config: AppConfig): string[] {
  const mcpUrl = `${config.issuerUrl}/mcp`;
  return [
    `MCP endpoint: ${mcpUrl}`,
    `In a browser: ${config.issuerUrl}/`,
    `MCP Inspector (Node 22.19+): ${inspectorCommand(mcpUrl)}`,
    ...(config.production
      ? []
      : [`Demo sign-in: username "${config.demoUsername}", password "${config.demoPassword}"`]),
    ...federationLines(config),
    `Data: ${describeDataLocation(config)}`,
  ];
}

/** One line per identity provider, then whether tools get the users' upstream tokens. */
function federationLines(config: AppConfig): string[] {
  const callbacks = federationCallbacks(config);
  if (callbacks.length === 0) return [];
  const { keepTokens, tokenKeys } = config.federation;
  const kept = !keepTokens
    ? 'not kept (set MCP_AUTH_UPSTREAM_TOKEN_KEYS for the upstream_profile tool)'
    : tokenKeys.length > 0
      ? 'kept, sealed with MCP_AUTH_UPSTREAM_TOKEN_KEYS'
      : 'kept, sealed with a key made at start (lost at restart)';
  return [
    ...callbacks.map(({ name, url }) => `Sign-in with ${name}: register the callback URL ${url}`),
    `Upstream tokens: ${kept}`,
  ];
}
