import escapeHtml from 'escape-html';
import { renderPage } from './page-layout';

export interface McpEndpointPageModel {
  serviceName: string;
  mcpUrl: string;
}

/** What a browser opening the MCP endpoint gets (with the 401 an MCP client gets too). */
export function renderMcpEndpointPage(model: McpEndpointPageModel): string {
  return renderPage(
    `MCP endpoint - ${model.serviceName}`,
    `<h1>This is an MCP endpoint</h1>
<p><code>${escapeHtml(model.mcpUrl)}</code> is for MCP clients: they send JSON-RPC messages to it with POST and an OAuth access token, which they obtain by signing you in. A browser cannot use it directly.</p>
<p><a href="/">How to connect a client</a></p>`,
  );
}
