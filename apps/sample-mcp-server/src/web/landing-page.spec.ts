import { createHash } from 'node:crypto';
import { renderLandingPage } from './landing-page';
import { renderMcpEndpointPage } from './mcp-endpoint-page';
import { PAGE_HEADERS } from './page-layout';

const development = { serviceName: 'Sample MCP server', issuerUrl: 'http://localhost:3000' };

describe('the sample’s pages', () => {
  it('landing page: what the server is, the MCP URL, how to connect, the metadata documents', () => {
    const page = renderLandingPage({ ...development, production: false });
    expect(page).toContain('<pre>http://localhost:3000/mcp</pre>');
    expect(page).toContain(
      'npx @modelcontextprotocol/inspector --transport http --server-url http://localhost:3000/mcp',
    );
    for (const path of [
      '/.well-known/oauth-authorization-server',
      '/.well-known/oauth-protected-resource/mcp',
    ]) {
      expect(page).toContain(`<a href="${path}">`);
    }
    expect(page).toMatch(/printed in the console/);
  });

  it('landing page in production: points to the configured account, not the console', () => {
    const page = renderLandingPage({ ...development, production: true });
    expect(page).not.toMatch(/printed in the console/);
    expect(page).toMatch(/DEMO_USERNAME/);
  });

  it('escapes every value it shows', () => {
    const hostile = '<img src=x onerror=alert(1)>"&';
    const pages = [
      renderLandingPage({ serviceName: hostile, issuerUrl: hostile, production: false }),
      renderMcpEndpointPage({ serviceName: hostile, mcpUrl: hostile }),
    ];
    for (const page of pages) {
      expect(page).not.toContain('<img');
      expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;&quot;&amp;');
    }
  });

  it('runs no script: the CSP allows only the page’s own stylesheet, by hash', () => {
    const csp = PAGE_HEADERS['Content-Security-Policy'];
    expect(csp).toMatch(/^default-src 'none';/);
    expect(csp).not.toMatch(/script-src|unsafe-inline/);
    expect(csp).toContain("frame-ancestors 'none'");
    const page = renderLandingPage({ ...development, production: false });
    expect(page).not.toMatch(/<script|\son\w+=/i);
    const style = /<style>([^]*?)<\/style>/.exec(page)?.[1] ?? '';
    const hash = createHash('sha256').update(style).digest('base64');
    expect(csp).toContain(`style-src 'sha256-${hash}'`);
  });
});
