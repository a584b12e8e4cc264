import { Injectable } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import {
  type AuthenticatedResourceOwner,
  ResourceOwnerAuthenticator,
  ConsentStore,
} from '@app/mcp-auth';
import { hashSecret } from './support/secrets';
import {
  authorizeUrl,
  confidentialClient,
  createClients,
  publicClient,
} from './support/authorization-fixtures';
import { TestBrowser, parseForm } from './support/browser';
import { createTestApp, type TestApp } from './support/test-app';
import { TEST_USERS } from './support/test-authenticator';

const COOKIE = 'mcp_auth_browser';

/**
 * The anti-CSRF token of a form, as anyone holding the browser-binding cookie can compute it:
 * HMAC-SHA256 keyed with the cookie value over `mcp-auth:csrf:<form>:<hash of the interaction
 * id>`, base64url. Computed here with node:crypto, independently of the library.
 */
function csrfToken(cookie: string, interactionId: string, form: 'login' | 'consent'): string {
  return createHmac('sha256', cookie)
    .update(`mcp-auth:csrf:${form}:${hashSecret(interactionId)}`)
    .digest('base64url');
}

/** alice has a display name that needs escaping; bob has none. */
@Injectable()
class NamedAuthenticator implements ResourceOwnerAuthenticator {
  async authenticate(
    username: string,
    password: string,
  ): Promise<AuthenticatedResourceOwner | null> {
    const user = TEST_USERS[username];
    if (!user || user.password !== password) return null;
    return username === 'alice'
      ? { subject: user.subject, displayName: 'Alice <Example> & Co' }
      : { subject: user.subject };
  }
}

const PUBLIC_CLIENT = publicClient('public-cli');
const CONFIDENTIAL_CLIENT = confidentialClient('confidential-web');

