import {
  GrantStore,
  githubProvider,
  UpstreamTokens,
  UpstreamTokenUnavailableError,
  type FederatedIdentityDecision,
  type UpstreamIdentity,
} from '@app/mcp-auth';
import { decodeJwt } from 'jose';
import { createClients, publicClient } from './support/authorization-fixtures';
import { FederationBrowser, formTo, type BrowserPage } from './support/federation-browser';
import {
  OCTOCAT,
  startGitHubOAuthServer,
  type GitHubOAuthServer,
  type GitHubUser,
} from './support/github-oauth-server';
import { changesOf, pkce, type TableChange } from './security/support/harness';
import { createTestApp, freePort, type TestApp } from './support/test-app';

/**
 * Federation with the GitHub preset (`githubProvider`), against the GitHub-shaped OAuth server
 * on loopback: our consent page first, GitHub's approval, then our own code and tokens for the
 * subject `github|<numeric id>`. With `keepTokens`, tools get GitHub access tokens through
 * `UpstreamTokens`, refreshed when they expire; GitHub refusing the refresh
 * (`bad_refresh_token`) revokes our grant. A user who cancels at GitHub, or whom the host's
 * identity hook refuses, gets no code.
 */
const CALLBACK = 'http://127.0.0.1:21001/callback';
const CLIENT_STATE = 'client-state-42';
const HOUR_MS = 3_600_000;

const MONA: GitHubUser = {
  login: 'monalisa',
  id: 9_919,
  name: 'Mona Lisa Octocat',
  email: 'mona@example.com',
  emails: [{ email: 'mona@example.com', primary: true, verified: true, visibility: 'public' }],
};
const REFUSAL = 'Only members of the octo organization may sign in here.';

const added = (count = 1): TableChange => ({ added: count, removed: 0, changed: 0 });
const changed = (count = 1): TableChange => ({ added: 0, removed: 0, changed: count });

