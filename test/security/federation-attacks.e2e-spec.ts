import { UpstreamTokens } from '@app/mcp-auth';
import { decodeJwt } from 'jose';
import { FederationBrowser, formTo, type BrowserPage } from '../support/federation-browser';
import {
  startHostileOidcProvider,
  type HostileBehaviour,
  type HostileOidcProvider,
} from '../support/hostile-oidc-provider';
import { hashSecret } from '../support/secrets';
import { freePort, type TestApp } from '../support/test-app';
import { NO_CHANGE } from './support/attack-battery';
import {
  authorizeUrl,
  captureLogs,
  changesOf,
  createSecurityApp,
  dumpModuleTables,
  expectErrorPage,
  expectOAuthJson,
  http,
  pkce,
  recordTokens,
  redeem,
  REDIRECT_URI,
  refreshWith,
  register,
  SecretRegistry,
  type CapturingLogger,
  type Client,
  type RawResponse,
  type TableChange,
} from './support/harness';

/**
 * Federation (sign-in at an upstream identity provider): hostile callbacks, hostile upstream
 * answers, unreachable and slow providers, forged "continue with" posts. Every case asserts
 * the exact status and page message (or the client redirect) and what it changed in the
 * `mcp_auth_` tables: nothing, or only what the rules require (the upstream `state` is single
 * use, so a callback that presents it from the right browser consumes it, whatever follows;
 * an upstream `access_denied` or a Deny ends the pending request). Nothing refused ever creates
 * a grant, a code or kept upstream tokens.
 *
 * The upstream providers are real HTTP servers on loopback (`support/hostile-oidc-provider.ts`)
 * spoken to by openid-client inside the library; each falsifies one thing in an otherwise
 * honest answer, and an honest answer from the same setup succeeds (the control cases), so
 * each refusal is the check at work. Closing scans: no upstream code, token, ID token or
 * secret, nor any of ours, in any table, page or log line.
 */

/** The hostile cases declared below (the closing check counts them). */
const EXPECTED_CASES = 59;
const CLIENT_STATE = 'state-123';

const HOSTILE = 'Hostile IdP';
const SLOW = 'Slow IdP';

const EXPIRED = {
  title: 'This sign-in has expired',
  message: 'The sign-in is unknown, expired or already finished. Start again from the application.',
};
const ANOTHER_BROWSER = {
  title: 'Request refused',
  message: 'This sign-in was started in another browser. Start again from the application.',
};
const INCOMPLETE = {
  title: 'Sign-in failed',
  message: 'The answer of the sign-in provider is incomplete.',
};
const OTHER_PROVIDER = {
  title: 'Sign-in failed',
  message: 'The answer came from another sign-in provider.',
};
const NOT_VERIFIED = {
  title: 'Sign-in failed',
  message: `The answer of ${HOSTILE} could not be verified. Start again from the application.`,
};
const NO_PROVIDER = { title: 'Not found', message: 'There is no such sign-in provider.' };
const UNREACHABLE = {
  title: 'Sign-in unavailable',
  message: 'The sign-in provider did not answer. Try again in a moment.',
};
const TOO_SLOW = {
  title: 'Sign-in unavailable',
  message: `${SLOW} did not answer. Try again in a moment.`,
};
const STALE_FORM = {
  title: 'Request refused',
  message: 'The form is stale or came from another site.',
};
const REQUEST_EXPIRED = {
  title: 'This request has expired',
  message: 'The authorization request is unknown, expired or already finished.',
};
const ALREADY_ANSWERED = {
  title: 'Already answered',
  message:
    'You already approved or denied this request. Return to the application; to connect again, start from there.',
};

const removed = (count = 1): TableChange => ({ added: 0, removed: count, changed: 0 });
const changed = (count = 1): TableChange => ({ added: 0, removed: 0, changed: count });
const added = (count = 1): TableChange => ({ added: count, removed: 0, changed: 0 });
/** The upstream state presented from the right browser: consumed (single use), nothing else. */
const STATE_CONSUMED = { federation_states: removed() };
/** The state consumed and the pending request ended with access_denied. */
const STATE_CONSUMED_REQUEST_ENDED = { federation_states: removed(), requests: changed() };