describe('consent (AS-17, RFC 8252 §8.6)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      auth: () => ({
        extraProviders: [{ provide: ResourceOwnerAuthenticator, useClass: NamedAuthenticator }],
      }),
    });
    await createClients(t, [PUBLIC_CLIENT, CONFIDENTIAL_CLIENT]);
  });
  afterAll(() => t.close());

  const count = async (sql: string, params: unknown[] = []): Promise<number> =>
    (await t.db.dataSource.query(`SELECT count(*)::int AS n FROM ${sql}`, params))[0].n;

  /** Signs in and returns the consent page (its URL, HTML and form). */
  async function toConsentPage(browser: TestBrowser, url: string, username = 'alice') {
    const login = await browser.navigate(url);
    const form = parseForm(login.html ?? '')!;
    expect(form.fields).toContain('password');
    const consent = await browser.navigate(new URL(form.action, login.url).toString(), {
      form: { csrf: form.csrf, username, password: TEST_USERS[username].password },
    });
    return { url: consent.url, html: consent.html ?? '', form: parseForm(consent.html ?? '')! };
  }

  describe('remembered consent', () => {
    it('a public client is asked again at its second authorization, loopback warning included, on another port too', async () => {
      const first = new TestBrowser(t.url);
      await first.authorize(authorizeUrl(t, PUBLIC_CLIENT));
      expect(first.lastPages).toEqual(['login', 'consent']);

      // Anyone can claim public-cli's client_id and listen on any loopback port.
      const second = new TestBrowser(t.url);
      const page = await toConsentPage(
        second,
        authorizeUrl(t, PUBLIC_CLIENT, { redirect_uri: 'http://127.0.0.1:21002/callback' }),
      );
      expect(page.form.fields).toContain('decision');
      expect(page.html).toContain('runs on your own computer');
      expect(page.html).toContain('127.0.0.1:21002');
      // Nothing is remembered for it either.
      expect(await count(`mcp_auth_consents WHERE client_id = $1`, [PUBLIC_CLIENT.clientId])).toBe(
        0,
      );
    });

    it('consent remembered for a public client earlier (older version, option since turned off) is not honoured', async () => {
      await t.app
        .get<ConsentStore>(ConsentStore)
        .remember('user-alice', PUBLIC_CLIENT.clientId, ['mcp:tools', 'mcp:resources']);
      const browser = new TestBrowser(t.url);
      await browser.authorize(authorizeUrl(t, PUBLIC_CLIENT));
      expect(browser.lastPages).toEqual(['login', 'consent']);
    });

    it('a confidential client’s consent is remembered: the next authorization goes from sign-in straight back', async () => {
      const first = new TestBrowser(t.url);
      await first.authorize(authorizeUrl(t, CONFIDENTIAL_CLIENT));
      expect(first.lastPages).toEqual(['login', 'consent']);
      const second = new TestBrowser(t.url);
      const redirect = await second.authorize(authorizeUrl(t, CONFIDENTIAL_CLIENT));
      expect(second.lastPages).toEqual(['login']);
      expect(redirect.searchParams.get('code')).toBeTruthy();
      // Sign-in is never skipped, and a scope not approved yet is asked for.
      const wider = new TestBrowser(t.url);
      await wider.authorize(authorizeUrl(t, CONFIDENTIAL_CLIENT, { scope: 'mcp:tools mcp:admin' }));
      expect(wider.lastPages).toEqual(['login', 'consent']);
    });

    it('consent.rememberForPublicClients: true remembers public clients too', async () => {
      const relaxed = await createTestApp({
        db: t.db,
        auth: () => ({ consent: { rememberForPublicClients: true } }),
      });
      try {
        await createClients(relaxed, [PUBLIC_CLIENT, CONFIDENTIAL_CLIENT]);
        const first = new TestBrowser(relaxed.url);
        await first.authorize(authorizeUrl(relaxed, PUBLIC_CLIENT));
        expect(first.lastPages).toEqual(['login', 'consent']);
        const second = new TestBrowser(relaxed.url);
        await second.authorize(authorizeUrl(relaxed, PUBLIC_CLIENT));
        expect(second.lastPages).toEqual(['login']);
      } finally {
        await relaxed.close();
      }
    });
  });

  describe('the signed-in user on the consent page', () => {
    it('is named by the authenticator’s displayName, escaped, not by the subject', async () => {
      const { html } = await toConsentPage(new TestBrowser(t.url), authorizeUrl(t, PUBLIC_CLIENT));
      expect(html).toContain('Signed in as Alice &lt;Example&gt; &amp; Co');
      expect(html).not.toContain('Alice <Example>');
      expect(html).not.toContain('user-alice');
    });

    it('falls back to the username typed when the authenticator gives no displayName', async () => {
      const { html } = await toConsentPage(
        new TestBrowser(t.url),
        authorizeUrl(t, PUBLIC_CLIENT),
        'bob',
      );
      expect(html).toContain('Signed in as bob');
      expect(html).not.toContain('user-bob');
    });
  });

  describe('an interaction that was already answered', () => {
    it('Back after Approve, or Approve again: "already answered" in that browser, no second code', async () => {
      const browser = new TestBrowser(t.url);
      const page = await toConsentPage(browser, authorizeUrl(t, PUBLIC_CLIENT));
      const action = new URL(page.form.action, page.url).toString();
      const approved = await browser.request(action, {
        form: { csrf: page.form.csrf, decision: 'approve' },
      });
      expect(approved.status).toBe(303);
      const codes = await count('mcp_auth_authorization_codes');

      const back = await browser.request(page.url);
      expect(back.status).toBe(400);
      const backHtml = await back.text();
      expect(backHtml).toContain('Already answered');
      expect(backHtml).not.toContain('expired');

      const again = await browser.request(action, {
        form: { csrf: page.form.csrf, decision: 'approve' },
      });
      expect(again.status).toBe(400);
      expect(await again.text()).toContain('Already answered');
      expect(await count('mcp_auth_authorization_codes')).toBe(codes);
    });

    it('after Deny too', async () => {
      const browser = new TestBrowser(t.url);
      const page = await toConsentPage(browser, authorizeUrl(t, PUBLIC_CLIENT));
      await browser.request(new URL(page.form.action, page.url).toString(), {
        form: { csrf: page.form.csrf, decision: 'deny' },
      });
      expect(await (await browser.request(page.url)).text()).toContain('Already answered');
    });

    it('another browser learns nothing: the same page as for an unknown or expired request', async () => {
      const browser = new TestBrowser(t.url);
      const page = await toConsentPage(browser, authorizeUrl(t, PUBLIC_CLIENT));
      await browser.request(new URL(page.form.action, page.url).toString(), {
        form: { csrf: page.form.csrf, decision: 'approve' },
      });
      const unknown = await fetch(`${t.url}/interaction/${'A'.repeat(43)}`);
      const unknownHtml = await unknown.text();
      // A browser with a binding cookie of its own, and one with none at all.
      const stranger = new TestBrowser(t.url);
      await stranger.request(authorizeUrl(t, PUBLIC_CLIENT));
      const seen = await stranger.request(page.url);
      expect(seen.status).toBe(unknown.status);
      expect(await seen.text()).toBe(unknownHtml);
      const cookieless = await fetch(page.url);
      expect(cookieless.status).toBe(unknown.status);
      expect(await cookieless.text()).toBe(unknownHtml);
      expect(unknownHtml).not.toContain('Already answered');
    });

    it('an interaction that expired unanswered still says "expired"', async () => {
      const browser = new TestBrowser(t.url);
      const page = await toConsentPage(browser, authorizeUrl(t, PUBLIC_CLIENT));
      const id = /\/interaction\/([A-Za-z0-9_-]{43})/.exec(page.url)![1];
      await t.db.dataSource.query(
        `UPDATE mcp_auth_authorization_requests SET expires_at = now() - interval '1 second'
         WHERE id_hash = $1`,
        [hashSecret(id)],
      );
      const html = await (await browser.request(page.url)).text();
      expect(html).toContain('expired');
      expect(html).not.toContain('Already answered');
    });
  });

  describe('the browser-binding cookie is replaced at sign-in (session fixation)', () => {
    it('a cookie value planted before sign-in continues nothing after it; the new one does', async () => {
      const planted = 'F'.repeat(43);
      const victim = new TestBrowser(t.url);
      victim.setCookie(COOKIE, planted);
      const start = await victim.request(authorizeUrl(t, PUBLIC_CLIENT));
      // Adopted at /authorize (the browser already has one).
      expect(start.headers.getSetCookie()).toEqual([]);
      const loginUrl = start.headers.get('location')!;
      const id = /\/interaction\/([A-Za-z0-9_-]{43})/.exec(loginUrl)![1];
      const login = parseForm(await (await victim.request(loginUrl)).text())!;
      const signedIn = await victim.request(new URL(login.action, loginUrl).toString(), {
        form: { csrf: login.csrf, username: 'alice', password: 'alice-password' },
      });
      expect(signedIn.status).toBe(303);

      // Whoever planted the value can compute its CSRF tokens, but it no longer matches ...
      const attacker = new TestBrowser(t.url);
      attacker.setCookie(COOKIE, planted);
      const codes = await count('mcp_auth_authorization_codes');
      expect((await attacker.request(`${t.url}/interaction/${id}`)).status).toBe(403);
      const forged = await attacker.request(`${t.url}/interaction/${id}/consent`, {
        form: {
          csrf: csrfToken(planted, id, 'consent'),
          decision: 'approve',
        },
      });
      expect(forged.status).toBe(403);
      expect(forged.headers.get('location')).toBeNull();
      expect(await count('mcp_auth_authorization_codes')).toBe(codes);

      // ... because sign-in replaced the cookie, and the request row follows the new one.
      const rotated = victim.cookie(COOKIE)!;
      expect(rotated).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(rotated).not.toBe(planted);
      expect(signedIn.headers.getSetCookie().join(';')).toMatch(/HttpOnly/i);
      const [row] = await t.db.dataSource.query(
        `SELECT browser_binding_hash FROM mcp_auth_authorization_requests WHERE id_hash = $1`,
        [hashSecret(id)],
      );
      expect(row.browser_binding_hash).toBe(hashSecret(rotated));

      // The consent form rendered after sign-in carries a CSRF token keyed with the new cookie.
      const consent = await victim.navigate(`${t.url}/interaction/${id}`);
      const form = parseForm(consent.html ?? '')!;
      expect(form.csrf).toBe(csrfToken(rotated, id, 'consent'));
      const done = await victim.navigate(new URL(form.action, consent.url).toString(), {
        form: { csrf: form.csrf, decision: 'approve' },
      });
      expect(new URL(done.location!).searchParams.get('code')).toBeTruthy();
    });

    it('another pending authorization of the same browser (a second tab) keeps working', async () => {
      const browser = new TestBrowser(t.url);
      const firstTab = (await browser.request(authorizeUrl(t, PUBLIC_CLIENT))).headers.get(
        'location',
      )!;
      const secondTab = (await browser.request(authorizeUrl(t, CONFIDENTIAL_CLIENT))).headers.get(
        'location',
      )!;
      const before = browser.cookie(COOKIE);
      await toConsentPage(browser, firstTab);
      expect(browser.cookie(COOKIE)).not.toBe(before);
      // The second tab reloads its page (its old form was keyed with the old cookie).
      const redirect = await browser.authorize(secondTab, {
        username: 'bob',
        password: 'bob-password',
      });
      expect(redirect.searchParams.get('code')).toBeTruthy();
    });
  });
});
