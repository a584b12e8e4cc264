import { Controller, Get, Header, Logger, Post, UseGuards } from '@nestjs/common';
import type { Server } from 'node:http';
import request from 'supertest';
import {
  BearerGuard,
  ClientStore,
  GrantStore,
  McpAuthAudit,
  type ClientStore as ClientStoreContract,
  type GrantStore as GrantStoreContract,
} from '@app/mcp-auth';
import {
  authorizeUrl,
  createClients,
  publicClient,
  redirectUriOf,
} from './support/authorization-fixtures';
import { TestBrowser } from './support/browser';
import { createTestApp, TEST_RESOURCE_SERVER, type TestApp } from './support/test-app';
import { DATABASE_TARGETS, openTestDatabase } from './support/test-database';
import { postForm } from './support/token-endpoints';

/** An MCP endpoint behind the guard, to see access tokens refused after a revocation. */
@Controller()
@UseGuards(BearerGuard)
class McpController {
  @Post('mcp')
  handle() {
    return { ok: true };
  }
}

/** A host page on the default connected-apps path: must win when the module's page is off. */
@Controller()
class HostPageController {
  @Get('connected-apps')
  @Header('Content-Type', 'text/plain')
  page() {
    return 'host page';
  }
}

const CLI = publicClient('cli-app');
const OTHER_CLI = publicClient('other-cli');
const VERIFIER = 'f'.repeat(43);
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

interface Tokens {
  access_token: string;
  refresh_token: string;
}

interface ApiGrant {
  id: string;
  client_id: string;
  client_name: string;
  client_id_host: string | null;
  registered_dynamically: boolean;
  scopes: { scope: string; description: string }[];
  resource: string;
  created_at: string;
  last_used_at: string | null;
}

/** Every form of a page: action and fields (hidden values included). */
function forms(html: string): { action: string; fields: Record<string, string> }[] {
  return [...html.matchAll(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)].map((m) => ({
    action: m[1].replace(/&amp;/g, '&'),
    fields: Object.fromEntries(
      [...m[2].matchAll(/name="([^"]+)" value="([^"]*)"/g)].map((f) => [f[1], f[2]]),
    ),
  }));
}

/** Signs in on the page with the password form; returns the list page's HTML. */
async function signIn(t: TestApp, browser: TestBrowser, path = '/connected-apps', user = 'alice') {
  const first = await browser.navigate(`${t.url}${path}`);
  expect(first.response.status).toBe(200);
  const [login] = forms(first.html ?? '');
  expect(login.action).toBe(`${path}/login`);
  const page = await browser.navigate(`${t.url}${login.action}`, {
    form: { csrf: login.fields.csrf, username: user, password: `${user}-password` },
  });
  expect(page.response.status).toBe(200);
  return page.html ?? '';
}

/** A real authorization in `browser` (sign-in and consent pages), then the code at /token. */
async function authorize(t: TestApp, browser: TestBrowser, client = CLI, user = 'alice') {
  const redirect = await browser.authorize(authorizeUrl(t, client), {
    username: user,
    password: `${user}-password`,
  });
  const code = redirect.searchParams.get('code');
  expect(code).toBeTruthy();
  const response = await postForm(t, '/token', {
    grant_type: 'authorization_code',
    code: code as string,
    redirect_uri: redirectUriOf(client),
    code_verifier: VERIFIER,
    client_id: client.clientId,
  });
  expect(response.status).toBe(200);
  return response.body as Tokens;
}

const http = (t: TestApp) => request(t.app.getHttpServer() as Server);

async function listApi(t: TestApp, browser: TestBrowser, path = '/connected-apps') {
  const response = await http(t).get(`${path}/api/grants`).set('Cookie', browser.cookieHeader());
  expect(response.status).toBe(200);
  return (response.body as { grants: ApiGrant[] }).grants;
}

const callMcp = (t: TestApp, token: string) =>
  http(t).post('/mcp').set('Authorization', `Bearer ${token}`).send({});

