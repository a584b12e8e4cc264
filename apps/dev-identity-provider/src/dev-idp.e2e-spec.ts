import type * as OpenId from 'openid-client';
import { DEMO_ACCOUNTS } from './accounts';
import { loadDevIdpConfig } from './config';
import { startDevIdp, type RunningDevIdp } from './server';

const [alice, bob] = DEMO_ACCOUNTS;
const CLIENT_ID = 'sample-mcp-server';
const CLIENT_SECRET = 'a-client-secret-for-the-test';
// Never fetched: the flow stops at the redirect and hands its URL to openid-client.
const REDIRECT_URI = 'http://127.0.0.1:9/federation/oidc/callback';

/**
 * A browser that only follows redirects, keeps cookies and submits forms: enough to drive the
 * provider's plain-HTML sign-in and consent pages over HTTP.
 */
class FormBrowser {
  private readonly cookies = new Map<string, string>();

  constructor(private readonly origin: string) {}

  /**
   * Opens `url` (or submits `form` to it) and follows the provider's redirects; stops at a page
   * (`html`) or at a redirect leaving the provider (`redirect`: the client's callback).
   */
  async open(
    url: string,
    form?: Record<string, string>,
  ): Promise<{ status: number; html?: string; redirect?: URL }> {
    let next = new URL(url, this.origin);
    let body = form && new URLSearchParams(form);
    for (let hop = 0; hop < 10; hop += 1) {
      const response = await fetch(next, {
        method: body ? 'POST' : 'GET',
        body,
        redirect: 'manual',
        headers: {
          ...(this.cookies.size
            ? { cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ') }
            : {}),
          ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        },
      });
      this.keepCookies(response);
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) {
        return { status: response.status, html: await response.text() };
      }
      await response.arrayBuffer();
      next = new URL(location, next);
      if (next.origin !== this.origin) return { status: response.status, redirect: next };
      body = undefined;
    }
    throw new Error('too many redirects');
  }

  private keepCookies(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair, ...attributes] = header.split(';');
      const [name, value] = [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)];
      const expired = attributes.some((attribute) => {
        const [key, date] = attribute.trim().split('=');
        return key.toLowerCase() === 'expires' && new Date(date).getTime() <= Date.now();
      });
      if (expired || value === '') this.cookies.delete(name.trim());
      else this.cookies.set(name.trim(), value);
    }
  }
}

/** The `action` of the page's form ending with `suffix` (login, confirm or abort). */
function formAction(html: string, suffix: string): string {
  const actions = [...html.matchAll(/<form method="post" action="([^"]+)">/g)].map((m) =>
    m[1].replace(/&amp;/g, '&'),
  );
  const action = actions.find((candidate) => candidate.endsWith(`/${suffix}`));
  if (!action) throw new Error(`no ${suffix} form on the page: ${html}`);
  return action;
}

