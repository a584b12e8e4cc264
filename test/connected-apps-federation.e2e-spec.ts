import { Logger } from '@nestjs/common';
import { McpAuthAudit, type McpAuthAuditEvent } from '@app/mcp-auth';
import {
  authorizeUrl,
  createClients,
  publicClient,
  redirectUriOf,
} from './support/authorization-fixtures';
import { FederationBrowser, formTo, type BrowserPage } from './support/federation-browser';
import {
  startHostileOidcProvider,
  type HostileOidcProvider,
} from './support/hostile-oidc-provider';
import { createTestApp, type TestApp } from './support/test-app';

/**
 * Connected apps: signing in on the page through an upstream provider. The round
 * trip is federation's own (state bound to the browser, PKCE, nonce, `iss`, single use), but
 * it ends in the page's session for the subject authorization maps the person to, so they see
 * the grants they made through federation. A page state never finishes an authorization and
 * an authorization's state never signs in on the page. The upstream provider is a real HTTP
 * server on loopback (`support/hostile-oidc-provider.ts`) that redirects straight back.
 * Requirements: AS-28 (federation), AS-17 (state single use, CSRF, binding), AS-24 (errors
 * raised by the body parsers on the page's and the API's routes).
 */
const CLIENT = publicClient('fed-apps-cli');
const VERIFIER = 'f'.repeat(43);
const PAGE = '/connected-apps';
const START = '/federation/hostile/connected-apps';
const CALLBACK_PATH = '/federation/hostile/callback';
const SESSION_COOKIE = 'mcp_auth_apps';

type SignInEvent = Extract<McpAuthAuditEvent, { type: 'sign_in.succeeded' | 'sign_in.failed' }>;

