import { TestBrowser, parseForm } from '../support/browser';
import { TEST_HTTP_ADAPTER, type TestApp } from '../support/test-app';
import { hashSecret } from '../support/secrets';
import {
  authorizeUrl,
  changesOf,
  expectErrorPage,
  expectNoInternals,
  http,
  pkce,
  recordInteraction,
  register,
  REDIRECT_URI,
  type Client,
} from './support/harness';
import { NO_CHANGE, scanForSecrets, useAttackBattery } from './support/attack-battery';

/**
 * The login and consent pages (AS-17): framing and caching headers, CSRF tokens of other
 * interactions and browsers, replayed consent, expired and malformed interactions, escaping of
 * hostile client names, usernames, state and scope.
 *
 * Hostile requests against the real app on a real database; the frame, the clients and the
 * closing secret scans are in `support/attack-battery.ts`.
 */
describe('Security: login and consent page attacks', () => {
  const battery = useAttackBattery();
  const { secrets, get, expectRedirectError, countCases } = battery;
  let t: TestApp;
  let publicClient: Client;
  beforeAll(() => {
    ({ t, publicClient } = battery.fixtures());
  });

  // -------------------------------------------------------------------------------------------
  describe('consent and login pages (AS-17)', () => {
    /** Starts an authorization in `browser` and returns the login page's URL and form. */
    async function startLogin(browser: TestBrowser, client: Client = publicClient) {
      const step = await browser.navigate(
        authorizeUrl(t, client, { code_challenge: pkce().challenge }),
      );
      recordInteraction(secrets, browser, step.url);
      const form = parseForm(step.html ?? '')!;
      secrets.add('csrf_token', form.csrf);
      return {
        url: step.url,
        action: new URL(form.action, step.url).toString(),
        form,
        html: step.html ?? '',
        response: step.response,
      };
    }
    /** Signs in and returns the consent page's action and form. */
    async function startConsent(browser: TestBrowser, client?: Client) {
      // A fresh client unless given (a public one is asked every time anyway).
      const login = await startLogin(browser, client ?? (await register(t, secrets, 'none')));
      const step = await browser.navigate(login.action, {
        form: { csrf: login.form.csrf, username: 'bob', password: 'bob-password' },
      });
      const form = parseForm(step.html ?? '')!;
      secrets.add('csrf_token', form.csrf);
      return {
        login,
        url: step.url,
        action: new URL(form.action, step.url).toString(),
        form,
        html: step.html ?? '',
      };
    }
    const postForm = (browser: TestBrowser, action: string, form: Record<string, string>) =>
      browser.request(action, { form }).then(async (response) => ({
        status: response.status,
        headers: response.headers,
        text: await response.text(),
        json: undefined,
        location: response.headers.get('location'),
      }));

    it('pages refuse framing and caching (clickjacking headers)', async () => {
      const browser = new TestBrowser(t.url);
      const login = await startLogin(browser);
      expect(login.response.headers.get('x-frame-options')).toBe('DENY');
      expect(login.response.headers.get('content-security-policy')).toContain(
        "frame-ancestors 'none'",
      );
      expect(login.response.headers.get('cache-control')).toBe('no-store');
      const consent = await startConsent(new TestBrowser(t.url));
      expect(consent.html).toContain('Approve');
    });
    countCases();

    it('login without a CSRF token: 403, nobody signed in', async () => {
      const browser = new TestBrowser(t.url);
      const login = await startLogin(browser);
      const changes = await changesOf(t.db.dataSource, async () => {
        expectErrorPage(
          await postForm(browser, login.action, { username: 'alice', password: 'alice-password' }),
          403,
        );
      });
      expect(changes).toEqual(NO_CHANGE);
    });
    it('login with a CSRF token of another interaction of the same browser: 403, nothing recorded', async () => {
      const browser = new TestBrowser(t.url);
      const first = await startLogin(browser);
      const second = await startLogin(browser);
      const changes = await changesOf(t.db.dataSource, async () => {
        expectErrorPage(
          await postForm(browser, second.action, {
            csrf: first.form.csrf,
            username: 'alice',
            password: 'alice-password',
          }),
          403,
        );
      });
      expect(changes).toEqual(NO_CHANGE);
    });
    it('login with a CSRF token from another browser session: 403', async () => {
      const victim = new TestBrowser(t.url);
      const attacker = new TestBrowser(t.url);
      const victimLogin = await startLogin(victim);
      const attackerLogin = await startLogin(attacker);
      const changes = await changesOf(t.db.dataSource, async () => {
        // The attacker's own valid token, replayed in the victim's browser on the victim's id.
        expectErrorPage(
          await postForm(victim, victimLogin.action, {
            csrf: attackerLogin.form.csrf,
            username: 'alice',
            password: 'alice-password',
          }),
          403,
        );
      });
      expect(changes).toEqual(NO_CHANGE);
    });
    it("another browser on someone's interaction id: 403 on the page and on its forms", async () => {
      const victim = new TestBrowser(t.url);
      const attacker = new TestBrowser(t.url);
      const victimLogin = await startLogin(victim);
      const changes = await changesOf(t.db.dataSource, async () => {
        expectErrorPage(
          await http(t.url, victimLogin.url.replace(t.url, ''), {
            headers: { cookie: attacker.cookieHeader() },
          }),
          403,
        );
        expectErrorPage(
          await postForm(attacker, victimLogin.action, {
            csrf: victimLogin.form.csrf,
            username: 'alice',
            password: 'alice-password',
          }),
          403,
        );
        expectErrorPage(await http(t.url, victimLogin.url.replace(t.url, '')), 403);
      });
      expect(changes).toEqual(NO_CHANGE);
    });
    it('consent without a CSRF token, or with the login form token: 403, no code', async () => {
      const browser = new TestBrowser(t.url);
      const consent = await startConsent(browser);
      const changes = await changesOf(t.db.dataSource, async () => {
        expectErrorPage(await postForm(browser, consent.action, { decision: 'approve' }), 403);
        expectErrorPage(
          await postForm(browser, consent.action, {
            csrf: consent.login.form.csrf,
            decision: 'approve',
          }),
          403,
        );
        expectErrorPage(
          await postForm(browser, consent.action, {
            csrf: `${consent.form.csrf}x`,
            decision: 'approve',
          }),
          403,
        );
      });
      expect(changes).toEqual(NO_CHANGE);
    });
    it('a replayed consent form issues no second code', async () => {
      const browser = new TestBrowser(t.url);
      const consent = await startConsent(browser);
      const first = await postForm(browser, consent.action, {
        csrf: consent.form.csrf,
        decision: 'approve',
      });
      expect(first.status).toBe(303);
      secrets.add('code', new URL(first.location!).searchParams.get('code'));
      const changes = await changesOf(t.db.dataSource, async () => {
        expectErrorPage(
          await postForm(browser, consent.action, { csrf: consent.form.csrf, decision: 'approve' }),
          400,
        );
      });
      expect(changes).toEqual(NO_CHANGE);
    });
    it('consent before signing in: the login page again, no code', async () => {
      const browser = new TestBrowser(t.url);
      const login = await startLogin(browser);
      const consentAction = login.action.replace(/\/login$/, '/consent');
      const changes = await changesOf(t.db.dataSource, async () => {
        const response = await postForm(browser, consentAction, {
          csrf: login.form.csrf,
          decision: 'approve',
        });
        // The login CSRF token is not valid for the consent form.
        expectErrorPage(response, 403);
      });
      expect(changes).toEqual(NO_CHANGE);
    });
    it('a decision other than approve/deny: 400, no code', async () => {
      const browser = new TestBrowser(t.url);
      const consent = await startConsent(browser);
      const changes = await changesOf(t.db.dataSource, async () => {
        expectErrorPage(
          await postForm(browser, consent.action, {
            csrf: consent.form.csrf,
            decision: 'approve ',
          }),
          400,
        );
      });
      expect(changes).toEqual(NO_CHANGE);
    });
    it('an expired interaction: 400 page on view, login and consent', async () => {
      const browser = new TestBrowser(t.url);
      const consent = await startConsent(browser);
      await t.db.dataSource.query(
        `UPDATE mcp_auth_authorization_requests SET expires_at = now() - interval '1 second'
         WHERE id_hash = $1`,
        [hashSecret(/\/interaction\/([^/]+)/.exec(consent.url)![1])],
      );
      const changes = await changesOf(t.db.dataSource, async () => {
        expectErrorPage(
          await http(t.url, consent.url.replace(t.url, ''), {
            headers: { cookie: browser.cookieHeader() },
          }),
          400,
        );
        expectErrorPage(
          await postForm(browser, consent.action, { csrf: consent.form.csrf, decision: 'approve' }),
          400,
        );
      });
      expect(changes).toEqual(NO_CHANGE);
    });
    it('unknown and malformed interaction ids: 400 page', async () => {
      const changes = await changesOf(t.db.dataSource, async () => {
        for (const id of [
          'A'.repeat(43),
          '..%2F..%2Fetc%2Fpasswd',
          "' OR 1=1 --",
          'x'.repeat(5000),
        ]) {
          if (TEST_HTTP_ADAPTER === 'fastify' && id.length > 100) {
            // Fastify's router refuses a path parameter over maxParamLength (100) itself: 414,
            // before any handler, so nothing is looked up or redirected.
            for (const response of [
              await http(t.url, `/interaction/${id}`),
              await http(t.url, `/interaction/${id}/login`, { form: { a: 'b' } }),
            ]) {
              expect(response.status).toBe(414);
              expect(response.location).toBeNull();
            }
            continue;
          }
          expectErrorPage(await http(t.url, `/interaction/${id}`), 400);
          expectErrorPage(
            await http(t.url, `/interaction/${id}/login`, {
              form: { username: 'a', password: 'b', csrf: 'c' },
            }),
            400,
          );
        }
      });
      expect(changes).toEqual(NO_CHANGE);
    });
    it('a wrong password: 401 page, nobody signed in; the username is echoed escaped', async () => {
      const browser = new TestBrowser(t.url);
      const login = await startLogin(browser);
      const changes = await changesOf(t.db.dataSource, async () => {
        const response = await postForm(browser, login.action, {
          csrf: login.form.csrf,
          username: '"><script>alert(1)</script>',
          password: 'wrong-password',
        });
        expect(response.status).toBe(401);
        expect(response.text).not.toContain('<script>alert(1)');
        expect(response.text).toContain('&quot;&gt;&lt;script&gt;');
      });
      expect(changes).toEqual(NO_CHANGE);
    });
    it('repeated username fields count as absent: 401', async () => {
      const browser = new TestBrowser(t.url);
      const login = await startLogin(browser);
      const response = await http(t.url, login.action.replace(t.url, ''), {
        body: `csrf=${encodeURIComponent(login.form.csrf)}&username=alice&username=bob&password=alice-password`,
        headers: {
          cookie: browser.cookieHeader(),
          'content-type': 'application/x-www-form-urlencoded',
        },
      });
      expect(response.status).toBe(401);
      expectNoInternals(response);
    });
    countCases(13);

    it('XSS payloads in client_name are escaped on the login and consent pages', async () => {
      const payload = '<img src=x onerror=alert(1)><script>alert("xss")</script>';
      const evil = await register(t, secrets, 'none', { client_name: payload });
      const browser = new TestBrowser(t.url);
      const consent = await startConsent(browser, evil);
      for (const html of [consent.login.html, consent.html]) {
        expect(html).not.toContain('<script>alert');
        expect(html).not.toContain('<img src=x');
        expect(html).toContain('&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;');
      }
    });
    it('XSS payloads in state and scope never reach a page unescaped', async () => {
      const state = '"><script>alert(1)</script>';
      const step = await new TestBrowser(t.url).navigate(
        authorizeUrl(t, publicClient, { state, code_challenge: pkce().challenge }),
      );
      expect(step.html).not.toContain('<script>alert(1)');
      const scoped = await get(
        authorizeUrl(t, publicClient, {
          scope: '<script>alert(1)</script>',
          code_challenge: pkce().challenge,
        }),
      );
      const location = expectRedirectError(scoped, REDIRECT_URI, 'invalid_scope');
      expect(scoped.location).not.toMatch(/[<>"]/);
      expect(location.searchParams.get('error_description')).toContain('<script>');
      const untrusted = await get(
        authorizeUrl(
          t,
          { ...publicClient, clientId: '<script>alert(1)</script>' },
          { code_challenge: pkce().challenge },
        ),
      );
      expectErrorPage(untrusted, 400);
      expect(untrusted.text).not.toContain('<script>alert(1)');
    });
    countCases(2);
  });

  scanForSecrets(battery, 16);
});
