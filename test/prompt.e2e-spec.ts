import { McpAuthorizationService, type NewClient, ConsentStore } from '@app/mcp-auth';
import {
  authorizeUrl,
  confidentialClient,
  createClients,
  publicClient,
  redirectUriOf,
  STATE,
} from './support/authorization-fixtures';
import { TestBrowser, parseForm } from './support/browser';
import { createTestApp, type TestApp } from './support/test-app';

const PUBLIC_CLIENT = publicClient('prompt-public');
const CONFIDENTIAL_CLIENT = confidentialClient('prompt-confidential');

/** The error redirect: exactly one error, state and iss (AS-16, RFC 9207), no code. */
function expectErrorRedirect(
  response: Response,
  app: TestApp,
  error: string,
  client: NewClient = PUBLIC_CLIENT,
): void {
  expect(response.status).toBe(302);
  const location = new URL(response.headers.get('location') as string);
  expect(`${location.origin}${location.pathname}`).toBe(redirectUriOf(client));
  expect(location.searchParams.getAll('error')).toEqual([error]);
  expect(location.searchParams.getAll('state')).toEqual([STATE]);
  expect(location.searchParams.getAll('iss')).toEqual([app.url]);
  expect(location.searchParams.has('code')).toBe(false);
}

describe('prompt (OIDC Core §3.1.2.1; AS-18) with the built-in pages', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
    await createClients(t, [PUBLIC_CLIENT, CONFIDENTIAL_CLIENT]);
  });
  afterAll(() => t.close());

  const pendingRequests = async (): Promise<number> =>
    (
      await t.db.dataSource.query(`SELECT count(*)::int AS n FROM mcp_auth_authorization_requests`)
    )[0].n;

  it('prompt=none answers login_required by redirect, with state and iss, showing no page and storing nothing', async () => {
    // Even a confidential client whose consent is remembered: the built-in pages keep no sign-in.
    await t.app
      .get<ConsentStore>(ConsentStore)
      .remember('user-alice', CONFIDENTIAL_CLIENT.clientId, ['mcp:tools']);
    for (const client of [PUBLIC_CLIENT, CONFIDENTIAL_CLIENT]) {
      const before = await pendingRequests();
      const response = await fetch(authorizeUrl(t, client, { prompt: 'none' }), {
        redirect: 'manual',
      });
      expectErrorRedirect(response, t, 'login_required', client);
      expect(response.headers.getSetCookie()).toEqual([]);
      expect(await pendingRequests()).toBe(before);
    }
  });

  it('prompt=login shows the sign-in page (the built-in pages always sign in anew)', async () => {
    const browser = new TestBrowser(t.url);
    const first = await browser.navigate(authorizeUrl(t, PUBLIC_CLIENT, { prompt: 'login' }));
    expect(parseForm(first.html ?? '')?.fields).toContain('password');
    const redirect = await browser.authorize(authorizeUrl(t, PUBLIC_CLIENT, { prompt: 'login' }));
    expect(browser.lastPages).toEqual(['login', 'consent']);
    expect(redirect.searchParams.get('code')).toBeTruthy();
  });

  it('prompt=consent shows the consent page even when consent is remembered', async () => {
    const remembered = new TestBrowser(t.url);
    await remembered.authorize(authorizeUrl(t, CONFIDENTIAL_CLIENT));
    expect(remembered.lastPages).toEqual(['login']);
    const asked = new TestBrowser(t.url);
    const redirect = await asked.authorize(
      authorizeUrl(t, CONFIDENTIAL_CLIENT, { prompt: 'consent' }),
    );
    expect(asked.lastPages).toEqual(['login', 'consent']);
    expect(redirect.searchParams.get('code')).toBeTruthy();
    // `login consent` asks for both.
    const both = new TestBrowser(t.url);
    await both.authorize(authorizeUrl(t, CONFIDENTIAL_CLIENT, { prompt: 'login consent' }));
    expect(both.lastPages).toEqual(['login', 'consent']);
  });

  describe('malformed prompt → invalid_request by redirect, nothing stored', () => {
    it.each([
      ['an unknown value', 'select_account'],
      ['an unknown value next to a known one', 'consent create'],
      ['none with login', 'none login'],
      ['none with consent', 'consent none'],
    ])('%s', async (_label, prompt) => {
      const before = await pendingRequests();
      const response = await fetch(authorizeUrl(t, PUBLIC_CLIENT, { prompt }), {
        redirect: 'manual',
      });
      expectErrorRedirect(response, t, 'invalid_request');
      expect(await pendingRequests()).toBe(before);
    });

    it('prompt sent twice', async () => {
      const response = await fetch(
        `${authorizeUrl(t, PUBLIC_CLIENT, { prompt: 'login' })}&prompt=consent`,
        {
          redirect: 'manual',
        },
      );
      expectErrorRedirect(response, t, 'invalid_request');
    });
  });
});