async function eventually(check: () => Promise<boolean>, ms = 3000): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < ms) {
    if (await check()) return Date.now() - start;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`not within ${ms} ms`);
}

describe('connected apps: built-in password sign-in', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ module: { controllers: [McpController] } });
    Logger.overrideLogger(['error']);
    await createClients(t, [CLI, OTHER_CLI]);
    await t.app.get<symbol, ClientStoreContract>(ClientStore).create({
      ...publicClient('https://tools.example.com/client.json'),
      clientName: 'Tools <b>Example</b>',
      source: 'metadata_document',
    });
  });
  afterAll(() => t?.close());

  it('asks a browser that is not signed in to sign in, with the pages’ headers', async () => {
    const response = await http(t).get('/connected-apps');
    expect(response.status).toBe(200);
    expect(response.headers['content-security-policy']).toContain("default-src 'none'");
    expect(response.headers['x-frame-options']).toBe('DENY');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.text).toContain('name="password"');
    expect(response.text).toContain('width=device-width');
    const api = await http(t).get('/connected-apps/api/grants');
    expect(api.status).toBe(401);
    expect(api.body).toEqual({ error: 'login_required', error_description: 'Sign in first.' });
    const del = await http(t)
      .delete(`/connected-apps/api/grants/${UNKNOWN_ID}`)
      .set('X-MCP-Auth-CSRF', '1');
    expect(del.status).toBe(401);
    const revoke = await http(t)
      .post('/connected-apps/revoke')
      .type('form')
      .send({ grant: UNKNOWN_ID, csrf: 'x' });
    expect(revoke.status).toBe(401);
  });

  it('lists the grant of a real authorization with its client, scopes, resource and use', async () => {
    const browser = new TestBrowser(t.url);
    const tokens = await authorize(t, browser);
    const html = await signIn(t, browser);
    expect(html).toContain('Signed in to');
    expect(html).toContain('cli-app (public)');
    expect(html).toContain('Registered dynamically');
    expect(html).toContain('Call tools <code class="scope">mcp:tools</code>');
    expect(html).toContain(`/<wbr>mcp</code>`);
    expect(html).not.toMatch(/Last used never/);
    const session = browser.cookie('mcp_auth_apps');
    expect(session).toBeTruthy();

    const [grant] = (await listApi(t, browser)).filter((g) => g.client_id === CLI.clientId);
    expect(grant).toMatchObject({
      client_name: 'cli-app (public)',
      client_id_host: null,
      registered_dynamically: true,
      scopes: [{ scope: 'mcp:tools', description: 'Call tools' }],
      resource: `${t.url}/mcp`,
    });
    expect(grant.last_used_at).not.toBeNull();

    // A refresh moves "last used" (set by the rotation's own statement).
    await t.db.dataSource.query(
      `UPDATE mcp_auth_grants SET last_used_at = now() - interval '1 day' WHERE id = $1`,
      [grant.id],
    );
    const refreshed = await postForm(t, '/token', {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      client_id: CLI.clientId,
    });
    expect(refreshed.status).toBe(200);
    const [after] = (await listApi(t, browser)).filter((g) => g.id === grant.id);
    expect(Date.parse(after.last_used_at as string)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('names the publishing host of a metadata-document client and nothing for a static one', async () => {
    const grants = t.app.get<symbol, GrantStoreContract>(GrantStore);
    const expiresAt = new Date(Date.now() + 3_600_000);
    const resource = `${t.url}/mcp`;
    await grants.createGrant({
      clientId: 'https://tools.example.com/client.json',
      subject: 'user-alice',
      scopes: ['mcp:resources'],
      resource,
      expiresAt,
    });
    await grants.createGrant({
      clientId: TEST_RESOURCE_SERVER.clientId,
      subject: 'user-alice',
      scopes: [],
      resource,
      expiresAt,
    });
    const browser = new TestBrowser(t.url);
    const html = await signIn(t, browser);
    expect(html).toContain('Published by <strong>tools.example.com</strong>');
    expect(html).toContain('Tools &lt;b&gt;Example&lt;/b&gt;');
    const listed = await listApi(t, browser);
    expect(listed.find((g) => g.client_id === TEST_RESOURCE_SERVER.clientId)).toMatchObject({
      client_id_host: null,
      registered_dynamically: false,
    });
  });

  it('revokes from the page: refresh fails at once, the access token is refused within ~1 s', async () => {
    const audit = jest.spyOn(t.app.get(McpAuthAudit), 'emit');
    const browser = new TestBrowser(t.url);
    const tokens = await authorize(t, browser, OTHER_CLI);
    expect((await callMcp(t, tokens.access_token)).status).toBe(201);
    const html = await signIn(t, browser);
    const revokeForm = forms(html).find(
      (f) => f.action === '/connected-apps/revoke' && html.includes('other-cli (public)'),
    );
    const grantId = (await listApi(t, browser)).find((g) => g.client_id === OTHER_CLI.clientId)
      ?.id as string;
    expect(revokeForm).toBeDefined();
    const done = await browser.request(`${t.url}/connected-apps/revoke`, {
      form: { csrf: revokeForm!.fields.csrf, grant: grantId },
    });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/connected-apps?revoked=1');

    const refreshed = await postForm(t, '/token', {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      client_id: OTHER_CLI.clientId,
    });
    expect(refreshed.status).toBe(400);
    expect((refreshed.body as { error: string }).error).toBe('invalid_grant');
    const took = await eventually(
      async () => (await callMcp(t, tokens.access_token)).status === 401,
    );
    expect(took).toBeLessThan(1500);

    const page = await browser.navigate(`${t.url}/connected-apps?revoked=1`);
    expect(page.html).toContain('Access revoked.');
    expect(page.html).not.toContain('other-cli (public)');
    expect(audit).toHaveBeenCalledWith({
      type: 'grant.revoked',
      grant_id: grantId,
      client_id: OTHER_CLI.clientId,
      subject: 'user-alice',
      reason: 'revoked_by_owner',
      actor: 'user',
    });
    const [row] = await t.db.dataSource.query<{ revoked_reason: string }[]>(
      `SELECT revoked_reason FROM mcp_auth_grants WHERE id = $1`,
      [grantId],
    );
    expect(row.revoked_reason).toBe('revoked_by_owner');
    audit.mockRestore();
  });

  it('revokes through the JSON API with the custom header', async () => {
    const browser = new TestBrowser(t.url);
    const tokens = await authorize(t, browser);
    await signIn(t, browser);
    const [grant] = (await listApi(t, browser)).filter((g) => g.client_id === CLI.clientId);
    const response = await http(t)
      .delete(`/connected-apps/api/grants/${grant.id}`)
      .set('Cookie', browser.cookieHeader())
      .set('Origin', t.url)
      .set('X-MCP-Auth-CSRF', '1');
    expect(response.status).toBe(204);
    const again = await http(t)
      .delete(`/connected-apps/api/grants/${grant.id}`)
      .set('Cookie', browser.cookieHeader())
      .set('X-MCP-Auth-CSRF', '1');
    expect(again.status).toBe(404);
    const refreshed = await postForm(t, '/token', {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      client_id: CLI.clientId,
    });
    expect(refreshed.status).toBe(400);
  });

  it("answers another user's grant id exactly like an unknown one, and leaves it alone", async () => {
    const bobBrowser = new TestBrowser(t.url);
    const bobTokens = await authorize(t, bobBrowser, CLI, 'bob');
    await signIn(t, bobBrowser, '/connected-apps', 'bob');
    const [bobGrant] = (await listApi(t, bobBrowser)).filter((g) => g.client_id === CLI.clientId);

    const alice = new TestBrowser(t.url);
    const html = await signIn(t, alice);
    expect((await listApi(t, alice)).map((g) => g.id)).not.toContain(bobGrant.id);
    const csrf = forms(html).find((f) => f.action === '/connected-apps/revoke')?.fields.csrf;
    const answers = [];
    for (const id of [bobGrant.id, UNKNOWN_ID, 'not-a-uuid']) {
      const api = await http(t)
        .delete(`/connected-apps/api/grants/${id}`)
        .set('Cookie', alice.cookieHeader())
        .set('X-MCP-Auth-CSRF', '1');
      const page = await alice.request(`${t.url}/connected-apps/revoke`, {
        form: { csrf: csrf ?? '', grant: id },
      });
      answers.push({ api: [api.status, api.text], page: [page.status, await page.text()] });
    }
    expect(answers[0]).toEqual(answers[1]);
    expect(answers[0]).toEqual(answers[2]);
    expect(answers[0].api[0]).toBe(404);
    expect(answers[0].page[0]).toBe(404);
    const refreshed = await postForm(t, '/token', {
      grant_type: 'refresh_token',
      refresh_token: bobTokens.refresh_token,
      client_id: CLI.clientId,
    });
    expect(refreshed.status).toBe(200);
  });

  it('refuses cross-site and token-less state changes', async () => {
    const browser = new TestBrowser(t.url);
    await authorize(t, browser);
    const html = await signIn(t, browser);
    const [grant] = (await listApi(t, browser)).filter((g) => g.client_id === CLI.clientId);
    const csrf = forms(html).find((f) => f.action === '/connected-apps/revoke')?.fields.csrf ?? '';
    const cookie = browser.cookieHeader();
    const del = (headers: Record<string, string>) =>
      http(t)
        .delete(`/connected-apps/api/grants/${grant.id}`)
        .set({ Cookie: cookie, ...headers });
    // No custom header (a plain cross-site form or fetch could send this).
    expect((await del({})).status).toBe(403);
    expect((await del({ 'X-MCP-Auth-CSRF': '1', Origin: 'https://evil.example' })).status).toBe(
      403,
    );
    expect((await del({ 'X-MCP-Auth-CSRF': '1', Origin: 'null' })).status).toBe(403);
    expect((await del({ 'X-MCP-Auth-CSRF': '1', 'Sec-Fetch-Site': 'cross-site' })).body).toEqual({
      error: 'access_denied',
      error_description: 'Cross-site requests are refused.',
    });
    const read = await http(t)
      .get('/connected-apps/api/grants')
      .set({ Cookie: cookie, Origin: 'https://evil.example' });
    expect(read.status).toBe(403);
    expect(read.headers['access-control-allow-origin']).toBeUndefined();

    const post = (form: Record<string, string>, headers: Record<string, string> = {}) =>
      browser.request(`${t.url}/connected-apps/revoke`, { form, headers });
    expect((await post({ grant: grant.id })).status).toBe(403);
    expect((await post({ grant: grant.id, csrf: 'forged' })).status).toBe(403);
    expect((await post({ grant: grant.id, csrf }, { origin: 'https://evil.example' })).status).toBe(
      403,
    );
    expect((await post({ grant: grant.id, csrf }, { 'sec-fetch-site': 'cross-site' })).status).toBe(
      403,
    );
    // What a browser sends for the page's own form under Referrer-Policy: no-referrer.
    expect((await post({ grant: 'not-a-uuid', csrf }, { origin: 'null' })).status).toBe(404);
    // A login-form token is not a revoke token.
    const loginCsrf = forms(
      (await new TestBrowser(t.url).navigate(`${t.url}/connected-apps`)).html ?? '',
    )[0].fields.csrf;
    expect((await post({ grant: grant.id, csrf: loginCsrf })).status).toBe(403);
    expect((await listApi(t, browser)).map((g) => g.id)).toContain(grant.id);
  });

  it('refuses forged, foreign and malformed sessions and sign-ins', async () => {
    const browser = new TestBrowser(t.url);
    const tokens = await authorize(t, browser);
    for (const forged of [
      tokens.access_token, // signed by the same key, but an access token
      'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1c2VyLWFsaWNlIn0.',
      'x'.repeat(5000),
      '%%%',
    ]) {
      const response = await http(t)
        .get('/connected-apps/api/grants')
        .set('Cookie', `mcp_auth_apps=${forged}`);
      expect(response.status).toBe(401);
    }
    const first = await browser.navigate(`${t.url}/connected-apps`);
    const csrf = forms(first.html ?? '')[0].fields.csrf;
    const login = (form: Record<string, string>) =>
      browser.request(`${t.url}/connected-apps/login`, { form });
    expect((await login({ csrf, username: 'alice', password: 'wrong' })).status).toBe(401);
    expect((await login({ csrf, username: 'a'.repeat(5000), password: 'x' })).status).toBe(401);
    expect((await login({ username: 'alice', password: 'alice-password' })).status).toBe(403);
    const repeated = await http(t)
      .post('/connected-apps/login')
      .set('Cookie', browser.cookieHeader())
      .type('form')
      .send(`csrf=${csrf}&csrf=${csrf}&username=alice&password=alice-password`);
    expect(repeated.status).toBe(403);
    const huge = await http(t)
      .delete(`/connected-apps/api/grants/${'9'.repeat(4000)}`)
      .set('X-MCP-Auth-CSRF', '1');
    expect([401, 404, 414]).toContain(huge.status);
  });

  it('validates paging parameters of the API', async () => {
    const browser = new TestBrowser(t.url);
    await signIn(t, browser);
    const get = (query: string) =>
      http(t).get(`/connected-apps/api/grants?${query}`).set('Cookie', browser.cookieHeader());
    for (const query of [
      'limit=0',
      'limit=abc',
      'limit=51',
      'limit=1e3',
      'cursor=%00',
      'cursor=abc',
      'limit=1&limit=2',
      `cursor=${'A'.repeat(300)}`,
    ]) {
      const response = await get(query);
      expect({ query, status: response.status }).toEqual({ query, status: 400 });
      expect((response.body as { error: string }).error).toBe('invalid_request');
    }
    const one = await get('limit=1');
    expect(one.status).toBe(200);
    const body = one.body as { grants: ApiGrant[]; next_cursor: string | null };
    expect(body.grants).toHaveLength(1);
    expect(body.next_cursor).toEqual(expect.any(String));
    const next = await get(`limit=1&cursor=${body.next_cursor}`);
    expect((next.body as { grants: ApiGrant[] }).grants[0].id).not.toBe(body.grants[0].id);
    const page = await browser.navigate(`${t.url}/connected-apps?cursor=bogus`);
    expect(page.response.status).toBe(400);
  });

  it('signs out, and the session cookie is scoped to the page path', async () => {
    const browser = new TestBrowser(t.url);
    const first = await http(t).get('/connected-apps');
    const [login] = forms(first.text);
    const cookie = first.headers['set-cookie'] as unknown as string[];
    const signedIn = await http(t)
      .post('/connected-apps/login')
      .set('Cookie', cookie.map((c) => c.split(';')[0]).join('; '))
      .type('form')
      .send({ csrf: login.fields.csrf, username: 'alice', password: 'alice-password' });
    expect(signedIn.status).toBe(303);
    const session = (signedIn.headers['set-cookie'] as unknown as string[]).find((c) =>
      c.startsWith('mcp_auth_apps='),
    );
    expect(session).toMatch(/Path=\/connected-apps/);
    expect(session).toMatch(/HttpOnly/);
    expect(session).toMatch(/SameSite=Lax/);

    const html = await signIn(t, browser);
    const logout = forms(html).find((f) => f.action === '/connected-apps/logout');
    const out = await browser.request(`${t.url}/connected-apps/logout`, {
      form: { csrf: logout!.fields.csrf },
    });
    expect(out.status).toBe(303);
    expect(browser.cookie('mcp_auth_apps')).toBe('');
    expect(
      (await http(t).get('/connected-apps/api/grants').set('Cookie', browser.cookieHeader()))
        .status,
    ).toBe(401);
  });
});

describe('connected apps: options', () => {
  it('enabled: false registers no route, so the host keeps its own page there', async () => {
    const t = await createTestApp({
      auth: () => ({ connectedApps: { enabled: false } }),
      module: { controllers: [HostPageController] },
    });
    try {
      const page = await http(t).get('/connected-apps');
      expect(page.status).toBe(200);
      expect(page.text).toBe('host page');
      expect((await http(t).get('/connected-apps/api/grants')).status).toBe(404);
    } finally {
      await t.close();
    }
  });

  it('serves a custom path (and only there) with routePrefix set', async () => {
    const t = await createTestApp({
      auth: () => ({ routePrefix: '/oauth', connectedApps: { path: '/account/apps' } }),
    });
    try {
      expect((await http(t).get('/connected-apps')).status).toBe(404);
      expect((await http(t).get('/oauth/connected-apps')).status).toBe(404);
      const browser = new TestBrowser(t.url);
      const html = await signIn(t, browser, '/account/apps');
      expect(html).toContain('Connected apps');
      expect(browser.cookie('mcp_auth_apps')).toBeTruthy();
      expect(
        (await http(t).get('/account/apps/api/grants').set('Cookie', browser.cookieHeader()))
          .status,
      ).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('refuses options that cannot work', async () => {
    // A boot that fails in compile() leaves the database to its owner: this test.
    const db = await openTestDatabase(DATABASE_TARGETS[DATABASE_TARGETS.length - 1]);
    try {
      await expect(
        createTestApp({ db, auth: () => ({ connectedApps: { path: 'relative', sessionTtl: 5 } }) }),
      ).rejects.toThrow(/connectedApps.path[\s\S]*connectedApps.sessionTtl/);
      await expect(
        createTestApp({
          db,
          auth: () => ({
            interaction: { type: 'external', loginUrl: '/login' },
            connectedApps: { enabled: true },
          }),
        }),
      ).rejects.toThrow(/connectedApps needs a way to know the user/);
      await expect(
        createTestApp({ db, auth: () => ({ connectedApps: { path: '/mcp/apps' } }) }),
      ).rejects.toThrow(/on the path of a resource/);
    } finally {
      await db.close();
    }
  });
});

describe('connected apps: external interaction with the host resolver', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      auth: () => ({
        interaction: { type: 'external', loginUrl: '/login' },
        connectedApps: {
          // The host's session, as its own middleware would read it.
          resolveUser: (req) => {
            const user = (req as { headers: Record<string, string | undefined> }).headers[
              'x-host-user'
            ];
            return user ? { subject: user, displayName: `Host user ${user}` } : null;
          },
          signInUrl: '/login',
        },
      }),
    });
    await createClients(t, [CLI]);
  });
  afterAll(() => t?.close());

  it('lists and revokes for the user the host names, and nobody else', async () => {
    const grants = t.app.get<symbol, GrantStoreContract>(GrantStore);
    const grant = await grants.createGrant({
      clientId: CLI.clientId,
      subject: 'host-carol',
      scopes: ['mcp:tools'],
      resource: `${t.url}/mcp`,
      expiresAt: new Date(Date.now() + 3_600_000),
    });
    const anonymous = await http(t).get('/connected-apps');
    expect(anonymous.status).toBe(401);
    expect(anonymous.text).toContain('href="/login"');
    expect(anonymous.text).not.toContain('name="password"');
    expect((await http(t).post('/connected-apps/login').type('form').send({})).status).toBe(404);

    const page = await http(t).get('/connected-apps').set('X-Host-User', 'host-carol');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Host user host-carol');
    expect(page.text).toContain('cli-app (public)');
    expect(page.text).not.toContain('Sign out');

    const other = await http(t)
      .delete(`/connected-apps/api/grants/${grant.id}`)
      .set({ 'X-Host-User': 'host-dave', 'X-MCP-Auth-CSRF': '1' });
    expect(other.status).toBe(404);
    const own = await http(t)
      .delete(`/connected-apps/api/grants/${grant.id}`)
      .set({ 'X-Host-User': 'host-carol', 'X-MCP-Auth-CSRF': '1' });
    expect(own.status).toBe(204);
    expect((await grants.findGrant(grant.id))?.revokedReason).toBe('revoked_by_owner');
  });
});
