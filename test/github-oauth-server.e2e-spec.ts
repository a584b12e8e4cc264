import { computeS256Challenge } from './support/pkce';
import {
  OCTOCAT,
  startGitHubOAuthServer,
  type GitHubOAuthServer,
  type GitHubUser,
} from './support/github-oauth-server';

/** The GitHub stand-in behaves as GitHub documents its OAuth web flow, driven with plain fetch. */
describe('the GitHub-shaped OAuth server (test/support/github-oauth-server.ts)', () => {
  const callbackUrl = 'http://127.0.0.1:9/federation/github/callback';
  const verifier = 'a-code-verifier-of-at-least-43-characters-0123456789';
  let github: GitHubOAuthServer;

  beforeEach(async () => {
    github = await startGitHubOAuthServer({ callbackUrl });
  });
  afterEach(() => github.close());

  /** GET /login/oauth/authorize, not followed: the redirect's URL. */
  async function authorize(params: Record<string, string> = {}): Promise<URL> {
    const url = new URL('/login/oauth/authorize', github.webUrl);
    url.search = new URLSearchParams({
      client_id: github.clientId,
      redirect_uri: callbackUrl,
      scope: 'read:user user:email',
      state: 'the-state',
      code_challenge: computeS256Challenge(verifier),
      code_challenge_method: 'S256',
      ...params,
    }).toString();
    const response = await fetch(url, { redirect: 'manual' });
    expect(response.status).toBe(302);
    return new URL(response.headers.get('location')!);
  }

  async function codeFor(params: Record<string, string> = {}): Promise<string> {
    const redirect = await authorize(params);
    expect(redirect.searchParams.get('state')).toBe('the-state');
    return redirect.searchParams.get('code')!;
  }

  async function token(
    form: Record<string, string>,
    accept = 'application/json',
  ): Promise<Response> {
    return fetch(`${github.webUrl}/login/oauth/access_token`, {
      method: 'POST',
      headers: { Accept: accept, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: github.clientId,
        client_secret: github.clientSecret,
        ...form,
      }),
    });
  }

  async function exchange(code: string, extra: Record<string, string> = {}) {
    const response = await token({
      code,
      redirect_uri: callbackUrl,
      code_verifier: verifier,
      ...extra,
    });
    expect(response.status).toBe(200);
    return (await response.json()) as Record<string, unknown>;
  }

  const api = (path: string, accessToken: string, scheme = 'Bearer') =>
    fetch(`${github.apiUrl}${path}`, {
      headers: { Authorization: `${scheme} ${accessToken}`, Accept: 'application/vnd.github+json' },
    });

  it('runs the web flow with PKCE: code and state, a gho_ token with comma-separated scopes, the user', async () => {
    const redirect = await authorize();
    expect(redirect.origin + redirect.pathname).toBe(callbackUrl);
    expect(redirect.searchParams.get('code')).toMatch(/^[0-9a-f]{20}$/);

    const body = await exchange(redirect.searchParams.get('code')!);
    expect(body).toEqual({
      access_token: expect.stringMatching(/^gho_[A-Za-z0-9]{36}$/),
      token_type: 'bearer',
      scope: 'read:user,user:email',
    });

    const user = await api('/user', body.access_token as string);
    expect(user.status).toBe(200);
    expect(user.headers.get('x-oauth-scopes')).toBe('read:user, user:email');
    expect(await user.json()).toMatchObject({
      login: 'octocat',
      id: 583231,
      name: 'The Octocat',
      email: null,
      type: 'User',
      avatar_url: expect.stringContaining('583231'),
    });

    const emails = await api('/user/emails', body.access_token as string, 'token');
    expect(await emails.json()).toEqual(OCTOCAT.emails);
  });

  it('answers form-encoded without Accept: application/json, as GitHub does by default', async () => {
    const response = await token(
      { code: await codeFor(), redirect_uri: callbackUrl, code_verifier: verifier },
      '*/*',
    );
    expect(response.headers.get('content-type')).toMatch(/^application\/x-www-form-urlencoded/);
    const form = new URLSearchParams(await response.text());
    expect(form.get('access_token')).toMatch(/^gho_/);
    expect(form.get('token_type')).toBe('bearer');
    expect(form.get('scope')).toBe('read:user,user:email');
  });

  it('answers token errors with HTTP 200 and error, error_description, error_uri', async () => {
    const wrongSecret = await token({ code: await codeFor(), client_secret: 'nope' });
    expect(wrongSecret.status).toBe(200);
    expect(await wrongSecret.json()).toEqual({
      error: 'incorrect_client_credentials',
      error_description: 'The client_id and/or client_secret passed are incorrect.',
      error_uri: expect.stringMatching(/troubleshooting.*#incorrect-client-credentials$/),
    });

    const wrongVerifier = await exchange(await codeFor(), { code_verifier: 'x'.repeat(43) });
    expect(wrongVerifier).toMatchObject({ error: 'bad_verification_code' });

    const mismatch = await exchange(await codeFor(), { redirect_uri: `${callbackUrl}/other` });
    expect(mismatch).toMatchObject({ error: 'redirect_uri_mismatch' });

    const code = await codeFor();
    expect(await exchange(code)).toHaveProperty('access_token');
    expect(await exchange(code)).toEqual({
      error: 'bad_verification_code',
      error_description: 'The code passed is incorrect or expired.',
      error_uri: expect.stringMatching(/#bad-verification-code$/),
    });
  });

  it('redirects access_denied with description, error_uri and state when the user denies', async () => {
    github.approval = 'deny';
    const redirect = await authorize();
    expect(redirect.origin + redirect.pathname).toBe(callbackUrl);
    expect(Object.fromEntries(redirect.searchParams)).toEqual({
      error: 'access_denied',
      error_description: 'The user has denied your application access.',
      error_uri: expect.stringMatching(
        /troubleshooting-authorization-request-errors\/#access-denied$/,
      ),
      state: 'the-state',
    });
  });

  it('sends a foreign redirect_uri back to the registered callback with redirect_uri_mismatch', async () => {
    const redirect = await authorize({ redirect_uri: 'https://attacker.example/callback' });
    expect(redirect.origin + redirect.pathname).toBe(callbackUrl);
    expect(redirect.searchParams.get('error')).toBe('redirect_uri_mismatch');
    expect(redirect.searchParams.get('code')).toBeNull();
    // A path below the callback URL is allowed, as GitHub allows it.
    const below = await authorize({ redirect_uri: `${callbackUrl}/deeper` });
    expect(below.pathname).toBe('/federation/github/callback/deeper');
    expect(below.searchParams.get('code')).not.toBeNull();
  });

  it('shows an Authorize form when asked to, approving as the signed-in user', async () => {
    const mona: GitHubUser = {
      login: 'mona',
      id: 9919,
      name: null,
      email: 'mona@example.com',
      emails: [],
    };
    github.users.push(mona);
    github.signedInAs = 'mona';
    github.approval = 'form';
    const page = await fetch(
      `${github.webUrl}/login/oauth/authorize?${new URLSearchParams({
        client_id: github.clientId,
        redirect_uri: callbackUrl,
        state: 'the-state',
      }).toString()}`,
    );
    const html = await page.text();
    expect(html).toContain('<form method="post" action="/login/oauth/authorize">');
    const fields = Object.fromEntries(
      [...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [
        m[1],
        m[2],
      ]),
    );
    const approved = await fetch(`${github.webUrl}/login/oauth/authorize`, {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams({ ...fields, authorize: '1' }),
    });
    const code = new URL(approved.headers.get('location')!).searchParams.get('code')!;
    // No code_challenge was sent, so none is checked; no scope asked, none granted.
    const body = await exchange(code, { code_verifier: '' });
    expect(body.scope).toBe('');
    const user = await api('/user', body.access_token as string);
    expect(await user.json()).toMatchObject({ login: 'mona', id: 9919, name: null });
    expect((await api('/user/emails', body.access_token as string)).status).toBe(404);
  });

  it('with expiring tokens: ghu_/ghr_ with lifetimes, single-use refresh, bad_refresh_token', async () => {
    github.expiringTokens = true;
    const first = await exchange(await codeFor());
    expect(first).toEqual({
      access_token: expect.stringMatching(/^ghu_[A-Za-z0-9]{36}$/),
      expires_in: 28800,
      refresh_token: expect.stringMatching(/^ghr_[A-Za-z0-9]{76}$/),
      refresh_token_expires_in: 15897600,
      scope: '',
      token_type: 'bearer',
    });

    github.expireAccessTokens();
    const expired = await api('/user', first.access_token as string);
    expect(expired.status).toBe(401);
    expect(await expired.json()).toMatchObject({ message: 'Bad credentials' });

    const refresh = () =>
      token({ grant_type: 'refresh_token', refresh_token: first.refresh_token as string });
    const second = (await (await refresh()).json()) as Record<string, unknown>;
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect((await api('/user', second.access_token as string)).status).toBe(200);
    expect(await (await refresh()).json()).toMatchObject({ error: 'bad_refresh_token' });

    github.revokeAll();
    expect((await api('/user', second.access_token as string)).status).toBe(401);
    const afterRevoke = await token({
      grant_type: 'refresh_token',
      refresh_token: second.refresh_token as string,
    });
    expect(afterRevoke.status).toBe(200);
    expect(await afterRevoke.json()).toMatchObject({ error: 'bad_refresh_token' });
  });

  it('refuses /user without a token, and records every request', async () => {
    const anonymous = await fetch(`${github.apiUrl}/user`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ message: 'Requires authentication' });

    await exchange(await codeFor());
    expect(github.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /user',
      'GET /login/oauth/authorize',
      'POST /login/oauth/access_token',
    ]);
    const [tokenRequest] = github.requestsTo('/login/oauth/access_token');
    expect(tokenRequest.body).toMatchObject({ code_verifier: verifier, redirect_uri: callbackUrl });
    expect(tokenRequest.headers.accept).toBe('application/json');
  });

  it('serves the REST API under apiPath, like GitHub Enterprise', async () => {
    const enterprise = await startGitHubOAuthServer({ callbackUrl, apiPath: '/api/v3' });
    try {
      expect(enterprise.apiUrl).toBe(`${enterprise.webUrl}/api/v3`);
      expect((await fetch(`${enterprise.apiUrl}/user`)).status).toBe(401);
      expect((await fetch(`${enterprise.webUrl}/user`)).status).toBe(404);
    } finally {
      await enterprise.close();
    }
  });
});