describe('connected apps: sign-in through federation', () => {
  let upstream: HostileOidcProvider;
  let t: TestApp;
  let emitted: SignInEvent[];

  beforeAll(async () => {
    upstream = await startHostileOidcProvider({ clientId: 'mcp-auth-apps' });
    t = await createTestApp({
      auth: () => ({
        federation: {
          providers: [
            {
              type: 'oidc',
              id: 'hostile',
              name: 'Hostile IdP',
              issuer: upstream.issuer,
              clientId: upstream.clientId,
              clientSecret: upstream.clientSecret,
              allowInsecureHttp: true,
              keepTokens: true,
            },
          ],
          tokenEncryptionKeys: ['k'.repeat(40)],
        },
      }),
    });
    Logger.overrideLogger(['error']);
    await createClients(t, [CLIENT]);
  });
  afterAll(async () => {
    await t?.close();
    await upstream?.close();
  });

  beforeEach(() => {
    upstream.reset();
    emitted = [];
    const audit = t.app.get(McpAuthAudit);
    // Recorded, not logged: the sign-in events of each case alone.
    jest.spyOn(audit, 'emit').mockImplementation((event) => {
      if (event.type === 'sign_in.succeeded' || event.type === 'sign_in.failed') {
        emitted.push(event as SignInEvent);
      }
    });
  });
  afterEach(() => jest.restoreAllMocks());

  const count = async (table: string): Promise<number> => {
    const rows: { n: string }[] = await t.db.dataSource.query(`SELECT count(*) AS n FROM ${table}`);
    return Number(rows[0].n);
  };

  /** Authorizes CLIENT through the provider (consent, then upstream) and redeems the code. */
  async function authorizeThroughFederation(): Promise<{ refresh_token: string }> {
    const browser = new FederationBrowser(redirectUriOf(CLIENT));
    const signIn = (await browser.go(authorizeUrl(t, CLIENT))).page!;
    const federate = formTo(signIn, '/federate/hostile');
    const step = await browser.go(federate.action, federate.fields);
    expect(step.stopped).toBeDefined();
    const response = await fetch(`${t.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: CLIENT.clientId,
        code: step.stopped!.searchParams.get('code')!,
        redirect_uri: redirectUriOf(CLIENT),
        code_verifier: VERIFIER,
      }).toString(),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as { refresh_token: string };
  }

  /** The page's sign-in form for the provider, in `browser` (which gets its binding cookie). */
  async function startForm(browser: FederationBrowser) {
    const signInPage = (await browser.go(`${t.url}${PAGE}`)).page!;
    expect(signInPage.status).toBe(200);
    expect(signInPage.html).toContain('Continue with Hostile IdP');
    return formTo(signInPage, START);
  }

  /** Starts the page's sign-in and stops when the provider sends the browser back. */
  async function callbackOf(browser: FederationBrowser): Promise<URL> {
    const form = await startForm(browser);
    const step = await browser.go(form.action, form.fields);
    expect(step.stopped?.pathname).toBe(CALLBACK_PATH);
    return step.stopped!;
  }

  const jar = (browser: FederationBrowser) => browser.cookies(t.url);

  it('signs in as the subject federation maps to, lists the grant made through it, and revokes it', async () => {
    const tokens = await authorizeThroughFederation();
    const kept = await count('mcp_auth_upstream_tokens');
    const states = await count('mcp_auth_federation_states');

    const browser = new FederationBrowser('http://stop.invalid/');
    const form = await startForm(browser);
    const list = (await browser.go(form.action, form.fields)).page!;
    expect(list.url).toBe(`${t.url}${PAGE}`);
    expect(list.status).toBe(200);
    expect(list.html).toContain(`${CLIENT.clientId} (public)`);
    expect(jar(browser).has(SESSION_COOKIE)).toBe(true);

    // The upstream request: PKCE S256, a nonce, the registered callback, a fresh state.
    const sent = upstream.requestsTo('/authorize').at(-1)!.query;
    expect(sent).toMatchObject({
      code_challenge_method: 'S256',
      redirect_uri: `${t.url}${CALLBACK_PATH}`,
    });
    expect(sent.nonce).toBeTruthy();
    // No upstream token is kept for a page sign-in; its state is gone (single use).
    expect(await count('mcp_auth_upstream_tokens')).toBe(kept);
    expect(await count('mcp_auth_federation_states')).toBe(states);

    const signedIn = emitted.find((e) => e.type === 'sign_in.succeeded' && e.context);
    expect(signedIn).toEqual({
      type: 'sign_in.succeeded',
      method: 'federation',
      provider: 'hostile',
      context: 'connected_apps',
      subject: `hostile|${upstream.subject}`,
    });
    for (const secret of upstream.issued) expect(JSON.stringify(emitted)).not.toContain(secret);

    // The API sees the same grant; the page's revoke form ends it.
    const api = await fetch(`${t.url}${PAGE}/api/grants`, {
      headers: { cookie: `${SESSION_COOKIE}=${jar(browser).get(SESSION_COOKIE)}` },
    });
    const grants = ((await api.json()) as { grants: { client_id: string }[] }).grants;
    expect(grants.map((g) => g.client_id)).toEqual([CLIENT.clientId]);
    const revoke = formTo(list, `${PAGE}/revoke`);
    const after = (await browser.go(revoke.action, revoke.fields)).page!;
    expect(after.status).toBe(200);
    expect(after.html).toContain('Access revoked.');
    const refresh = await fetch(`${t.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: CLIENT.clientId,
        refresh_token: tokens.refresh_token,
      }).toString(),
    });
    expect(refresh.status).toBe(400);
  });

  it('refuses a state the provider did not get back (wrong state): nothing signed in', async () => {
    upstream.behaviour = { authorizationResponse: { state: 'not-the-state-we-sent' } };
    const browser = new FederationBrowser('http://stop.invalid/');
    const form = await startForm(browser);
    const page = (await browser.go(form.action, form.fields)).page!;
    expectPage(page, 400, 'This sign-in has expired');
    expect(jar(browser).has(SESSION_COOKIE)).toBe(false);
  });

  it('uses a state once: the replayed callback signs in nobody', async () => {
    const browser = new FederationBrowser(`${t.url}${CALLBACK_PATH}`);
    const callback = await callbackOf(browser);
    const replays = await Promise.all(
      [0, 1, 2].map(() =>
        fetch(callback, {
          headers: { cookie: `mcp_auth_browser=${jar(browser).get('mcp_auth_browser')}` },
          redirect: 'manual',
        }),
      ),
    );
    // Concurrent callbacks with the same state: exactly one signs in (the row is deleted once).
    const statuses = replays.map((r) => r.status).sort();
    expect(statuses).toEqual([303, 400, 400]);
    const winner = replays.find((r) => r.status === 303)!;
    expect(winner.headers.get('location')).toBe(PAGE);
    expect(winner.headers.getSetCookie().some((c) => c.startsWith(`${SESSION_COOKIE}=`))).toBe(
      true,
    );
    const again = await fetch(callback, {
      headers: { cookie: `mcp_auth_browser=${jar(browser).get('mcp_auth_browser')}` },
      redirect: 'manual',
    });
    expect(again.status).toBe(400);
    expect(again.headers.getSetCookie().some((c) => c.startsWith(`${SESSION_COOKIE}=`))).toBe(
      false,
    );
  });

  it('refuses a state started in another browser, which the right browser can still finish', async () => {
    const victim = new FederationBrowser(`${t.url}${CALLBACK_PATH}`);
    const callback = await callbackOf(victim);
    const attacker = new FederationBrowser('http://stop.invalid/');
    await attacker.go(`${t.url}${PAGE}`);
    const refused = (await attacker.go(callback.toString())).page!;
    expectPage(refused, 403, 'Request refused');
    expect(jar(attacker).has(SESSION_COOKIE)).toBe(false);
    // Without any binding cookie at all: the same refusal.
    const bare = await fetch(callback, { redirect: 'manual' });
    expect(bare.status).toBe(403);

    const finished = new FederationBrowser('http://stop.invalid/');
    for (const [name, value] of jar(victim)) jar(finished).set(name, value);
    const list = (await finished.go(callback.toString())).page!;
    expect(list.url).toBe(`${t.url}${PAGE}`);
    expect(list.status).toBe(200);
  });

  it('a page state finishes no authorization pending in the same browser', async () => {
    const browser = new FederationBrowser(redirectUriOf(CLIENT));
    // An authorization is waiting on its consent page in this browser...
    const consent = (await browser.go(authorizeUrl(t, CLIENT))).page!;
    const federate = formTo(consent, '/federate/hostile');
    const codesBefore = await count('mcp_auth_authorization_codes');
    // ...but the browser signs in on the page instead.
    const form = await startForm(browser);
    const list = await browser.go(form.action, form.fields);
    expect(list.stopped).toBeUndefined();
    expect(list.page!.url).toBe(`${t.url}${PAGE}`);
    expect(browser.visited.some((url) => url.startsWith(redirectUriOf(CLIENT)))).toBe(false);
    expect(await count('mcp_auth_authorization_codes')).toBe(codesBefore);
    // The pending authorization is untouched: its own round trip still ends in a code.
    const step = await browser.go(federate.action, federate.fields);
    expect(step.stopped?.searchParams.get('code')).toBeTruthy();
  });

  it("an authorization's state never signs in on the page", async () => {
    const browser = new FederationBrowser(`${t.url}${CALLBACK_PATH}`);
    const consent = (await browser.go(authorizeUrl(t, CLIENT))).page!;
    const federate = formTo(consent, '/federate/hostile');
    const step = await browser.go(federate.action, federate.fields);
    const callback = step.stopped!;
    const response = await fetch(callback, {
      headers: { cookie: `mcp_auth_browser=${jar(browser).get('mcp_auth_browser')}` },
      redirect: 'manual',
    });
    // It finishes the authorization it was made for (a code for the client), nothing else.
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toMatch(new RegExp(`^${redirectUriOf(CLIENT)}\\?`));
    expect(response.headers.getSetCookie().some((c) => c.startsWith(`${SESSION_COOKIE}=`))).toBe(
      false,
    );
    expect(emitted.some((e) => e.type === 'sign_in.succeeded' && e.context)).toBe(false);
  });

  it('refuses an answer naming another issuer (RFC 9207 iss) or a forged ID token: nobody signed in', async () => {
    for (const behaviour of [
      { authorizationResponse: { iss: 'https://idp.evil.example' } },
      { idToken: { signWith: 'rogue' as const } },
    ]) {
      upstream.behaviour = behaviour;
      const browser = new FederationBrowser('http://stop.invalid/');
      const form = await startForm(browser);
      const page = (await browser.go(form.action, form.fields)).page!;
      expectPage(page, 400, 'Sign-in failed');
      expect(jar(browser).has(SESSION_COOKIE)).toBe(false);
    }
    expect(emitted.map((e) => e.type === 'sign_in.failed' && e.reason)).toEqual([
      'upstream_refused',
      'upstream_refused',
    ]);
  });

  it('tells the user when they cancelled at the provider, and audits it', async () => {
    upstream.behaviour = {
      authorizationResponse: { code: undefined, error: 'access_denied' },
    };
    const browser = new FederationBrowser('http://stop.invalid/');
    const form = await startForm(browser);
    const page = (await browser.go(form.action, form.fields)).page!;
    expectPage(page, 403, 'Sign-in cancelled');
    expect(jar(browser).has(SESSION_COOKIE)).toBe(false);
    expect(emitted).toEqual([
      {
        type: 'sign_in.failed',
        method: 'federation',
        provider: 'hostile',
        context: 'connected_apps',
        reason: 'upstream_denied',
      },
    ]);
  });

  it('refuses a forged start: no CSRF token, another site, an unknown provider', async () => {
    const browser = new FederationBrowser('http://stop.invalid/');
    const form = await startForm(browser);
    const cookie = `mcp_auth_browser=${jar(browser).get('mcp_auth_browser')}`;
    const post = (path: string, body: string, headers: Record<string, string> = {}) =>
      fetch(`${t.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, ...headers },
        body,
        redirect: 'manual',
      });
    const csrf = `csrf=${encodeURIComponent(form.fields.csrf)}`;
    const states = await count('mcp_auth_federation_states');
    expect((await post(START, '')).status).toBe(403);
    expect((await post(START, 'csrf=forged')).status).toBe(403);
    expect((await post(START, csrf, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await post(START, csrf, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await post('/federation/nope/connected-apps', csrf)).status).toBe(404);
    expect(await count('mcp_auth_federation_states')).toBe(states);
    // The genuine form starts one round trip.
    const started = await post(START, csrf);
    expect(started.status).toBe(303);
    expect(started.headers.get('location')).toMatch(new RegExp(`^${upstream.issuer}/authorize\\?`));
  });

  it('audits the password sign-in on the page too (context connected_apps, no secret)', async () => {
    const browser = new FederationBrowser('http://stop.invalid/');
    const signInPage = (await browser.go(`${t.url}${PAGE}`)).page!;
    const login = formTo(signInPage, `${PAGE}/login`);
    const wrong = (
      await browser.go(login.action, { ...login.fields, username: 'alice', password: 'nope' })
    ).page!;
    expect(wrong.status).toBe(401);
    const list = (
      await browser.go(login.action, {
        ...login.fields,
        username: 'alice',
        password: 'alice-password',
      })
    ).page!;
    expect(list.status).toBe(200);
    expect(emitted).toEqual([
      {
        type: 'sign_in.failed',
        method: 'password',
        context: 'connected_apps',
        reason: 'invalid_credentials',
      },
      expect.objectContaining({
        type: 'sign_in.succeeded',
        method: 'password',
        context: 'connected_apps',
        subject: expect.any(String),
      }),
    ]);
    expect(JSON.stringify(emitted)).not.toContain('alice-password');
    expect(JSON.stringify(emitted)).not.toContain('"client_id"');
  });

  describe('errors of the body parsers get the module answer', () => {
    it('page routes: the HTML error page for malformed JSON and an oversized body', async () => {
      const malformed = await fetch(`${t.url}${PAGE}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"username":',
      });
      expect(malformed.status).toBe(400);
      expect(malformed.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await malformed.text()).not.toContain('statusCode');
      for (const path of [`${PAGE}/revoke`, START]) {
        const big = await fetch(`${t.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: `csrf=${'a'.repeat(200 * 1024)}`,
        });
        expect(big.status).toBe(413);
        expect(big.headers.get('content-type')).toMatch(/^text\/html/);
      }
    });

    it('API routes: RFC 6749 JSON for malformed JSON and an oversized body', async () => {
      const path = `${PAGE}/api/grants/00000000-0000-4000-8000-000000000000`;
      const malformed = await fetch(`${t.url}${path}`, {
        method: 'DELETE',
        headers: { 'content-type': 'application/json', 'x-mcp-auth-csrf': '1' },
        body: '{"oops',
      });
      expect(malformed.status).toBe(400);
      const body = (await malformed.json()) as Record<string, unknown>;
      expect(body.error).toBe('invalid_request');
      expect(body).not.toHaveProperty('statusCode');
      const big = await fetch(`${t.url}${path}`, {
        method: 'DELETE',
        headers: { 'content-type': 'application/json', 'x-mcp-auth-csrf': '1' },
        body: JSON.stringify({ pad: 'a'.repeat(200 * 1024) }),
      });
      expect(big.status).toBe(413);
      expect(((await big.json()) as Record<string, unknown>).error).toBe('invalid_request');
    });
  });
});

describe('connected apps: federation is the only sign-in', () => {
  let upstream: HostileOidcProvider;
  let closed: HostileOidcProvider;
  let t: TestApp;
  const provider = (id: string, name: string, at: HostileOidcProvider) => ({
    type: 'oidc' as const,
    id,
    name,
    issuer: at.issuer,
    clientId: at.clientId,
    clientSecret: at.clientSecret,
    allowInsecureHttp: true,
  });

  beforeAll(async () => {
    upstream = await startHostileOidcProvider({ clientId: 'mcp-auth-apps-only' });
    closed = await startHostileOidcProvider({ clientId: 'mcp-auth-apps-closed' });
    t = await createTestApp({
      auth: () => ({
        // No ResourceOwnerAuthenticator: the providers are the only way in.
        extraProviders: [],
        federation: {
          providers: [
            provider('hostile', 'Hostile IdP', upstream),
            provider('closed', 'Closed IdP', closed),
          ],
          // The same hook authorization runs: maps one provider's users, refuses the other's.
          identity: (identity) =>
            identity.provider === 'closed'
              ? { action: 'refuse', reason: 'Closed IdP accounts may not sign in here.' }
              : {
                  action: 'accept',
                  subject: `user:${identity.upstreamSubject}`,
                  displayName: 'Ann',
                },
        },
      }),
    });
  });
  afterAll(async () => {
    await t?.close();
    await upstream?.close();
    await closed?.close();
  });

  it('signs in as the subject the identity hook maps to, and shows its name', async () => {
    const emit = jest.spyOn(t.app.get(McpAuthAudit), 'emit');
    const browser = new FederationBrowser('http://stop.invalid/');
    const form = formTo((await browser.go(`${t.url}${PAGE}`)).page!, START);
    const list = (await browser.go(form.action, form.fields)).page!;
    expect(list.status).toBe(200);
    expect(list.html).toContain('as Ann');
    expect(emit).toHaveBeenCalledWith(
      expect.objectContaining({
        type: 'sign_in.succeeded',
        context: 'connected_apps',
        subject: `user:${upstream.subject}`,
      }),
    );
    emit.mockRestore();
  });

  it('shows the refusal of the identity hook, signs in nobody and audits it', async () => {
    const emit = jest.spyOn(t.app.get(McpAuthAudit), 'emit');
    const browser = new FederationBrowser('http://stop.invalid/');
    const form = formTo(
      (await browser.go(`${t.url}${PAGE}`)).page!,
      '/federation/closed/connected-apps',
    );
    const page = (await browser.go(form.action, form.fields)).page!;
    expectPage(page, 403, 'Closed IdP accounts may not sign in here.');
    expect(browser.cookies(t.url).has(SESSION_COOKIE)).toBe(false);
    expect(emit).toHaveBeenCalledWith({
      type: 'sign_in.failed',
      method: 'federation',
      provider: 'closed',
      context: 'connected_apps',
      reason: 'identity_refused',
    });
    emit.mockRestore();
  });

  it('serves the page with the provider button alone, and signs in through it', async () => {
    const browser = new FederationBrowser('http://stop.invalid/');
    const signInPage = (await browser.go(`${t.url}${PAGE}`)).page!;
    expect(signInPage.status).toBe(200);
    expect(signInPage.html).not.toContain('type="password"');
    const form = formTo(signInPage, START);
    const list = (await browser.go(form.action, form.fields)).page!;
    expect(list.url).toBe(`${t.url}${PAGE}`);
    expect(list.html).toContain('No application can act on your behalf.');
    // No password route without an authenticator.
    const login = await fetch(`${t.url}${PAGE}/login`, { method: 'POST' });
    expect(login.status).toBe(404);
  });
});

function expectPage(page: BrowserPage, status: number, title: string): void {
  expect(page.status).toBe(status);
  expect(page.headers.get('content-type')).toMatch(/^text\/html/);
  expect(page.html).toContain(title);
}
