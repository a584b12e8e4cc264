/**
 * The MCP Inspector (v2, Node 22.19+) opened on a Streamable HTTP endpoint: it finds the
 * authorization server from the endpoint's 401, registers itself and sends the user to sign in.
 */
export function inspectorCommand(mcpUrl: string): string {
  return `npx @modelcontextprotocol/inspector --transport http --server-url ${mcpUrl}`;
}
