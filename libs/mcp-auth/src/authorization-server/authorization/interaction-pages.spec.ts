import { type ConsentPageModel, renderConsentPage } from './interaction-pages';

const model = (overrides: Partial<ConsentPageModel> = {}): ConsentPageModel => ({
  serviceName: 'mcp.example.com',
  clientName: 'Client',
  clientId: 'client-1',
  redirectHost: '127.0.0.1:4000',
  redirectIsLoopback: true,
  redirectUri: 'http://127.0.0.1:4000/callback',
  scopes: [{ name: 'offline_access', description: 'Stay signed in' }],
  resource: 'https://mcp.example.com/mcp',
  subjectLabel: 'Alice',
  action: '/interaction/x/consent',
  csrfToken: 'token',
  ...overrides,
});

describe('renderConsentPage (AS-17)', () => {
  it('names the signed-in user by the label it is given, escaped', () => {
    const html = renderConsentPage(model({ subjectLabel: 'Alice <b>&</b>' }));
    expect(html).toContain('Signed in as Alice &lt;b&gt;&amp;&lt;/b&gt;');
  });

  it('marks scope names as unbreakable tokens', () => {
    expect(renderConsentPage(model())).toContain('<code class="scope">offline_access</code>');
  });

  it('lets URLs break after each slash, and only adds <wbr> to escaped text', () => {
    const html = renderConsentPage(
      model({ redirectUri: 'https://app.example.com/cb/<script>alert(1)</script>' }),
    );
    expect(html).toContain(
      'https:/<wbr>/<wbr>app.example.com/<wbr>cb/<wbr>&lt;script&gt;alert(1)&lt;/<wbr>script&gt;',
    );
    expect(html).not.toContain('<script>');
  });
});