describe('prompt with the host’s own login page (external interaction)', () => {
  let t: TestApp;
  let service: McpAuthorizationService;

  beforeAll(async () => {
    t = await createTestApp({
      auth: () => ({
        interaction: { type: 'external', loginUrl: '/account/login' },
        extraProviders: [],
      }),
    });
    await createClients(t, [PUBLIC_CLIENT, CONFIDENTIAL_CLIENT]);
    service = t.app.get(McpAuthorizationService);
  });
  afterAll(() => t.close());

  /** /authorize hands the browser to the host page: the interaction id it carries. */
  async function start(
    params: Record<string, string | undefined>,
    client: NewClient = PUBLIC_CLIENT,
  ): Promise<string> {
    const response = await fetch(authorizeUrl(t, client, params), { redirect: 'manual' });
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location') as string);
    expect(location.pathname).toBe('/account/login');
    return location.searchParams.get('interaction') as string;
  }

  const codes = async (): Promise<number> =>
    (await t.db.dataSource.query(`SELECT count(*)::int AS n FROM mcp_auth_authorization_codes`))[0]
      .n;

  it('hands prompt to the host page, which must honour it', async () => {
    const id = await start({ prompt: 'login consent' });
    expect((await service.getInteraction(id))?.prompt).toEqual(['login', 'consent']);
    expect((await service.getInteraction(await start({})))?.prompt).toEqual([]);
  });

  it('prompt=none with a signed-in user but no usable consent: completeAuthorization answers consent_required', async () => {
    // A public client: its consent is never remembered, so prompt=none can never succeed.
    await service.completeAuthorization(await start({}), { subject: 'host-user' });
    const id = await start({ prompt: 'none' });
    const before = await codes();
    const { redirectUrl } = await service.completeAuthorization(id, { subject: 'host-user' });
    const redirect = new URL(redirectUrl);
    expect(redirect.searchParams.getAll('error')).toEqual(['consent_required']);
    expect(redirect.searchParams.getAll('state')).toEqual([STATE]);
    expect(redirect.searchParams.getAll('iss')).toEqual([t.url]);
    expect(redirect.searchParams.has('code')).toBe(false);
    expect(await codes()).toBe(before);
    // The interaction is finished either way.
    expect(await service.getInteraction(id)).toBeNull();
  });

  it('prompt=none with remembered consent of a confidential client issues the code', async () => {
    await service.completeAuthorization(await start({}, CONFIDENTIAL_CLIENT), {
      subject: 'host-user',
    });
    const id = await start({ prompt: 'none' }, CONFIDENTIAL_CLIENT);
    const { redirectUrl } = await service.completeAuthorization(id, { subject: 'host-user' });
    expect(new URL(redirectUrl).searchParams.get('code')).toBeTruthy();
  });

  it('prompt=none without a signed-in user: the host denies with login_required (or interaction_required)', async () => {
    for (const error of ['login_required', 'interaction_required'] as const) {
      const id = await start({ prompt: 'none' });
      const { redirectUrl } = await service.denyAuthorization(id, { error });
      const redirect = new URL(redirectUrl);
      expect(redirect.searchParams.get('error')).toBe(error);
      expect(redirect.searchParams.get('state')).toBe(STATE);
      expect(redirect.searchParams.get('iss')).toBe(t.url);
    }
  });

  it('hasConsent follows the built-in pages’ rule: never for a public client, not with prompt=consent', async () => {
    await service.completeAuthorization(await start({}), { subject: 'host-user-2' });
    const publicPending = await service.getInteraction(await start({}));
    expect(publicPending?.publicClient).toBe(true);
    expect(await service.hasConsent(publicPending!, 'host-user-2')).toBe(false);
    const stored = await t.db.dataSource.query(
      `SELECT 1 FROM mcp_auth_consents WHERE client_id = $1 AND subject = 'host-user-2'`,
      [PUBLIC_CLIENT.clientId],
    );
    expect(stored).toEqual([]);

    await service.completeAuthorization(await start({}, CONFIDENTIAL_CLIENT), {
      subject: 'host-user-2',
    });
    const confidential = await service.getInteraction(await start({}, CONFIDENTIAL_CLIENT));
    expect(confidential?.publicClient).toBe(false);
    expect(await service.hasConsent(confidential!, 'host-user-2')).toBe(true);
    const forced = await service.getInteraction(
      await start({ prompt: 'consent' }, CONFIDENTIAL_CLIENT),
    );
    expect(await service.hasConsent(forced!, 'host-user-2')).toBe(false);
  });

  it('malformed prompt is refused at /authorize before the host page', async () => {
    const response = await fetch(authorizeUrl(t, PUBLIC_CLIENT, { prompt: 'none consent' }), {
      redirect: 'manual',
    });
    expectErrorRedirect(response, t, 'invalid_request');
  });
});
