import escapeHtml from 'escape-html';
import { inspectorCommand } from '../mcp/inspector-command';
import { renderPage } from './page-layout';

export interface LandingPageModel {
  serviceName: string;
  /** The issuer: the server's public origin, no trailing slash. */
  issuerUrl: string;
  production: boolean;
}

/** GET /: what this server is, its MCP endpoint, its metadata documents, how to connect. */
export function renderLandingPage(model: LandingPageModel): string {
  const mcpUrl = `${model.issuerUrl}/mcp`;
  const signIn = model.production
    ? 'Sign in with the account the operator configured (DEMO_USERNAME, DEMO_PASSWORD).'
    : 'Sign in as the demo user: its name and password are printed in the console where the server was started.';
  return renderPage(
    model.serviceName,
    `<h1>${escapeHtml(model.serviceName)}</h1>
<p>A <a href="https://modelcontextprotocol.io">Model Context Protocol</a> server whose tools are protected with OAuth 2.1. It is its own authorization server: an MCP client registers itself, you sign in and approve here, and the client receives an access token for the MCP endpoint.</p>
<h2>MCP endpoint</h2>
<pre>${escapeHtml(mcpUrl)}</pre>
<p class="muted">Streamable HTTP transport: MCP clients send JSON-RPC messages to it with POST and a bearer token. Opened in a browser it only explains itself.</p>
<h2>Connect a client</h2>
<ul>
<li><strong>MCP Inspector</strong> (Node 22.19 or newer): run<pre>${escapeHtml(inspectorCommand(mcpUrl))}</pre>then Connect. It finds the authorization server, registers itself and opens the sign-in page.</li>
<li><strong>Claude, Cursor and other clients</strong>: add a remote MCP server with the URL above; they discover, register and send you to sign in the same way.</li>
</ul>
<p>${escapeHtml(signIn)}</p>
<h2>Metadata</h2>
<ul>
<li><a href="/.well-known/oauth-authorization-server">/.well-known/oauth-authorization-server</a>: authorization server metadata (RFC 8414)</li>
<li><a href="/.well-known/oauth-protected-resource/mcp">/.well-known/oauth-protected-resource/mcp</a>: protected resource metadata of the MCP endpoint (RFC 9728)</li>
<li><a href="/.well-known/jwks.json">/.well-known/jwks.json</a>: the keys access tokens are signed with</li>
<li><a href="/health">/health</a>: health check</li>
</ul>`,
  );
}
