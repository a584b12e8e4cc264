import { AccessTokenIssuer } from '@app/mcp-auth';
import { startSampleApp, type SampleApp } from './support/sample-app';

/** RS-11: the MCP endpoint validates Origin, so a DNS-rebinding page cannot reach the tools. */
describe('sample MCP endpoint: Origin validation (RS-11)', () => {
  let sample: SampleApp;
  let token: string;

  beforeAll(async () => {
    sample = await startSampleApp({ MCP_ALLOWED_ORIGINS: 'http://localhost:6274' });
    ({ token } = await sample.app.get(AccessTokenIssuer).issue({
      subject: 'demo|demo',
      clientId: 'origin-test',
      audience: sample.mcpUrl,
      scopes: ['mcp:tools'],
      grantId: '00000000-0000-4000-8000-000000000001',
    }));
  });
  afterAll(() => sample.close());

  const list = (origin?: string) =>
    fetch(sample.mcpUrl, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...(origin ? { origin } : {}),
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });

  it('answers requests without an Origin (non-browser clients)', async () => {
    expect((await list()).status).toBe(200);
  });

  it('answers its own origin and the configured browser origins', async () => {
    expect((await list(sample.issuer)).status).toBe(200);
    expect((await list('http://localhost:6274')).status).toBe(200);
  });

  it('on a loopback issuer, accepts any loopback origin (local development)', async () => {
    expect((await list('http://localhost:5173')).status).toBe(200);
    expect((await list('http://127.0.0.1:9999')).status).toBe(200);
  });

  it('refuses any other origin with 403, even with a valid token', async () => {
    const response = await list('http://evil.example.com');
    expect(response.status).toBe(403);
    expect((await list('http://localhost.evil.example.com')).status).toBe(403);
    expect((await list('null')).status).toBe(403);
    expect(await response.text()).not.toContain('whoami');
  });
});