describe('federation with GitHub (the githubProvider preset)', () => {
  let github: GitHubOAuthServer;
  let t: TestApp;
  const client = publicClient('github-federated-cli');
  /** Every identity the hook was asked about, newest last. */
  const identities: UpstreamIdentity[] = [];
  let callbackUrl: string;

  beforeAll(async () => {
    github = await startGitHubOAuthServer({ users: [OCTOCAT, MONA], expiringTokens: true });
    const port = await freePort();
    callbackUrl = `http://127.0.0.1:${port}/federation/github/callback`;
    // GitHub sends the browser back only to the app's registered callback URL.
    github.callbackUrl = callbackUrl;
    t = await createTestApp({
      port,
      auth: () => ({
        // GitHub is the only way in: no password form beside it.
        extraProviders: [],
        federation: {
          providers: [
            {
              ...githubProvider({
                clientId: github.clientId,
                clientSecret: github.clientSecret,
                webUrl: github.webUrl,
                apiUrl: github.apiUrl,
                allowInsecureHttp: true,
              }),
              keepTokens: true,
            },
          ],
          tokenEncryptionKeys: ['github-token-encryption-key-0123456789abcdef'],
          identity: (identity): FederatedIdentityDecision => {
            identities.push(identity);
            return identity.claims.login === 'octocat'
              ? { action: 'accept' }
              : { action: 'refuse', reason: REFUSAL };
          },
        },
      }),
    });
    await createClients(t, [client]);
  });

  afterEach(() => {
    jest.useRealTimers();
    github.approval = 'auto';
    github.signedInAs = OCTOCAT.login;
  });

  afterAll(async () => {
    await t?.close();
    await github?.close();
  });

  function authorizeUrl(challenge: string): string {
    const url = new URL(`${t.url}/authorize`);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: client.clientId,
      redirect_uri: CALLBACK,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: CLIENT_STATE,
      scope: 'mcp:tools',
    }).toString();
    return url.toString();
  }

  /** Our sign-in page, in a fresh browser, and the PKCE pair of the MCP client. */
  async function signInPage() {
    const pair = pkce();
    const browser = new FederationBrowser(CALLBACK);
    const start = await browser.go(authorizeUrl(pair.challenge));
    expect(start.page?.status).toBe(200);
    return { browser, page: start.page!, pair };
  }

  /** Clicks "Approve and continue with GitHub"; returns where the browser ends. */
  async function approveAndGoToGitHub(browser: FederationBrowser, page: BrowserPage) {
    const federate = formTo(page, '/federate/github');
    return browser.go(federate.action, federate.fields);
  }

  async function token(form: Record<string, string>): Promise<Response> {
    return fetch(`${t.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: client.clientId, ...form }).toString(),
    });
  }

  interface OurTokens {
    access_token: string;
    refresh_token: string;
    token_type: string;
  }

  /** The whole flow with GitHub approving at once; our tokens and the grant id. */
  async function signInAndGetTokens(): Promise<{ tokens: OurTokens; gid: string }> {
    const { browser, page, pair } = await signInPage();
    const end = await approveAndGoToGitHub(browser, page);
    expect(end.stopped).toBeDefined();
    const response = await token({
      grant_type: 'authorization_code',
      code: end.stopped!.searchParams.get('code')!,
      redirect_uri: CALLBACK,
      code_verifier: pair.verifier,
    });
    expect(response.status).toBe(200);
    const tokens = (await response.json()) as OurTokens;
    return { tokens, gid: decodeJwt(tokens.access_token).gid as string };
  }

  function githubUser(accessToken: string): Promise<Response> {
    return fetch(`${github.apiUrl}/user`, {
      headers: { authorization: `Bearer ${accessToken}`, accept: 'application/vnd.github+json' },
    });
  }

  /** Moves this process's clock (ours and the GitHub stand-in's) forward; timers stay real. */
  function advanceClock(ms: number): void {
    jest.useFakeTimers({
      now: Date.now() + ms,
      advanceTimers: true,
      doNotFake: [
        'hrtime',
        'nextTick',
        'performance',
        'queueMicrotask',
        'requestAnimationFrame',
        'cancelAnimationFrame',
        'requestIdleCallback',
        'cancelIdleCallback',
        'setImmediate',
        'clearImmediate',
        'setInterval',
        'clearInterval',
        'setTimeout',
        'clearTimeout',
      ],
    });
  }

  it('consent first, approval at GitHub, then our code and our token for github|<numeric id>', async () => {
    github.approval = 'form';
    const before = identities.length;
    const { browser, page, pair } = await signInPage();
    // Our consent page names the client and the scope before the browser leaves for GitHub.
    expect(page.url).toMatch(new RegExp(`^${t.url}/interaction/[A-Za-z0-9_-]{43}$`));
    expect(page.html).toContain('Approve and continue with GitHub');
    expect(page.html).toContain('github-federated-cli (public)');
    expect(page.html).toContain('mcp:tools');
    expect(page.html).not.toContain('name="password"');
    expect(github.requests).toHaveLength(0);

    const atGitHub = await approveAndGoToGitHub(browser, page);
    const approval = atGitHub.page!;
    expect(approval.url.startsWith(`${github.webUrl}/login/oauth/authorize?`)).toBe(true);
    expect(approval.html).toContain('Signed in as <strong>octocat</strong>');
    const asked = github.requestsTo('/login/oauth/authorize')[0].query;
    expect(asked).toEqual({
      client_id: github.clientId,
      redirect_uri: callbackUrl,
      response_type: 'code',
      scope: 'read:user user:email',
      state: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      code_challenge_method: 'S256',
    });

    const authorizeForm = formTo(approval, '/login/oauth/authorize');
    const end = await browser.go(authorizeForm.action, { ...authorizeForm.fields, authorize: '1' });
    expect(end.stopped).toBeDefined();
    const redirect = end.stopped!;
    expect(redirect.searchParams.get('state')).toBe(CLIENT_STATE);
    expect(redirect.searchParams.get('iss')).toBe(t.url);
    expect(redirect.searchParams.get('error')).toBeNull();
    const code = redirect.searchParams.get('code');
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // The code exchange at GitHub: the app's secret, the PKCE verifier, our callback URL.
    const exchange = github.requestsTo('/login/oauth/access_token');
    expect(exchange).toHaveLength(1);
    expect(exchange[0].body).toMatchObject({
      grant_type: 'authorization_code',
      client_id: github.clientId,
      client_secret: github.clientSecret,
      redirect_uri: callbackUrl,
      code_verifier: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    expect(github.requestsTo('/user')).toHaveLength(1);

    const response = await token({
      grant_type: 'authorization_code',
      code: code!,
      redirect_uri: CALLBACK,
      code_verifier: pair.verifier,
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as OurTokens & Record<string, unknown>;
    // Our tokens only: nothing GitHub issued reaches the MCP client.
    expect(JSON.stringify(body)).not.toMatch(/gh[uor]_/);
    const claims = decodeJwt(body.access_token);
    expect(claims.sub).toBe(`github|${OCTOCAT.id}`);
    expect(claims.iss).toBe(t.url);
    expect(claims.client_id).toBe(client.clientId);

    // What the host's hook saw, and the display name we kept for the sign-in.
    const identity = identities.slice(before).at(-1)!;
    expect(identity).toMatchObject({
      provider: 'github',
      upstreamSubject: String(OCTOCAT.id),
      subject: `github|${OCTOCAT.id}`,
      displayName: 'The Octocat',
      email: null,
    });
    expect(identity.claims.login).toBe('octocat');
    const rows = await t.db.dataSource.query<{ subject_display_name: string }[]>(
      `SELECT subject_display_name FROM mcp_auth_authorization_requests WHERE client_id = $1
         AND subject = $2 AND consumed_at IS NOT NULL`,
      [client.clientId, `github|${OCTOCAT.id}`],
    );
    expect(rows.map((row) => row.subject_display_name)).toContain('The Octocat');
  });

  it('keepTokens: a tool gets a GitHub token /user accepts; refreshed once expired; bad_refresh_token revokes our grant', async () => {
    const { tokens, gid } = await signInAndGetTokens();
    const upstream = t.app.get(UpstreamTokens);
    const grants = t.app.get<GrantStore>(GrantStore);

    const first = await upstream.getAccessToken(gid);
    expect(first).toMatchObject({
      provider: 'github',
      accessToken: expect.stringMatching(/^ghu_/),
    });
    const me = await githubUser(first.accessToken);
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ login: 'octocat', id: OCTOCAT.id });
    // Sealed at rest: the table holds no GitHub token in clear.
    const sealed = JSON.stringify(
      await t.db.dataSource.query(`SELECT * FROM mcp_auth_upstream_tokens WHERE grant_id = $1`, [
        gid,
      ]),
    );
    expect(sealed).toContain(gid);
    expect(sealed).not.toMatch(/gh[ur]_/);
    // Unexpired: the same token again, no refresh at GitHub.
    expect((await upstream.getAccessToken(gid)).accessToken).toBe(first.accessToken);
    const refreshes = () =>
      github
        .requestsTo('/login/oauth/access_token')
        .filter((request) => request.body.grant_type === 'refresh_token');
    const refreshesBefore = refreshes().length;

    // Eight hours later GitHub's access token is dead; the next tool call gets a fresh one.
    github.expireAccessTokens();
    advanceClock(9 * HOUR_MS);
    expect((await githubUser(first.accessToken)).status).toBe(401);
    const second = await upstream.getAccessToken({ extra: { gid } });
    expect(second.accessToken).toMatch(/^ghu_/);
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(refreshes()).toHaveLength(refreshesBefore + 1);
    expect(refreshes().at(-1)!.body).toMatchObject({
      client_id: github.clientId,
      client_secret: github.clientSecret,
    });
    expect((await githubUser(second.accessToken)).status).toBe(200);
    jest.useRealTimers();

    // Our own refresh works for this grant until GitHub ends it.
    const refreshed = await token({
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
    });
    expect(refreshed.status).toBe(200);
    const ourRefreshToken = ((await refreshed.json()) as OurTokens).refresh_token;

    // The user revokes the app at GitHub; when the token next needs a refresh, GitHub answers
    // bad_refresh_token (HTTP 200) and our grant ends with it.
    github.revokeAll();
    advanceClock(18 * HOUR_MS);
    const error = await upstream.getAccessToken(gid).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamTokenUnavailableError);
    expect((error as UpstreamTokenUnavailableError).reason).toBe('upstream_revoked');
    expect(refreshes()).toHaveLength(refreshesBefore + 2);
    jest.useRealTimers();

    const grant = await grants.findGrant(gid);
    expect(grant?.revokedReason).toBe('upstream_revoked');
    expect(
      await t.db.dataSource.query(`SELECT 1 FROM mcp_auth_upstream_tokens WHERE grant_id = $1`, [
        gid,
      ]),
    ).toEqual([]);
    const refused = await token({ grant_type: 'refresh_token', refresh_token: ourRefreshToken });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: string }).error).toBe('invalid_grant');
    const again = await upstream.getAccessToken(gid).catch((e: unknown) => e);
    expect((again as UpstreamTokenUnavailableError).reason).toBe('not_kept');
  });

  it('the user cancels at GitHub (access_denied): the client gets access_denied with its state and iss, nothing issued', async () => {
    github.approval = 'deny';
    const { browser, page } = await signInPage();
    const exchangesBefore = github.requestsTo('/login/oauth/access_token').length;
    let end: Awaited<ReturnType<FederationBrowser['go']>> | undefined;
    const changes = await changesOf(t.db.dataSource, async () => {
      end = await approveAndGoToGitHub(browser, page);
    });
    expect(end?.stopped).toBeDefined();
    const redirect = end!.stopped!;
    expect(`${redirect.origin}${redirect.pathname}`).toBe(CALLBACK);
    expect(redirect.searchParams.get('error')).toBe('access_denied');
    expect(redirect.searchParams.get('state')).toBe(CLIENT_STATE);
    expect(redirect.searchParams.get('iss')).toBe(t.url);
    expect(redirect.searchParams.get('code')).toBeNull();
    // GitHub was asked for nothing after the refusal; the request ended, nothing else changed
    // (the federation state was created and consumed within the flow).
    expect(github.requestsTo('/login/oauth/access_token')).toHaveLength(exchangesBefore);
    expect(changes).toEqual({ requests: changed() });
  });

  it("Cancel on GitHub's approval page: access_denied to the client as well", async () => {
    github.approval = 'form';
    const { browser, page } = await signInPage();
    const approval = (await approveAndGoToGitHub(browser, page)).page!;
    const form = formTo(approval, '/login/oauth/authorize');
    const end = await browser.go(form.action, { ...form.fields, authorize: '0' });
    expect(end.stopped?.searchParams.get('error')).toBe('access_denied');
    expect(end.stopped?.searchParams.get('state')).toBe(CLIENT_STATE);
    expect(end.stopped?.searchParams.get('iss')).toBe(t.url);
    expect(end.stopped?.searchParams.get('code')).toBeNull();
  });

  it('the identity hook refuses the GitHub user: a 403 page with the reason and a way back carrying access_denied, nothing issued', async () => {
    github.signedInAs = MONA.login;
    const before = identities.length;
    const { browser, page } = await signInPage();
    let end: Awaited<ReturnType<FederationBrowser['go']>> | undefined;
    const changes = await changesOf(t.db.dataSource, async () => {
      end = await approveAndGoToGitHub(browser, page);
    });
    const refusal = end!.page!;
    expect(refusal.url.startsWith(`${callbackUrl}?`)).toBe(true);
    expect(refusal.status).toBe(403);
    expect(refusal.headers.get('content-type')).toMatch(/^text\/html/);
    expect(refusal.headers.get('location')).toBeNull();
    expect(refusal.headers.get('set-cookie')).toBeNull();
    expect(refusal.html).toContain('<h1>Access refused</h1>');
    expect(refusal.html).toContain(`<p class="error" role="alert">${REFUSAL}</p>`);
    const link = /<a href="([^"]*)">Return to the application<\/a>/.exec(refusal.html);
    expect(link).not.toBeNull();
    const back = new URL(link![1].replaceAll('&amp;', '&'));
    expect(`${back.origin}${back.pathname}`).toBe(CALLBACK);
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('state')).toBe(CLIENT_STATE);
    expect(back.searchParams.get('iss')).toBe(t.url);
    expect(back.searchParams.get('code')).toBeNull();

    // The hook saw Mona (who did sign in at GitHub); no grant, code or kept token followed.
    expect(identities.slice(before).map((identity) => identity.subject)).toEqual([
      `github|${MONA.id}`,
    ]);
    expect(changes).toEqual({ requests: changed() });
    const grants = await t.db.dataSource.query(`SELECT 1 FROM mcp_auth_grants WHERE subject = $1`, [
      `github|${MONA.id}`,
    ]);
    expect(grants).toEqual([]);
  });

  it('an accepted user, for comparison, changes exactly: the request, a grant, a code and the kept tokens', async () => {
    const { browser, page } = await signInPage();
    let end: Awaited<ReturnType<FederationBrowser['go']>> | undefined;
    const changes = await changesOf(t.db.dataSource, async () => {
      end = await approveAndGoToGitHub(browser, page);
    });
    expect(end?.stopped?.searchParams.get('code')).toBeTruthy();
    expect(changes).toEqual({
      requests: changed(),
      grants: added(),
      codes: added(),
      upstream_tokens: added(),
    });
  });
});