describe('Security: federation attacks', () => {
  const secrets = new SecretRegistry();
  /** Stored on purpose until the callback (server side only): looked for in the logs only. */
  const logOnlySecrets = new SecretRegistry();
  /** Every page the suite received, for the closing scan. */
  const pages: string[] = [];
  let hostile: HostileOidcProvider;
  let second: HostileOidcProvider;
  let slow: HostileOidcProvider;
  let closedPort: number;
  let t: TestApp;
  let client: Client;
  let logs: { logger: CapturingLogger; restore(): void } | undefined;
  let cases = 0;
  const encryptionKey = `federation-attacks-key-${hashSecret(String(Math.random()))}`;

  beforeAll(async () => {
    hostile = await startHostileOidcProvider({ clientId: 'mcp-auth-at-hostile' });
    second = await startHostileOidcProvider({ clientId: 'mcp-auth-at-second' });
    slow = await startHostileOidcProvider({ clientId: 'mcp-auth-at-slow' });
    slow.behaviour = { tokenEndpoint: 'hang' };
    // Nothing listens there (the port was free a moment ago).
    closedPort = await freePort();
    const oidc = (id: string, name: string, upstream: HostileOidcProvider) => ({
      type: 'oidc' as const,
      id,
      name,
      issuer: upstream.issuer,
      clientId: upstream.clientId,
      clientSecret: upstream.clientSecret,
      allowInsecureHttp: true,
    });
    t = await createSecurityApp({
      auth: () => ({
        federation: {
          providers: [
            { ...oidc('hostile', HOSTILE, hostile), keepTokens: true },
            oidc('second', 'Second IdP', second),
            { ...oidc('slow', SLOW, slow), timeoutMs: 500 },
            {
              type: 'oidc',
              id: 'down',
              name: 'Down IdP',
              issuer: `http://127.0.0.1:${closedPort}`,
              clientId: 'mcp-auth-at-down',
              allowInsecureHttp: true,
            },
          ],
          tokenEncryptionKeys: [encryptionKey],
        },
      }),
    });
    logs = captureLogs(t.app);
    client = await register(t, secrets, 'client_secret_basic');
    for (const upstream of [hostile, second, slow]) {
      secrets.add('upstream_client_secret', upstream.clientSecret);
    }
    secrets.add('token_encryption_key', encryptionKey);
  });

  afterEach(() => {
    hostile?.reset();
    second?.reset();
  });

  afterAll(async () => {
    logs?.restore();
    await t?.close();
    await Promise.all([hostile?.close(), second?.close(), slow?.close()]);
  });

  // ------------------------------------------------------------------------------------------
  // The frame
  // ------------------------------------------------------------------------------------------

  /**
   * One hostile case: `setup` runs first (starting a federation changes the tables on
   * purpose), then `attack`, whose changes to the `mcp_auth_` tables must be `expected`.
   */
  function hostileCase<T>(
    name: string,
    setup: () => Promise<T>,
    attack: (context: T) => Promise<void>,
    expected: Record<string, TableChange> = NO_CHANGE,
    /** Runs after the tables were compared (e.g. the right browser finishing). */
    then?: (context: T) => Promise<void>,
  ): void {
    cases++;
    it(name, async () => {
      const context = await setup();
      const changes = await changesOf(t.db.dataSource, () => attack(context));
      expect(changes).toEqual(expected);
      await then?.(context);
    });
  }

  /** A browser on our sign-in page (consent first), for `provider` buttons. */
  interface SignInPage {
    browser: FederationBrowser;
    page: BrowserPage;
    interactionId: string;
    verifier: string;
  }

  async function openSignInPage(): Promise<SignInPage> {
    // Navigation stops at our callback: the test sends it itself.
    const browser = new FederationBrowser(`${t.url}/federation/`);
    const pair = pkce();
    secrets.add('code_verifier', pair.verifier);
    const start = await browser.go(authorizeUrl(t, client, { code_challenge: pair.challenge }));
    const page = start.page!;
    expect(page.status).toBe(200);
    const interactionId = /\/interaction\/([A-Za-z0-9_-]{43})$/.exec(page.url)![1];
    secrets.add('interaction_id', interactionId);
    for (const form of [formTo(page, '/federate/hostile'), formTo(page, '/login')]) {
      secrets.add('csrf_token', form.fields.csrf);
    }
    recordCookies(browser);
    return { browser, page, interactionId, verifier: pair.verifier };
  }

  function recordCookies(browser: FederationBrowser): void {
    for (const value of browser.cookies(t.url).values()) secrets.add('browser_cookie', value);
  }

  function cookieOf(browser: FederationBrowser): string {
    return [...browser.cookies(t.url)].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  /** A federation under way: the browser went upstream and was sent back to `callback`. */
  interface Federation extends SignInPage {
    /** The callback URL the provider redirected to (not requested yet). */
    callback: URL;
    /** The cookie header of the browser that started it. */
    cookie: string;
  }

  const upstreams = (): Record<string, HostileOidcProvider> => ({ hostile, second, slow });

  async function startFederation(providerId = 'hostile'): Promise<Federation> {
    const started = await openSignInPage();
    const upstream = upstreams()[providerId];
    const authorizeRequests = upstream.requestsTo('/authorize').length;
    const federate = formTo(started.page, `/federate/${providerId}`);
    const end = await started.browser.go(federate.action, federate.fields);
    if (!end.stopped) throw new Error(`not sent back to the callback: ${end.page.html}`);
    const callback = end.stopped;
    expect(`${callback.origin}${callback.pathname}`).toBe(
      `${t.url}/federation/${providerId}/callback`,
    );
    secrets.add('upstream_state', callback.searchParams.get('state'));
    secrets.add('upstream_code', callback.searchParams.get('code'));
    const asked = upstream.requestsTo('/authorize').slice(authorizeRequests);
    expect(asked).toHaveLength(1);
    logOnlySecrets.add('upstream_nonce', asked[0].query.nonce);
    return { ...started, callback, cookie: cookieOf(started.browser) };
  }

  /** The callback request, as the browser holding `cookie` (if any) sends it. */
  function sendCallback(url: URL | string, cookie?: string): Promise<RawResponse> {
    const target = new URL(url);
    return http(t.url, `${target.pathname}${target.search}`, {
      headers: cookie ? { cookie } : {},
    });
  }

  /** A callback URL of `providerId` with a raw (already encoded) query string. */
  function callbackWithQuery(providerId: string, query: string): string {
    return `${t.url}/federation/${providerId}/callback?${query}`;
  }

  function heading(html: string): string | undefined {
    return /<h1>([^<]*)<\/h1>/.exec(html)?.[1];
  }

  function pageMessage(html: string): string | undefined {
    const match = /<p class="error" role="alert">([^<]*)<\/p>/.exec(html);
    return match?.[1]
      .replace(/&#39;/g, "'")
      .replace(/&quot;/g, '"')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
  }

  /** An error page with exactly this status, title and message: no redirect, no cookie. */
  function expectPage(
    response: RawResponse,
    status: number,
    expected: { title: string; message: string },
  ): void {
    pages.push(response.text);
    expectErrorPage(response, status);
    expect(response.headers.get('set-cookie')).toBeNull();
    expect({ title: heading(response.text), message: pageMessage(response.text) }).toEqual(
      expected,
    );
  }

  /** Sent to the MCP client with `error`, its state and our issuer; never a code. */
  function expectClientError(response: RawResponse, error: string): URL {
    expect(response.status).toBe(303);
    const location = new URL(response.location ?? 'about:blank');
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT_URI);
    expect(location.searchParams.get('error')).toBe(error);
    expect(location.searchParams.get('state')).toBe(CLIENT_STATE);
    expect(location.searchParams.get('iss')).toBe(t.url);
    expect(location.searchParams.get('code')).toBeNull();
    return location;
  }

  /** Sent to the MCP client with a code (and the rotated browser cookie). */
  function expectCode(response: RawResponse): string {
    expect(response.status).toBe(303);
    const location = new URL(response.location ?? 'about:blank');
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT_URI);
    expect(location.searchParams.get('state')).toBe(CLIENT_STATE);
    expect(location.searchParams.get('iss')).toBe(t.url);
    expect(location.searchParams.get('error')).toBeNull();
    const code = location.searchParams.get('code');
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    secrets.add('code', code);
    for (const cookie of response.headers.getSetCookie()) {
      secrets.add('browser_cookie', cookie.split(';')[0].split('=')[1]);
    }
    return code!;
  }

  /** The right browser finishes a federation that an attack must have left intact. */
  async function expectStillFinishes(federation: Federation): Promise<void> {
    expectCode(await sendCallback(federation.callback, federation.cookie));
  }

  function tokenRequests(upstream: HostileOidcProvider = hostile): number {
    return upstream.requestsTo('/token').length;
  }

  /** Rows of the federation state table for one plain state value. */
  async function stateRows(state: string): Promise<number> {
    const rows = await t.db.dataSource.query<unknown[]>(
      `SELECT 1 FROM mcp_auth_federation_states WHERE state_hash = $1`,
      [hashSecret(state)],
    );
    return rows.length;
  }

  // ------------------------------------------------------------------------------------------
  describe('control: an honest provider signs the user in', () => {
    it('the whole flow: our code, our tokens for hostile|<sub>, the upstream tokens kept sealed', async () => {
      const federation = await startFederation();
      const asked = hostile.requestsTo('/authorize').at(-1)!.query;
      expect(asked).toMatchObject({
        response_type: 'code',
        client_id: hostile.clientId,
        redirect_uri: `${t.url}/federation/hostile/callback`,
        scope: 'openid profile email',
        code_challenge_method: 'S256',
      });
      let code = '';
      const changes = await changesOf(t.db.dataSource, async () => {
        code = expectCode(await sendCallback(federation.callback, federation.cookie));
      });
      expect(changes).toEqual({
        federation_states: removed(),
        requests: changed(),
        grants: added(),
        codes: added(),
        consents: added(),
        upstream_tokens: added(),
      });
      const response = await redeem(t, client, {
        code,
        verifier: federation.verifier,
        redirectUri: REDIRECT_URI,
      });
      expect(response.status).toBe(200);
      const tokens = recordTokens(secrets, response.json);
      expect(decodeJwt(tokens.access_token).sub).toBe(`hostile|${hostile.subject}`);
    });
  });

  // ------------------------------------------------------------------------------------------
  describe('the callback: replay, another browser, state', () => {
    hostileCase(
      'the callback replayed after success (same browser, new and old cookie): 400, nothing issued again',
      async () => {
        const federation = await startFederation();
        const success = await sendCallback(federation.callback, federation.cookie);
        expectCode(success);
        const rotated = success.headers
          .getSetCookie()
          .map((cookie) => cookie.split(';')[0])
          .join('; ');
        expect(rotated).toMatch(/^mcp_auth_browser=[A-Za-z0-9_-]{43}$/);
        return { federation, rotated, exchanges: tokenRequests() };
      },
      async ({ federation, rotated, exchanges }) => {
        expectPage(await sendCallback(federation.callback, rotated), 400, EXPIRED);
        expectPage(await sendCallback(federation.callback, federation.cookie), 400, EXPIRED);
        expect(tokenRequests()).toBe(exchanges);
      },
    );

    hostileCase(
      'the callback from another browser without a cookie: 403, the state is not consumed, the right browser finishes',
      () => startFederation(),
      async (federation) => {
        const exchanges = tokenRequests();
        expectPage(await sendCallback(federation.callback), 403, ANOTHER_BROWSER);
        expect(await stateRows(federation.callback.searchParams.get('state')!)).toBe(1);
        // The upstream code was not spent either.
        expect(tokenRequests()).toBe(exchanges);
      },
      NO_CHANGE,
      expectStillFinishes,
    );

    const finishes: { name: string; cookie: (f: Federation) => Promise<string> }[] = [
      {
        name: 'with its own binding cookie (it started an authorization of its own)',
        cookie: async () => {
          const other = await openSignInPage();
          return cookieOf(other.browser);
        },
      },
      {
        name: 'with a well-formed cookie value it made up',
        cookie: () => Promise.resolve(`mcp_auth_browser=${'A'.repeat(43)}`),
      },
      {
        name: 'with a malformed cookie value',
        cookie: () => Promise.resolve('mcp_auth_browser=%00%0A<script>'),
      },
      {
        name: "with the right cookie's value under another cookie name",
        cookie: (f) => Promise.resolve(f.cookie.replace('mcp_auth_browser=', 'mcp_auth_other=')),
      },
    ];
    for (const { name, cookie } of finishes) {
      hostileCase(
        `the callback from another browser ${name}: 403, state kept, the right browser finishes`,
        async () => {
          const federation = await startFederation();
          return { federation, cookie: await cookie(federation) };
        },
        async ({ federation, cookie: other }) => {
          const exchanges = tokenRequests();
          expectPage(await sendCallback(federation.callback, other), 403, ANOTHER_BROWSER);
          expect(await stateRows(federation.callback.searchParams.get('state')!)).toBe(1);
          expect(tokenRequests()).toBe(exchanges);
        },
        NO_CHANGE,
        ({ federation }) => expectStillFinishes(federation),
      );
    }

    const badStates: { name: string; query: (f: Federation) => string; page: typeof EXPIRED }[] = [
      {
        name: 'a wrong state (well formed, never issued)',
        query: (f) => `code=${f.callback.searchParams.get('code')}&state=${'x'.repeat(43)}`,
        page: EXPIRED,
      },
      {
        name: 'a wrong state one character off',
        query: (f) => {
          const state = f.callback.searchParams.get('state')!;
          const last = state.at(-1) === 'A' ? 'B' : 'A';
          return `code=${f.callback.searchParams.get('code')}&state=${state.slice(0, -1)}${last}`;
        },
        page: EXPIRED,
      },
      {
        name: 'no state',
        query: (f) => `code=${f.callback.searchParams.get('code')}`,
        page: INCOMPLETE,
      },
      {
        name: 'an empty state',
        query: (f) => `code=${f.callback.searchParams.get('code')}&state=`,
        page: INCOMPLETE,
      },
      {
        name: 'the right state twice',
        query: (f) => `${f.callback.search.slice(1)}&state=${f.callback.searchParams.get('state')}`,
        page: INCOMPLETE,
      },
      {
        name: 'the right state and another one',
        query: (f) => `${f.callback.search.slice(1)}&state=${'y'.repeat(43)}`,
        page: INCOMPLETE,
      },
      {
        name: 'a state with a space',
        query: (f) => `code=${f.callback.searchParams.get('code')}&state=abc%20def`,
        page: INCOMPLETE,
      },
      {
        name: 'a state with a line break',
        query: (f) => `code=${f.callback.searchParams.get('code')}&state=abc%0Adef`,
        page: INCOMPLETE,
      },
      {
        name: 'a state with non-ASCII characters',
        query: (f) => `code=${f.callback.searchParams.get('code')}&state=%C3%A9t%C3%A9`,
        page: INCOMPLETE,
      },
      {
        name: 'an oversized state (513 characters)',
        query: (f) => `code=${f.callback.searchParams.get('code')}&state=${'s'.repeat(513)}`,
        page: INCOMPLETE,
      },
      {
        name: 'an oversized state (8000 characters)',
        query: (f) => `code=${f.callback.searchParams.get('code')}&state=${'s'.repeat(8000)}`,
        page: INCOMPLETE,
      },
      {
        name: 'the right state as an array parameter (state[]=)',
        query: (f) =>
          `code=${f.callback.searchParams.get('code')}&state[]=${f.callback.searchParams.get('state')}`,
        page: INCOMPLETE,
      },
    ];
    for (const { name, query, page } of badStates) {
      hostileCase(
        `${name}, from the right browser: 400 "${page.title}", the real state kept`,
        () => startFederation(),
        async (federation) => {
          const exchanges = tokenRequests();
          expectPage(
            await sendCallback(callbackWithQuery('hostile', query(federation)), federation.cookie),
            400,
            page,
          );
          expect(tokenRequests()).toBe(exchanges);
          expect(await stateRows(federation.callback.searchParams.get('state')!)).toBe(1);
        },
        NO_CHANGE,
        expectStillFinishes,
      );
    }

    for (const providerId of ['nope', 'Hostile', 'hostile-', 'no%3Cscript%3E']) {
      hostileCase(
        `the right state and code at the callback of an unknown provider "${decodeURIComponent(providerId)}": 404, state kept`,
        () => startFederation(),
        async (federation) => {
          const response = await sendCallback(
            callbackWithQuery(providerId, federation.callback.search.slice(1)),
            federation.cookie,
          );
          expectPage(response, 404, NO_PROVIDER);
          expect(response.text).not.toContain('<script>');
          expect(await stateRows(federation.callback.searchParams.get('state')!)).toBe(1);
        },
        NO_CHANGE,
        expectStillFinishes,
      );
    }

    hostileCase(
      "a state minted for one provider returned at another provider's callback: refused as a mix-up, the state spent",
      () => startFederation('hostile'),
      async (federation) => {
        const exchanges = [tokenRequests(hostile), tokenRequests(second)];
        expectPage(
          await sendCallback(
            callbackWithQuery('second', federation.callback.search.slice(1)),
            federation.cookie,
          ),
          400,
          OTHER_PROVIDER,
        );
        expect([tokenRequests(hostile), tokenRequests(second)]).toEqual(exchanges);
        // Single use: it cannot be taken back to the right callback either.
        expect(await stateRows(federation.callback.searchParams.get('state')!)).toBe(0);
      },
      STATE_CONSUMED,
    );

    hostileCase(
      "the second provider's answer (its code and state) at the first provider's callback: refused, nothing issued",
      () => startFederation('second'),
      async (federation) => {
        const exchanges = [tokenRequests(hostile), tokenRequests(second)];
        expectPage(
          await sendCallback(
            callbackWithQuery('hostile', federation.callback.search.slice(1)),
            federation.cookie,
          ),
          400,
          OTHER_PROVIDER,
        );
        expect([tokenRequests(hostile), tokenRequests(second)]).toEqual(exchanges);
      },
      STATE_CONSUMED,
    );

    hostileCase(
      'the federation state expired (right browser, right state): 400, nothing changes',
      async () => {
        const federation = await startFederation();
        await t.db.dataSource.query(
          `UPDATE mcp_auth_federation_states SET expires_at = now() - interval '1 second'
           WHERE state_hash = $1`,
          [hashSecret(federation.callback.searchParams.get('state')!)],
        );
        return federation;
      },
      async (federation) => {
        expectPage(await sendCallback(federation.callback, federation.cookie), 400, EXPIRED);
      },
    );

    hostileCase(
      'the pending request expired while the user was upstream: 400, the state spent, nothing issued',
      async () => {
        const federation = await startFederation();
        await t.db.dataSource.query(
          `UPDATE mcp_auth_authorization_requests SET expires_at = now() - interval '1 second'
           WHERE id_hash = $1`,
          [hashSecret(federation.interactionId)],
        );
        return { federation, exchanges: tokenRequests() };
      },
      async ({ federation, exchanges }) => {
        expectPage(await sendCallback(federation.callback, federation.cookie), 400, EXPIRED);
        expect(tokenRequests()).toBe(exchanges);
      },
      STATE_CONSUMED,
    );

    hostileCase(
      'the user pressed Deny in another tab while upstream: the callback is refused, no code',
      async () => {
        const federation = await startFederation();
        const deny = formTo(federation.page, '/consent');
        const denied = await http(t.url, new URL(deny.action).pathname, {
          form: { ...deny.fields, decision: 'deny' },
          headers: { cookie: federation.cookie },
        });
        expectClientError(denied, 'access_denied');
        return { federation, exchanges: tokenRequests() };
      },
      async ({ federation, exchanges }) => {
        expectPage(await sendCallback(federation.callback, federation.cookie), 400, EXPIRED);
        expect(tokenRequests()).toBe(exchanges);
      },
      STATE_CONSUMED,
    );

    countCases();
    it('the same valid callback sent 5 times at once by the right browser: exactly one code', async () => {
      const federation = await startFederation();
      const exchanges = tokenRequests();
      let responses: RawResponse[] = [];
      const changes = await changesOf(t.db.dataSource, async () => {
        responses = await Promise.all(
          Array.from({ length: 5 }, () => sendCallback(federation.callback, federation.cookie)),
        );
      });
      const winners = responses.filter((response) => response.status === 303);
      expect(winners).toHaveLength(1);
      expectCode(winners[0]);
      for (const loser of responses.filter((response) => response.status !== 303)) {
        expectPage(loser, 400, EXPIRED);
      }
      expect(tokenRequests()).toBe(exchanges + 1);
      expect(changes).toEqual({
        federation_states: removed(),
        requests: changed(),
        grants: added(),
        codes: added(),
        upstream_tokens: added(),
        // Remembered by the control flow of the same user and client: renewed.
        consents: changed(),
      });
    });
  });

  // ------------------------------------------------------------------------------------------
  describe('hostile answers of the upstream provider', () => {
    /** Falsifies the provider's next answers, then starts a federation. */
    function falsified(behaviour: () => HostileBehaviour): () => Promise<Federation> {
      return async () => {
        hostile.behaviour = behaviour();
        return startFederation();
      };
    }

    const now = () => Math.floor(Date.now() / 1000);
    const idTokenCases: { name: string; behaviour: () => HostileBehaviour }[] = [
      {
        name: 'an ID token with a wrong nonce',
        behaviour: () => ({ idToken: { claims: { nonce: 'n'.repeat(43) } } }),
      },
      {
        name: 'an ID token without the nonce',
        behaviour: () => ({ idToken: { claims: { nonce: undefined } } }),
      },
      {
        name: 'an ID token signed by a key not in the JWKS (same kid)',
        behaviour: () => ({ idToken: { signWith: 'rogue' } }),
      },
      {
        name: 'an unsigned ID token (alg none)',
        behaviour: () => ({ idToken: { signWith: 'none' } }),
      },
      {
        name: 'an ID token from another issuer (iss)',
        behaviour: () => ({ idToken: { claims: { iss: second.issuer } } }),
      },
      {
        name: 'an ID token for another client (aud)',
        behaviour: () => ({ idToken: { claims: { aud: second.clientId } } }),
      },
      {
        name: 'an expired ID token',
        behaviour: () => ({ idToken: { claims: { iat: now() - 600, exp: now() - 300 } } }),
      },
      {
        name: 'an ID token without a subject',
        behaviour: () => ({ idToken: { claims: { sub: undefined } } }),
      },
      {
        name: 'no ID token in the token response',
        behaviour: () => ({ idToken: { omit: true } }),
      },
    ];
    for (const { name, behaviour } of idTokenCases) {
      hostileCase(
        `${name}: 400 "${NOT_VERIFIED.title}", no code, no grant, no kept tokens`,
        falsified(behaviour),
        async (federation) => {
          const exchanges = tokenRequests();
          expectPage(await sendCallback(federation.callback, federation.cookie), 400, NOT_VERIFIED);
          // The code was redeemed: the refusal is the ID token check, after the exchange.
          expect(tokenRequests()).toBe(exchanges + 1);
        },
        STATE_CONSUMED,
      );
    }

    hostileCase(
      'a code swapped in from another authorization at the same provider (PKCE): refused, nothing issued',
      async () => {
        const victim = await startFederation();
        const other = await startFederation();
        const swapped = new URL(victim.callback);
        swapped.searchParams.set('code', other.callback.searchParams.get('code')!);
        return { victim, swapped };
      },
      async ({ victim, swapped }) => {
        expectPage(await sendCallback(swapped, victim.cookie), 400, NOT_VERIFIED);
      },
      STATE_CONSUMED,
    );

    hostileCase(
      'mix-up (RFC 9207): the authorization response names another issuer in iss: refused before any code exchange',
      falsified(() => ({ authorizationResponse: { iss: second.issuer } })),
      async (federation) => {
        expect(federation.callback.searchParams.get('iss')).toBe(second.issuer);
        const exchanges = tokenRequests();
        expectPage(await sendCallback(federation.callback, federation.cookie), 400, NOT_VERIFIED);
        expect(tokenRequests()).toBe(exchanges);
      },
      STATE_CONSUMED,
    );

    hostileCase(
      'the authorization response without iss although the provider advertises it: refused before any code exchange',
      falsified(() => ({ authorizationResponse: { iss: undefined } })),
      async (federation) => {
        expect(federation.callback.searchParams.has('iss')).toBe(false);
        const exchanges = tokenRequests();
        expectPage(await sendCallback(federation.callback, federation.cookie), 400, NOT_VERIFIED);
        expect(tokenRequests()).toBe(exchanges);
      },
      STATE_CONSUMED,
    );

    hostileCase(
      'an ID token injected in the front channel (id_token beside the code): refused, nothing issued',
      async () => {
        const federation = await startFederation();
        const injected = new URL(federation.callback);
        injected.searchParams.set('id_token', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.');
        return { federation, injected };
      },
      async ({ federation, injected }) => {
        const exchanges = tokenRequests();
        expectPage(await sendCallback(injected, federation.cookie), 400, NOT_VERIFIED);
        expect(tokenRequests()).toBe(exchanges);
      },
      STATE_CONSUMED,
    );

    hostileCase(
      'error=access_denied upstream: the client gets access_denied with its state and iss, nothing issued',
      falsified(() => ({
        authorizationResponse: {
          code: undefined,
          error: 'access_denied',
          error_description: 'The user cancelled.',
        },
      })),
      async (federation) => {
        const exchanges = tokenRequests();
        expectClientError(
          await sendCallback(federation.callback, federation.cookie),
          'access_denied',
        );
        expect(tokenRequests()).toBe(exchanges);
      },
      STATE_CONSUMED_REQUEST_ENDED,
    );

    hostileCase(
      'error=access_denied with another issuer in iss: not trusted, a 400 page, the request not ended',
      falsified(() => ({
        authorizationResponse: { code: undefined, error: 'access_denied', iss: second.issuer },
      })),
      async (federation) => {
        expectPage(await sendCallback(federation.callback, federation.cookie), 400, NOT_VERIFIED);
      },
      STATE_CONSUMED,
    );

    hostileCase(
      'error=server_error upstream: a 400 page, the request not ended, nothing issued',
      falsified(() => ({ authorizationResponse: { code: undefined, error: 'server_error' } })),
      async (federation) => {
        expectPage(await sendCallback(federation.callback, federation.cookie), 400, NOT_VERIFIED);
      },
      STATE_CONSUMED,
    );

    it('after the refusals, the same provider answering honestly signs the user in (the checks, not the setup, refused)', async () => {
      const federation = await startFederation();
      expectCode(await sendCallback(federation.callback, federation.cookie));
    });
  });

  // ------------------------------------------------------------------------------------------
  describe('unreachable and slow providers', () => {
    hostileCase(
      'discovery fails (the provider is on a closed port): 503 at the federate step, nothing stored',
      openSignInPage,
      async (signIn) => {
        const federate = formTo(signIn.page, '/federate/down');
        const started = Date.now();
        const response = await http(t.url, new URL(federate.action).pathname, {
          form: federate.fields,
          headers: { cookie: cookieOf(signIn.browser) },
        });
        expect(Date.now() - started).toBeLessThan(3_000);
        expectPage(response, 503, UNREACHABLE);
        // The sign-in page still works: another provider can be chosen.
        const again = await http(t.url, `/interaction/${signIn.interactionId}`, {
          headers: { cookie: cookieOf(signIn.browser) },
        });
        expect(again.status).toBe(200);
        expect(again.text).toContain('Approve and continue with Down IdP');
      },
    );

    hostileCase(
      'the token endpoint never answers (timeoutMs 500): 503 within 3 s, nothing issued',
      () => startFederation('slow'),
      async (federation) => {
        const exchanges = tokenRequests(slow);
        const started = Date.now();
        const response = await sendCallback(federation.callback, federation.cookie);
        const elapsed = Date.now() - started;
        expectPage(response, 503, TOO_SLOW);
        expect(elapsed).toBeGreaterThanOrEqual(450);
        expect(elapsed).toBeLessThan(3_000);
        expect(tokenRequests(slow)).toBe(exchanges + 1);
      },
      STATE_CONSUMED,
    );
  });

  // ------------------------------------------------------------------------------------------
  describe('the "Approve and continue with" post', () => {
    /** Posts the federate form of `signIn` with `fields` and `cookie`. */
    function federate(
      signIn: SignInPage,
      options: { provider?: string; fields?: Record<string, string>; cookie?: string | null } = {},
    ): Promise<RawResponse> {
      const form = formTo(signIn.page, '/federate/hostile');
      const path = new URL(form.action).pathname.replace(
        /\/federate\/hostile$/,
        `/federate/${options.provider ?? 'hostile'}`,
      );
      const cookie = options.cookie === undefined ? cookieOf(signIn.browser) : options.cookie;
      return http(t.url, path, {
        form: options.fields ?? form.fields,
        headers: cookie ? { cookie } : {},
      });
    }

    /** Nothing went upstream. */
    function expectNoUpstreamRequest(before: number): void {
      expect(hostile.requests.length).toBe(before);
    }

    const refusals: {
      name: string;
      /** Whatever the attacker prepares beforehand (outside the compared tables). */
      prepare?: (signIn: SignInPage) => Promise<Record<string, string>>;
      post: (signIn: SignInPage, prepared: Record<string, string>) => Promise<RawResponse>;
      status: number;
      page: { title: string; message: string };
    }[] = [
      {
        name: 'without a CSRF token',
        post: (signIn) => federate(signIn, { fields: {} }),
        status: 403,
        page: STALE_FORM,
      },
      {
        name: 'with a made-up CSRF token',
        post: (signIn) => federate(signIn, { fields: { csrf: 'c'.repeat(43) } }),
        status: 403,
        page: STALE_FORM,
      },
      {
        name: "with the password form's CSRF token (another form)",
        post: (signIn) => federate(signIn, { fields: formTo(signIn.page, '/login').fields }),
        status: 403,
        page: STALE_FORM,
      },
      {
        name: 'with the CSRF token of another interaction of the same browser',
        prepare: async (signIn) => {
          const start = await signIn.browser.go(
            authorizeUrl(t, client, { code_challenge: pkce().challenge }),
          );
          const other = formTo(start.page!, '/federate/hostile');
          secrets.add('csrf_token', other.fields.csrf);
          return other.fields;
        },
        post: (signIn, otherFields) => federate(signIn, { fields: otherFields }),
        status: 403,
        page: STALE_FORM,
      },
      {
        name: 'with the CSRF token repeated',
        post: (signIn) => {
          const form = formTo(signIn.page, '/federate/hostile');
          return http(t.url, new URL(form.action).pathname, {
            form: { csrf: [form.fields.csrf, form.fields.csrf] },
            headers: { cookie: cookieOf(signIn.browser) },
          });
        },
        status: 403,
        page: STALE_FORM,
      },
      {
        name: 'from another browser without a cookie (right CSRF token)',
        post: (signIn) => federate(signIn, { cookie: null }),
        status: 403,
        page: ANOTHER_BROWSER,
      },
      {
        name: 'from another browser with its own cookie and CSRF token',
        prepare: async () => {
          const other = await openSignInPage();
          return {
            cookie: cookieOf(other.browser),
            ...formTo(other.page, '/federate/hostile').fields,
          };
        },
        post: (signIn, { cookie, ...fields }) => federate(signIn, { cookie, fields }),
        status: 403,
        page: ANOTHER_BROWSER,
      },
      {
        name: 'for an unknown provider',
        post: (signIn) => federate(signIn, { provider: 'nope' }),
        status: 404,
        page: NO_PROVIDER,
      },
      {
        name: 'for an unknown interaction',
        post: (signIn) => {
          const form = formTo(signIn.page, '/federate/hostile');
          return http(t.url, `/interaction/${'Z'.repeat(43)}/federate/hostile`, {
            form: form.fields,
            headers: { cookie: cookieOf(signIn.browser) },
          });
        },
        status: 400,
        page: REQUEST_EXPIRED,
      },
      {
        name: 'for a malformed interaction id',
        post: (signIn) => {
          const form = formTo(signIn.page, '/federate/hostile');
          return http(t.url, `/interaction/not-an-id/federate/hostile`, {
            form: form.fields,
            headers: { cookie: cookieOf(signIn.browser) },
          });
        },
        status: 400,
        page: REQUEST_EXPIRED,
      },
    ];
    for (const { name, prepare, post, status, page } of refusals) {
      hostileCase(
        `${name}: ${status} "${page.title}", no federation state, nothing sent upstream`,
        async () => {
          const signIn = await openSignInPage();
          return { signIn, prepared: (await prepare?.(signIn)) ?? {} };
        },
        async ({ signIn, prepared }) => {
          const before = hostile.requests.length;
          expectPage(await post(signIn, prepared), status, page);
          expectNoUpstreamRequest(before);
        },
      );
    }

    hostileCase(
      'for an expired interaction: 400 "This request has expired", no federation state',
      async () => {
        const signIn = await openSignInPage();
        await t.db.dataSource.query(
          `UPDATE mcp_auth_authorization_requests SET expires_at = now() - interval '1 second'
           WHERE id_hash = $1`,
          [hashSecret(signIn.interactionId)],
        );
        return signIn;
      },
      async (signIn) => {
        const before = hostile.requests.length;
        expectPage(await federate(signIn), 400, REQUEST_EXPIRED);
        expectNoUpstreamRequest(before);
      },
    );

    hostileCase(
      'for an interaction already denied: 400 "Already answered", no federation state',
      async () => {
        const signIn = await openSignInPage();
        const deny = formTo(signIn.page, '/consent');
        expectClientError(
          await http(t.url, new URL(deny.action).pathname, {
            form: { ...deny.fields, decision: 'deny' },
            headers: { cookie: cookieOf(signIn.browser) },
          }),
          'access_denied',
        );
        return signIn;
      },
      async (signIn) => {
        const before = hostile.requests.length;
        expectPage(await federate(signIn), 400, ALREADY_ANSWERED);
        expectNoUpstreamRequest(before);
      },
    );

    it('the valid post, for comparison, stores one federation state and goes upstream', async () => {
      const signIn = await openSignInPage();
      let response: RawResponse | undefined;
      const changes = await changesOf(t.db.dataSource, async () => {
        response = await federate(signIn);
      });
      expect(response!.status).toBe(303);
      expect(response!.location?.startsWith(`${hostile.issuer}/authorize?`)).toBe(true);
      expect(changes).toEqual({ federation_states: added() });
    });

    hostileCase(
      'the Deny button of the federated sign-in page: access_denied with state and iss to the client, nothing issued',
      openSignInPage,
      async (signIn) => {
        const before = hostile.requests.length;
        const deny = formTo(signIn.page, '/consent');
        expect(signIn.page.html).toMatch(/<button type="submit" name="decision" value="deny">/);
        expectClientError(
          await http(t.url, new URL(deny.action).pathname, {
            form: { ...deny.fields, decision: 'deny' },
            headers: { cookie: cookieOf(signIn.browser) },
          }),
          'access_denied',
        );
        expectNoUpstreamRequest(before);
      },
      { requests: changed() },
    );
  });

  // ------------------------------------------------------------------------------------------
  describe('secrets at rest, in pages and in logs', () => {
    it('a last flow keeps upstream tokens; no mcp_auth_ table holds an upstream or our secret in clear', async () => {
      const federation = await startFederation();
      const code = expectCode(await sendCallback(federation.callback, federation.cookie));
      const response = await redeem(t, client, {
        code,
        verifier: federation.verifier,
        redirectUri: REDIRECT_URI,
      });
      const tokens = recordTokens(secrets, response.json);
      const refreshed = await refreshWith(t, client, tokens.refresh_token!);
      expect(refreshed.status).toBe(200);
      recordTokens(secrets, refreshed.json);
      expectOAuthJson(await refreshWith(t, client, tokens.refresh_token!), 400, 'invalid_grant');
      // A tool's upstream token: it is the provider's, handed over server side only.
      const upstream = await t.app
        .get(UpstreamTokens)
        .getAccessToken(decodeJwt(tokens.access_token).gid as string);
      expect(hostile.issued).toContain(upstream.accessToken);

      for (const provider of [hostile, second, slow]) {
        for (const value of provider.issued) {
          // The codes are registered already (as upstream_code); tokens and ID tokens join.
          if (secrets.foundIn(value).length === 0) secrets.add('upstream_issued', value);
          // An ID token is also looked for by its signature alone.
          const signature = value.split('.')[2];
          if (value.split('.').length === 3 && signature)
            secrets.add('id_token_signature', signature);
        }
        for (const request of provider.requestsTo('/token')) {
          logOnlySecrets.add('upstream_code_verifier', request.body.code_verifier);
        }
      }
      expect(
        secrets.kindsNotSeen([
          'access_token',
          'refresh_token',
          'code',
          'client_secret',
          'csrf_token',
          'browser_cookie',
          'interaction_id',
          'code_verifier',
          'upstream_state',
          'upstream_code',
          'upstream_issued',
          'id_token_signature',
          'upstream_client_secret',
          'token_encryption_key',
        ]),
      ).toEqual([]);
      const dump = await dumpModuleTables(t.db.dataSource);
      expect(dump).toContain('## mcp_auth_upstream_tokens\n{');
      expect(dump).toContain('## mcp_auth_federation_states');
      expect(secrets.foundIn(dump)).toEqual([]);
    });

    it('no page the suite received holds a secret', () => {
      expect(pages.length).toBeGreaterThan(40);
      expect(secrets.foundIn(pages.join('\n'))).toEqual([]);
      expect(logOnlySecrets.foundIn(pages.join('\n'))).toEqual([]);
    });

    it('the log output of the whole suite holds none of those secrets', () => {
      const output = logs!.logger.lines.join('\n');
      // The suite did make the app log (refused answers): the capture works.
      expect(output).toContain('hostile: sign-in refused');
      expect(secrets.foundIn(output)).toEqual([]);
      expect(logOnlySecrets.foundIn(output)).toEqual([]);
      expect(output).not.toContain('alice-password');
    });

    it('the log output tells an unreachable provider and a slow one apart from a refused answer', () => {
      const output = logs!.logger.lines.join('\n');
      expect(output).toContain(
        `Down IdP could not be discovered at http://127.0.0.1:${closedPort}.`,
      );
      expect(output).toContain('slow: Slow IdP did not answer the sign-in in time.');
      expect(output).not.toContain('slow: sign-in refused');
    });

    it(`ran ${EXPECTED_CASES} distinct hostile cases`, () => {
      expect(cases).toBe(EXPECTED_CASES);
    });
  });

  /** Counts a hostile case written as a plain `it` (it checks the tables itself). */
  function countCases(count = 1): void {
    cases += count;
  }
});