describe('the development identity provider (oidc-provider), driven by openid-client', () => {
  let idp: RunningDevIdp;
  let client: typeof OpenId;
  let config: OpenId.Configuration;
  const warn = jest.spyOn(console, 'warn');

  beforeAll(async () => {
    // oidc-provider's notices (Node 20, in-memory storage) are expected here.
    warn.mockImplementation(() => undefined);
    const specifier = 'openid-client';
    client = (await import(specifier)) as typeof OpenId;
    idp = await startDevIdp(
      loadDevIdpConfig({
        HOST: '127.0.0.1',
        PORT: '0',
        DEV_IDP_CLIENT_SECRET: CLIENT_SECRET,
        DEV_IDP_REDIRECT_URIS: REDIRECT_URI,
      }),
      () => undefined,
    );
    config = await client.discovery(
      new URL(idp.issuer),
      CLIENT_ID,
      undefined,
      client.ClientSecretBasic(CLIENT_SECRET),
      { execute: [client.allowInsecureRequests] },
    );
  });

  afterAll(async () => {
    await idp?.close();
    warn.mockRestore();
  });

  /** A fresh authorization request: its URL and the checks the callback is verified with. */
  async function authorization(
    scope = 'openid profile email groups',
    extra: Record<string, string> = {},
  ) {
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope,
      state,
      nonce,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      ...extra,
    });
    return {
      url: url.href,
      checks: { pkceCodeVerifier: codeVerifier, expectedState: state, expectedNonce: nonce },
    };
  }

  /** Signs in on the login page and allows on the consent page; returns the callback URL. */
  async function signInAndConsent(
    browser: FormBrowser,
    url: string,
    account = alice,
  ): Promise<URL> {
    const login = await browser.open(url);
    expect(login.html).toContain('Sign in to continue to Sample MCP server');
    const consent = await browser.open(formAction(login.html!, 'login'), {
      username: account.username,
      password: account.password,
    });
    expect(consent.html).toContain('Sample MCP server wants to access your account');
    const done = await browser.open(formAction(consent.html!, 'confirm'), {});
    expect(done.redirect).toBeDefined();
    return done.redirect!;
  }

  it('publishes OpenID Connect discovery with PKCE S256, userinfo, revocation and its scopes', () => {
    const metadata = config.serverMetadata();
    expect(metadata).toMatchObject({
      issuer: idp.issuer,
      code_challenge_methods_supported: ['S256'],
      response_types_supported: ['code'],
      authorization_response_iss_parameter_supported: true,
      userinfo_endpoint: `${idp.issuer}/me`,
      revocation_endpoint: `${idp.issuer}/token/revocation`,
    });
    expect(metadata.scopes_supported).toEqual(
      expect.arrayContaining(['openid', 'profile', 'email', 'groups', 'offline_access']),
    );
  });

  it('signs alice in (code + PKCE): ID token claims, userinfo, refresh, then RFC 7009 revocation', async () => {
    const { url, checks } = await authorization();
    const callback = await signInAndConsent(new FormBrowser(idp.issuer), url);
    expect(callback.origin + callback.pathname).toBe(REDIRECT_URI);
    expect(callback.searchParams.get('iss')).toBe(idp.issuer);

    const tokens = await client.authorizationCodeGrant(config, callback, checks);
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.refresh_token).toEqual(expect.any(String));
    expect(tokens.claims()).toMatchObject({
      iss: idp.issuer,
      aud: CLIENT_ID,
      sub: alice.id,
      nonce: checks.expectedNonce,
      name: 'Alice Liddell',
      preferred_username: 'alice',
      email: 'alice@example.com',
      email_verified: true,
      groups: ['engineering', 'mcp-users'],
    });

    const userinfo = await client.fetchUserInfo(config, tokens.access_token, alice.id);
    expect(userinfo).toMatchObject({
      sub: alice.id,
      name: 'Alice Liddell',
      email: 'alice@example.com',
      groups: ['engineering', 'mcp-users'],
    });

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(refreshed.claims()).toMatchObject({ sub: alice.id, email: 'alice@example.com' });
    const current = refreshed.refresh_token ?? tokens.refresh_token!;

    await client.tokenRevocation(config, current, { token_type_hint: 'refresh_token' });
    await expect(client.refreshTokenGrant(config, current)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('releases only the granted scopes: bob without groups, with his unverified email', async () => {
    const { url, checks } = await authorization('openid profile email');
    const tokens = await client.authorizationCodeGrant(
      config,
      await signInAndConsent(new FormBrowser(idp.issuer), url, bob),
      checks,
    );
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({ sub: bob.id, name: 'Bob Builder', email_verified: false });
    expect(claims.groups).toBeUndefined();
    expect(tokens.scope).toBe('openid profile email');
  });

  it('grants offline_access when asked with prompt=consent (OIDC Core §11), and refreshes', async () => {
    const { url, checks } = await authorization('openid offline_access', { prompt: 'consent' });
    const tokens = await client.authorizationCodeGrant(
      config,
      await signInAndConsent(new FormBrowser(idp.issuer), url),
      checks,
    );
    expect(tokens.scope?.split(' ').sort()).toEqual(['offline_access', 'openid']);
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.claims()?.sub).toBe(alice.id);
  });

  it('remembers the session and the consent: a second authorization goes straight back', async () => {
    const browser = new FormBrowser(idp.issuer);
    const first = await authorization();
    await signInAndConsent(browser, first.url);

    const second = await authorization();
    const { redirect } = await browser.open(second.url);
    const tokens = await client.authorizationCodeGrant(config, redirect!, second.checks);
    expect(tokens.claims()?.sub).toBe(alice.id);
  });

  it('asks consent again only for a new scope, extending the existing grant', async () => {
    const browser = new FormBrowser(idp.issuer);
    await signInAndConsent(browser, (await authorization('openid profile')).url);

    const wider = await authorization('openid profile groups');
    const consent = await browser.open(wider.url);
    expect(consent.html).toContain('scope <code>groups</code>');
    expect(consent.html).not.toContain('scope <code>profile</code>');
    const { redirect } = await browser.open(formAction(consent.html!, 'confirm'), {});
    const tokens = await client.authorizationCodeGrant(config, redirect!, wider.checks);
    expect(tokens.scope).toBe('openid profile groups');
    expect(tokens.claims()).toMatchObject({ name: 'Alice Liddell', groups: alice.claims.groups });
  });

  it('refuses a wrong password on the sign-in page, which stays', async () => {
    const browser = new FormBrowser(idp.issuer);
    const login = await browser.open((await authorization()).url);
    const again = await browser.open(formAction(login.html!, 'login'), {
      username: 'alice',
      password: 'not-her-password',
    });
    expect(again.status).toBe(200);
    expect(again.html).toContain('Wrong username or password.');
    expect(again.html).toContain('value="alice"');
    expect(formAction(again.html!, 'login')).toBe(formAction(login.html!, 'login'));
  });

  it('answers access_denied, with state and iss, when the user denies consent', async () => {
    const { url, checks } = await authorization();
    const browser = new FormBrowser(idp.issuer);
    const login = await browser.open(url);
    const consent = await browser.open(formAction(login.html!, 'login'), {
      username: alice.username,
      password: alice.password,
    });
    const { redirect } = await browser.open(formAction(consent.html!, 'abort'), {});
    expect(redirect!.searchParams.get('error')).toBe('access_denied');
    expect(redirect!.searchParams.get('state')).toBe(checks.expectedState);
    expect(redirect!.searchParams.get('iss')).toBe(idp.issuer);
    await expect(client.authorizationCodeGrant(config, redirect!, checks)).rejects.toMatchObject({
      error: 'access_denied',
    });
  });

  it('requires PKCE', async () => {
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      state: 'some-state',
    });
    const { redirect } = await new FormBrowser(idp.issuer).open(url.href);
    expect(redirect!.searchParams.get('error')).toBe('invalid_request');
    expect(redirect!.searchParams.get('error_description')).toMatch(/requires PKCE/);
  });

  it('refuses a redirect URI that is not registered, without redirecting to it', async () => {
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: 'https://attacker.example/callback',
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    const page = await new FormBrowser(idp.issuer).open(url.href);
    expect(page.redirect).toBeUndefined();
    expect(page.status).toBe(400);
    expect(page.html).toContain('redirect_uri');
  });

  it('refuses a wrong client secret at the token endpoint', async () => {
    const { url, checks } = await authorization();
    const callback = await signInAndConsent(new FormBrowser(idp.issuer), url);
    const impostor = await client.discovery(
      new URL(idp.issuer),
      CLIENT_ID,
      undefined,
      client.ClientSecretBasic('not-the-secret'),
      { execute: [client.allowInsecureRequests] },
    );
    await expect(client.authorizationCodeGrant(impostor, callback, checks)).rejects.toMatchObject({
      status: 401,
      cause: [
        { scheme: 'basic', parameters: expect.objectContaining({ error: 'invalid_client' }) },
      ],
    });
  });

  it("does not continue another browser's interaction", async () => {
    const victim = new FormBrowser(idp.issuer);
    const login = await victim.open((await authorization()).url);
    const attacker = new FormBrowser(idp.issuer);
    await attacker.open((await authorization()).url);
    const page = await attacker.open(formAction(login.html!, 'login'), {
      username: alice.username,
      password: alice.password,
    });
    expect(page.status).toBe(400);
    expect(page.html).toContain('Sign-in expired');
  });
});
