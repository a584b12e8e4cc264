import type { AppConfig } from '../config/app-config';
import { inspectorCommand } from '../mcp/inspector-command';
import { describeDataLocation } from './data-location';

/**
 * What someone who just started the server needs next, one fact per line: where the MCP
 * endpoint is, how to connect the MCP Inspector to it, how to sign in, where the data lives.
 * The demo password only outside production.
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
    `Data: ${describeDataLocation(config)}`,
  ];
}
