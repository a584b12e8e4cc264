import { ClientStore, type NewClient } from '@app/mcp-auth';
import { computeS256Challenge } from './support/pkce';
import { publicClient } from './support/authorization-fixtures';
import { TestBrowser, parseForm } from './support/browser';
import { createTestApp, type TestApp } from './support/test-app';

const VERIFIER = 'a'.repeat(20) + '-._~' + 'b'.repeat(30);
const CHALLENGE = computeS256Challenge(VERIFIER);

describe('authorization endpoint and interaction pages (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
    const clients = t.app.get<ClientStore>(ClientStore);
    const base: NewClient = {
      ...publicClient('native-app'),
      clientName: '<script>alert("pwned")</script>',
    };
    await clients.create(base);
    await clients.create({
      ...base,
      clientId: 'web-app',
      clientName: 'Web App',
      redirectUris: ['https://app.example.com/cb', 'https://app.example.com/other'],
      applicationType: 'web',
    });
    // Pre-registered: its scope is the operator's allow-list.
    await clients.create({
      ...base,
      clientId: 'narrow-app',
      clientName: 'Narrow',
      scope: 'mcp:tools',
      source: 'static',
    });
    // Registered itself with the scope of a first challenge; may step up later (RS-9).
    await clients.create({
      ...base,
      clientId: 'dynamic-narrow-app',
      clientName: 'Dynamic narrow',
      scope: 'mcp:tools',
    });
  });
  afterAll(() => t.close());

  function authorizeUrl(params: Record<string, string | undefined> = {}): string {
    const url = new URL(`${t.url}/authorize`);
    const defaults: Record<string, string | undefined> = {
      response_type: 'code',
      client_id: 'native-app',
      redirect_uri: 'http://127.0.0.1:51234/callback',
      code_challenge: CHALLENGE,
      code_challenge_method: 'S256',
      state: 'st&ate=1',
      scope: 'mcp:tools',
    };
    for (const [name, value] of Object.entries({ ...defaults, ...params })) {
      if (value !== undefined) url.searchParams.set(name, value);
    }
    return url.toString();
  }

  const countRows = async (table: string): Promise<number> =>
    (await t.db.dataSource.query(`SELECT count(*)::int AS n FROM ${table}`))[0].n;

  it('AS-13/AS-14/AS-16/AS-17: signs in, consents and returns code, state and iss once each to the loopback port asked for', async () => {
    const browser = new TestBrowser(t.url);
    const redirect = await browser.authorize(authorizeUrl());
    expect(`${redirect.origin}${redirect.pathname}`).toBe('http://127.0.0.1:51234/callback');
    expect(redirect.searchParams.getAll('code')).toHaveLength(1);
    expect(redirect.searchParams.getAll('state')).toEqual(['st&ate=1']);
    expect(redirect.searchParams.getAll('iss')).toEqual([t.url]);
    const code = redirect.searchParams.get('code') as string;
    const rows = await t.db.dataSource.query(
      `SELECT * FROM mcp_auth_authorization_codes WHERE client_id = 'native-app'`,
    );
    expect(rows.length).toBeGreaterThan(0);
    expect(JSON.stringify(rows)).not.toContain(code);
    expect(rows[0]).toMatchObject({
      subject: 'user-alice',
      scopes: ['mcp:tools'],
      resource: `${t.url}/mcp`,
      code_challenge: CHALLENGE,
    });
  });

  it('AS-17 / RFC 8252 §8.6: a public client is asked for consent every time, and sign-in is never skipped', async () => {
    const browser = new TestBrowser(t.url);
    await browser.authorize(authorizeUrl({ scope: 'mcp:resources' }));
    expect(browser.lastPages).toEqual(['login', 'consent']);
    const second = new TestBrowser(t.url);
    const start = await second.navigate(authorizeUrl({ scope: 'mcp:resources' }));
    expect(parseForm(start.html ?? '')?.fields).toContain('password');
    const redirect = await second.authorize(authorizeUrl({ scope: 'mcp:resources' }));
    // Anyone can present native-app's client_id: its approval is not remembered.
    expect(second.lastPages).toEqual(['login', 'consent']);
    expect(redirect.searchParams.get('code')).toBeTruthy();
  });

  it('AS-18: unknown and OIDC parameters are ignored, prompt=consent is honoured; POST works like GET', async () => {
    const browser = new TestBrowser(t.url);
    const url = new URL(authorizeUrl({ prompt: 'consent', nonce: 'n', foo: 'bar' }));
    const form = Object.fromEntries(url.searchParams);
    const first = await browser.request(`${t.url}/authorize`, { form });
    expect(first.status).toBe(302);
    const redirect = await browser.authorize(first.headers.get('location') as string);
    expect(browser.lastPages).toEqual(['login', 'consent']);
    expect(redirect.searchParams.get('code')).toBeTruthy();
  });

  it('RS-9: a dynamic client may ask for more than the scope it registered with (step-up)', async () => {
    const browser = new TestBrowser(t.url);
    const redirect = await browser.authorize(
      authorizeUrl({ client_id: 'dynamic-narrow-app', scope: 'mcp:tools mcp:resources' }),
    );
    expect(redirect.searchParams.get('code')).toBeTruthy();
  });

  it('AS-15: defaults scope and resource when the client sends neither', async () => {
    const browser = new TestBrowser(t.url);
    const redirect = await browser.authorize(authorizeUrl({ scope: undefined, state: undefined }));
    expect(redirect.searchParams.has('state')).toBe(false);
    const [row] = await t.db.dataSource.query(
      `SELECT scopes, resource FROM mcp_auth_authorization_requests ORDER BY created_at DESC LIMIT 1`,
    );
    expect(row).toEqual({ scopes: ['mcp:tools', 'mcp:resources'], resource: `${t.url}/mcp` });
  });

  it('AS-15: accepts the resource with an upper-case scheme and host', async () => {
    const browser = new TestBrowser(t.url);
    const resource = `${t.url.replace('http://', 'HTTP://')}/mcp`;
    const redirect = await browser.authorize(authorizeUrl({ resource }));
    expect(redirect.searchParams.get('code')).toBeTruthy();
  });

  describe('errors before the redirect URI is trusted are shown, never redirected (AS-14)', () => {
    it.each([
      ['unknown client', { client_id: 'nobody' }],
      ['missing client_id', { client_id: undefined }],
      ['unregistered redirect_uri', { redirect_uri: 'https://evil.example.com/callback' }],
      ['redirect to another path', { redirect_uri: 'http://127.0.0.1:51234/callback/../evil' }],
      [
        'localhost for a 127.0.0.1 registration',
        { redirect_uri: 'http://localhost:51234/callback' },
      ],
      ['userinfo trick', { redirect_uri: 'http://127.0.0.1@evil.example.com/callback' }],
      [
        'no redirect_uri with several registered',
        { client_id: 'web-app', redirect_uri: undefined },
      ],
      ['repeated client_id', { client_id: undefined, repeated: 'client_id' }],
    ])('%s → 400 page', async (_label, params) => {
      const before = await countRows('mcp_auth_authorization_requests');
      let url = authorizeUrl(params);
      if ((params as { repeated?: string }).repeated) {
        url += '&client_id=native-app&client_id=web-app';
      }
      const response = await fetch(url, { redirect: 'manual' });
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect(response.headers.get('content-type')).toContain('text/html');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(await countRows('mcp_auth_authorization_requests')).toBe(before);
    });
  });

  describe('errors after the redirect URI is trusted go back with error, state and iss (AS-16)', () => {
    it.each([
      ['missing code_challenge', { code_challenge: undefined }, 'invalid_request'],
      ['plain PKCE', { code_challenge_method: 'plain' }, 'invalid_request'],
      ['missing code_challenge_method', { code_challenge_method: undefined }, 'invalid_request'],
      ['malformed challenge', { code_challenge: 'short' }, 'invalid_request'],
      ['token response type', { response_type: 'token' }, 'unsupported_response_type'],
      ['missing response type', { response_type: undefined }, 'invalid_request'],
      ['unknown scope', { scope: 'mcp:tools root' }, 'invalid_scope'],
      ['scope with a quote', { scope: 'mcp:"tools' }, 'invalid_scope'],
      [
        'scope beyond the client registration',
        { client_id: 'narrow-app', scope: 'mcp:resources' },
        'invalid_scope',
      ],
      ['foreign resource', { resource: 'https://other.example.com/mcp' }, 'invalid_target'],
      ['resource with a fragment', { resource: 'http://127.0.0.1/mcp#x' }, 'invalid_target'],
    ])('%s → %s', async (_label, params, error) => {
      const before = await countRows('mcp_auth_authorization_requests');
      const response = await fetch(authorizeUrl(params), {
        redirect: 'manual',
      });
      expect(response.status).toBe(302);
      const location = new URL(response.headers.get('location') as string);
      expect(`${location.origin}${location.pathname}`).toBe('http://127.0.0.1:51234/callback');
      expect(location.searchParams.get('error')).toBe(error);
      expect(location.searchParams.get('error_description')).toBeTruthy();
      expect(location.searchParams.get('state')).toBe('st&ate=1');
      expect(location.searchParams.get('iss')).toBe(t.url);
      expect(location.searchParams.has('code')).toBe(false);
      expect(await countRows('mcp_auth_authorization_requests')).toBe(before);
    });

    it('two resources → invalid_target', async () => {
      const url = `${authorizeUrl()}&resource=${encodeURIComponent(`${t.url}/mcp`)}&resource=${encodeURIComponent(`${t.url}/mcp`)}`;
      const response = await fetch(url, { redirect: 'manual' });
      expect(new URL(response.headers.get('location') as string).searchParams.get('error')).toBe(
        'invalid_target',
      );
    });
  });

  it('AS-17: deny returns access_denied with state and iss and issues no code', async () => {
    const before = await countRows('mcp_auth_authorization_codes');
    const browser = new TestBrowser(t.url);
    const redirect = await browser.authorize(authorizeUrl({ scope: 'mcp:admin' }), {
      decision: 'deny',
    });
    expect(redirect.searchParams.get('error')).toBe('access_denied');
    expect(redirect.searchParams.get('state')).toBe('st&ate=1');
    expect(redirect.searchParams.get('iss')).toBe(t.url);
    expect(await countRows('mcp_auth_authorization_codes')).toBe(before);
  });

  it('AS-17: pages refuse framing, are not cached, set a HttpOnly SameSite=Lax cookie and escape the client name', async () => {
    const browser = new TestBrowser(t.url);
    // A scope nobody approved yet, so the consent page is shown.
    const first = await browser.request(authorizeUrl({ scope: 'mcp:admin mcp:tools' }));
    const cookie = first.headers.getSetCookie().join(';');
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).not.toMatch(/Secure/i); // plain-http issuer on loopback
    const login = await browser.navigate(first.headers.get('location') as string);
    expect(login.response.headers.get('x-frame-options')).toBe('DENY');
    expect(login.response.headers.get('content-security-policy')).toContain(
      "frame-ancestors 'none'",
    );
    expect(login.response.headers.get('cache-control')).toBe('no-store');
    expect(login.html).not.toContain('<script>');
    expect(login.html).toContain('&lt;script&gt;');
    const form = parseForm(login.html as string)!;
    const consent = await browser.navigate(new URL(form.action, t.url).toString(), {
      form: { csrf: form.csrf, username: 'alice', password: 'alice-password' },
    });
    expect(consent.html).toContain('name="decision" value="approve"');
    expect(consent.html).toContain('name="decision" value="deny"');
    expect(consent.html).toContain('127.0.0.1:51234');
    expect(consent.html).toContain('Call tools');
    expect(consent.html).not.toContain('<script>');
  });

  async function toLoginPage(browser: TestBrowser, scope = 'mcp:tools') {
    const first = await browser.request(authorizeUrl({ scope }));
    const loginUrl = first.headers.get('location') as string;
    const page = await browser.navigate(loginUrl);
    return { loginUrl, form: parseForm(page.html as string)! };
  }

  it('AS-17: a wrong password re-shows the form with 401 and signs nobody in', async () => {
    const browser = new TestBrowser(t.url);
    const { form, loginUrl } = await toLoginPage(browser);
    const result = await browser.navigate(new URL(form.action, t.url).toString(), {
      form: { csrf: form.csrf, username: 'alice', password: 'wrong' },
    });
    expect(result.response.status).toBe(401);
    expect(result.html).toContain('not correct');
    const again = await browser.navigate(loginUrl);
    expect(parseForm(again.html as string)?.fields).toContain('password');
  });

  it('AS-17: a missing or foreign CSRF token is refused', async () => {
    const browser = new TestBrowser(t.url);
    const { form } = await toLoginPage(browser);
    const action = new URL(form.action, t.url).toString();
    const missing = await browser.request(action, {
      form: { username: 'alice', password: 'alice-password' },
    });
    expect(missing.status).toBe(403);
    const other = new TestBrowser(t.url);
    const { form: otherForm } = await toLoginPage(other);
    const foreign = await browser.request(action, {
      form: { csrf: otherForm.csrf, username: 'alice', password: 'alice-password' },
    });
    expect(foreign.status).toBe(403);
  });

  it('AS-17: another browser cannot continue someone else’s interaction', async () => {
    const victim = new TestBrowser(t.url);
    const { loginUrl, form } = await toLoginPage(victim);
    const attacker = new TestBrowser(t.url);
    expect((await attacker.request(loginUrl)).status).toBe(403);
    const post = await attacker.request(new URL(form.action, t.url).toString(), {
      form: { csrf: form.csrf, username: 'bob', password: 'bob-password' },
    });
    expect(post.status).toBe(403);
  });

  it('AS-19: a replayed consent form finds the interaction finished (and says it was answered)', async () => {
    const browser = new TestBrowser(t.url);
    const { form } = await toLoginPage(browser);
    const consent = await browser.navigate(new URL(form.action, t.url).toString(), {
      form: { csrf: form.csrf, username: 'bob', password: 'bob-password' },
    });
    const consentForm = parseForm(consent.html as string)!;
    const action = new URL(consentForm.action, t.url).toString();
    const first = await browser.request(action, {
      form: { csrf: consentForm.csrf, decision: 'approve' },
    });
    expect(first.status).toBe(303);
    const replay = await browser.request(action, {
      form: { csrf: consentForm.csrf, decision: 'approve' },
    });
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('Already answered');
  });

  it('AS-19: concurrent approvals of one interaction issue exactly one code', async () => {
    const browser = new TestBrowser(t.url);
    const { form } = await toLoginPage(browser, 'mcp:admin');
    const consent = await browser.navigate(new URL(form.action, t.url).toString(), {
      form: { csrf: form.csrf, username: 'bob', password: 'bob-password' },
    });
    const consentForm = parseForm(consent.html as string)!;
    const action = new URL(consentForm.action, t.url).toString();
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        browser.request(action, { form: { csrf: consentForm.csrf, decision: 'approve' } }),
      ),
    );
    const redirects = results.filter((r) => r.status === 303);
    expect(redirects).toHaveLength(1);
    expect(
      new URL(redirects[0].headers.get('location') as string).searchParams.get('code'),
    ).toBeTruthy();
  });

  it("registration.enforceClientScope makes a dynamic client's registered scope its limit", async () => {
    const strict = await createTestApp({
      db: t.db,
      auth: () => ({ registration: { enforceClientScope: true } }),
    });
    try {
      // Rows are per issuer: the strict app (another port, another issuer) gets its own copy.
      const own = await t.app.get<ClientStore>(ClientStore).findById('dynamic-narrow-app');
      await strict.app.get<ClientStore>(ClientStore).create({ ...own!, source: 'dynamic' });
      const url = new URL(
        authorizeUrl({ client_id: 'dynamic-narrow-app', scope: 'mcp:resources' }),
      );
      const response = await fetch(`${strict.url}/authorize${url.search}`, { redirect: 'manual' });
      expect(response.status).toBe(302);
      expect(new URL(response.headers.get('location') as string).searchParams.get('error')).toBe(
        'invalid_scope',
      );
    } finally {
      await strict.close();
    }
  });

  it('answers other methods with 405 and Allow', async () => {
    const response = await fetch(authorizeUrl(), { method: 'PUT' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, POST');
  });
});
