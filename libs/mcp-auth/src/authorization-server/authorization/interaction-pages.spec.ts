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

  describe('metadata-document clients (AS-11)', () => {
    const documentClient = (overrides: Partial<ConsentPageModel> = {}) =>
      model({
        clientName: 'Example Agent',
        clientId: 'https://agent.example.com/client.json',
        clientIdHost: 'agent.example.com',
        redirectHost: 'agent.example.com',
        redirectIsLoopback: false,
        redirectUri: 'https://agent.example.com/callback',
        ...overrides,
      });
    const plainLoopbackWarning =
      '<p class="error">This application runs on your own computer. Approve only if you just started it yourself.</p>';

    it('names the host that published the client beside its name', () => {
      const html = renderConsentPage(documentClient());
      expect(html).toContain(
        '<p class="origin">Published by <strong>agent.example.com</strong></p>',
      );
      expect(html).toContain(
        '<p><strong>Example Agent</strong> from <strong>agent.example.com</strong> is asking to use mcp.example.com on your behalf:</p>',
      );
      expect(html).not.toContain('any program can claim to be');
      expect(html).not.toContain(plainLoopbackWarning);
    });

    it('escapes a hostile name and host', () => {
      const html = renderConsentPage(
        documentClient({
          clientName: '<img src=x onerror=alert(1)>',
          clientIdHost: '"><script>alert(2)</script>',
          unverifiedLoopbackClient: true,
          redirectIsLoopback: true,
        }),
      );
      const host = '&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;';
      const name = '&lt;img src=x onerror=alert(1)&gt;';
      expect(html).toContain(`Published by <strong>${host}</strong>`);
      expect(html).toContain(`<strong>${name}</strong> from <strong>${host}</strong>`);
      expect(html).toContain(`any program can claim to be ${host}.`);
      expect(html).toContain(`expect it to come from ${host}.`);
      expect(html).not.toContain('<script>');
      expect(html).not.toContain('<img');
    });

    it('warns that any local program can claim a loopback-only client, instead of the plain warning', () => {
      const html = renderConsentPage(
        documentClient({
          unverifiedLoopbackClient: true,
          redirectHost: '127.0.0.1:4000',
          redirectIsLoopback: true,
          redirectUri: 'http://127.0.0.1:4000/callback',
        }),
      );
      expect(html).toContain(
        '<p class="error" role="alert">This application receives your approval only on your own computer, where any program can claim to be agent.example.com. Approve only if you just started it yourself and expect it to come from agent.example.com.</p>',
      );
      expect(html).not.toContain(plainLoopbackWarning);
    });

    it('keeps the plain loopback warning for a client with a web redirect too', () => {
      const html = renderConsentPage(
        documentClient({
          unverifiedLoopbackClient: false,
          redirectHost: '127.0.0.1:4000',
          redirectIsLoopback: true,
        }),
      );
      expect(html).toContain(plainLoopbackWarning);
      expect(html).not.toContain('any program can claim to be');
    });

    it.each([
      ['absent', {}],
      ['null', { clientIdHost: null }],
      ['empty', { clientIdHost: '' }],
    ])('shows none of it when clientIdHost is %s', (_case, host) => {
      const html = renderConsentPage(
        model({ clientName: 'Example Agent', unverifiedLoopbackClient: true, ...host }),
      );
      expect(html).not.toContain('Published by');
      expect(html).not.toContain('class="origin"');
      expect(html).not.toContain(' from <strong>');
      expect(html).not.toContain('any program can claim to be');
      expect(html).toContain(
        '<p><strong>Example Agent</strong> is asking to use mcp.example.com on your behalf:</p>',
      );
      expect(html).toContain(plainLoopbackWarning);
    });

    it('shows no warning for a registered client with a web redirect', () => {
      const html = renderConsentPage(
        model({ redirectIsLoopback: false, redirectHost: 'app.example.com' }),
      );
      expect(html).not.toContain('class="error"');
    });
  });
});
