import { GrantStore, UpstreamTokens, UpstreamTokenUnavailableError } from '@app/mcp-auth';
import { decodeJwt } from 'jose';
import { loadDevIdpConfig } from '../apps/dev-identity-provider/src/config';
import { startDevIdp, type RunningDevIdp } from '../apps/dev-identity-provider/src/server';
import { createClients, publicClient } from './support/authorization-fixtures';
import { FederationBrowser, formTo } from './support/federation-browser';
import { computeS256Challenge } from './support/pkce';
import { createTestApp, freePort, type TestApp } from './support/test-app';

/**
 * Federation (issue: enterprise sign-in): the user signs in at a real OpenID Connect provider
 * (the development identity provider, node-oidc-provider), our consent page having been
 * answered before the browser left; our server issues its own code and tokens.
 */
const CALLBACK = 'http://127.0.0.1:21001/callback';
const VERIFIER = 'f'.repeat(43);
const ALICE_SUB = '0f8fad5b-d9cb-469f-a165-70867728950e';

describe('federation with an OpenID Connect provider', () => {
  let idp: RunningDevIdp;
  let t: TestApp;
  const client = publicClient('federated-cli');
  let callbackUrl: string;

  function idpConfig(port: string, issuer?: string) {
    return loadDevIdpConfig({
      PORT: port,
      HOST: '127.0.0.1',
      ...(issuer ? { DEV_IDP_ISSUER: issuer } : {}),
      DEV_IDP_REDIRECT_URIS: callbackUrl,
      // Shorter than the refresh margin: every use of the kept token refreshes it upstream.
      DEV_IDP_ACCESS_TOKEN_TTL: '30',
    });
  }

  beforeAll(async () => {
    const port = await freePort();
    const callback = `http://127.0.0.1:${port}/federation/oidc/callback`;
    callbackUrl = callback;
    idp = await startDevIdp(idpConfig('0'), () => undefined);
    t = await createTestApp({
      port,
      auth: () => ({
        federation: {
          providers: [
            {
              type: 'oidc',
              id: 'oidc',
              name: 'Dev IdP',
              issuer: idp.issuer,
              clientId: 'sample-mcp-server',
              clientSecret: 'dev-identity-provider-secret',
              userinfo: true,
              allowInsecureHttp: true,
              scopes: ['openid', 'profile', 'email', 'offline_access'],
              authorizationParams: { prompt: 'consent' },
              keepTokens: true,
            },
          ],
          tokenEncryptionKeys: ['k'.repeat(40)],
        },
      }),
    });
    await createClients(t, [client]);
  });

  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  function authorizeUrl(extra: Record<string, string> = {}): string {
    const url = new URL(`${t.url}/authorize`);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: client.clientId,
      redirect_uri: CALLBACK,
      code_challenge: computeS256Challenge(VERIFIER),
      code_challenge_method: 'S256',
      state: 'client-state',
      scope: 'mcp:tools',
      ...extra,
    }).toString();
    return url.toString();
  }

  async function signInAndGetToken(): Promise<{ accessToken: string; gid: string }> {
    const browser = new FederationBrowser(CALLBACK);
    const signIn = (await browser.go(authorizeUrl())).page!;
    const federate = formTo(signIn, '/federate/oidc');
    const upstreamLogin = (await browser.go(federate.action, federate.fields)).page!;
    const login = formTo(upstreamLogin, '/login');
    let step = await browser.go(login.action, {
      ...login.fields,
      username: 'alice',
      password: 'alice-password',
    });
    if (!step.stopped) step = await browser.go(formTo(step.page, '/confirm').action, {});
    const response = await fetch(`${t.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: client.clientId,
        code: step.stopped!.searchParams.get('code')!,
        redirect_uri: CALLBACK,
        code_verifier: VERIFIER,
      }).toString(),
    });
    const accessToken = ((await response.json()) as { access_token: string }).access_token;
    return { accessToken, gid: decodeJwt(accessToken).gid as string };
  }

  async function upstreamUserinfo(accessToken: string): Promise<Response> {
    return fetch(`${idp.issuer}/me`, { headers: { authorization: `Bearer ${accessToken}` } });
  }

  it('keeps the upstream tokens server side: a tool gets a working upstream access token, refreshed as needed', async () => {
    const { gid } = await signInAndGetToken();
    const upstream = t.app.get(UpstreamTokens);
    const first = await upstream.getAccessToken(gid);
    expect(first.provider).toBe('oidc');
    const me = await upstreamUserinfo(first.accessToken);
    expect(me.status).toBe(200);
    expect(((await me.json()) as { sub: string }).sub).toBe(ALICE_SUB);
    // The access token lives 30 s, inside the 60 s margin: the next call refreshed it.
    const second = await upstream.getAccessToken({ extra: { gid } });
    expect(second.accessToken).not.toBe(first.accessToken);
    expect((await upstreamUserinfo(second.accessToken)).status).toBe(200);
    // Encrypted at rest: no upstream token appears in the table.
    const rows = await t.db.dataSource.query(`SELECT sealed FROM mcp_auth_upstream_tokens`);
    const dump = JSON.stringify(rows);
    expect(dump).not.toContain(first.accessToken);
    expect(dump).not.toContain(second.accessToken);
  });

  it('revoking our grant drops the kept tokens and revokes them upstream (RFC 7009)', async () => {
    const { gid } = await signInAndGetToken();
    const upstream = t.app.get(UpstreamTokens);
    const kept = await upstream.getAccessToken(gid);
    expect((await upstreamUserinfo(kept.accessToken)).status).toBe(200);

    // The user (or an administrator) revokes the grant; the sweep on the clean-up interval
    // revokes the kept tokens upstream and drops them.
    await t.app.get<GrantStore>(GrantStore).revokeGrant(gid, 'revoked_by_owner');
    expect(await upstream.sweep()).toBe(1);
    const rows = await t.db.dataSource.query(
      `SELECT 1 FROM mcp_auth_upstream_tokens WHERE grant_id = $1`,
      [gid],
    );
    expect(rows).toHaveLength(0);
    const error = await upstream.getAccessToken(gid).catch((e: unknown) => e);
    expect((error as UpstreamTokenUnavailableError).reason).toBe('not_kept');
    // Upstream, the refresh token was revoked, and with it the provider's grant.
    expect((await upstreamUserinfo(kept.accessToken)).status).toBe(401);
  });

  it('consent first, sign-in upstream, then our code and our token with the upstream subject', async () => {
    const browser = new FederationBrowser(CALLBACK);
    const start = await browser.go(authorizeUrl());
    const signIn = start.page!;
    expect(signIn.status).toBe(200);
    expect(signIn.html).toContain('Approve and continue with Dev IdP');
    expect(signIn.html).toContain('federated-cli (public)');

    const federate = formTo(signIn, '/federate/oidc');
    const upstreamLogin = await browser.go(federate.action, federate.fields);
    expect(upstreamLogin.page!.url.startsWith(idp.issuer)).toBe(true);
    const login = formTo(upstreamLogin.page!, '/login');
    const upstreamConsent = await browser.go(login.action, {
      ...login.fields,
      username: 'alice',
      password: 'alice-password',
    });
    const end = upstreamConsent.stopped
      ? upstreamConsent
      : await browser.go(formTo(upstreamConsent.page, '/confirm').action, {});
    expect(end.stopped).toBeDefined();
    const redirect = end.stopped!;
    expect(redirect.searchParams.get('state')).toBe('client-state');
    expect(redirect.searchParams.get('iss')).toBe(t.url);
    const code = redirect.searchParams.get('code');
    expect(code).toBeTruthy();

    const token = await fetch(`${t.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: client.clientId,
        code: code!,
        redirect_uri: CALLBACK,
        code_verifier: VERIFIER,
      }).toString(),
    });
    expect(token.status).toBe(200);
    const body = (await token.json()) as { access_token: string };
    const claims = decodeJwt(body.access_token);
    expect(claims.sub).toBe(`oidc|${ALICE_SUB}`);
    expect(claims.iss).toBe(t.url);
  });

  it('a provider that remembers the user never skips our consent page (confused deputy, AS-17)', async () => {
    const browser = new FederationBrowser(CALLBACK);
    const signIn = (await browser.go(authorizeUrl())).page!;
    const federate = formTo(signIn, '/federate/oidc');
    const login = formTo((await browser.go(federate.action, federate.fields)).page!, '/login');
    let step = await browser.go(login.action, {
      ...login.fields,
      username: 'alice',
      password: 'alice-password',
    });
    if (!step.stopped) step = await browser.go(formTo(step.page, '/confirm').action, {});
    expect(step.stopped?.searchParams.get('code')).toBeTruthy();

    // Same browser, the provider's session alive: our consent page comes first all the same.
    const again = await browser.go(authorizeUrl());
    expect(again.page?.status).toBe(200);
    expect(again.page?.html).toContain('Approve and continue with Dev IdP');
    // Approving goes through the provider without signing in again (this provider is told
    // prompt=consent for offline_access, so it shows its own consent), back with a code.
    const federateAgain = formTo(again.page!, '/federate/oidc');
    let back = await browser.go(federateAgain.action, federateAgain.fields);
    expect(back.page?.html ?? '').not.toContain('name="password"');
    if (!back.stopped) back = await browser.go(formTo(back.page, '/confirm').action, {});
    expect(back.stopped?.searchParams.get('code')).toBeTruthy();
  });

  it('prompt=login from the client is passed on: the provider must sign the user in again', async () => {
    const browser = new FederationBrowser(CALLBACK);
    const signIn = (await browser.go(authorizeUrl({ prompt: 'login' }))).page!;
    const federate = formTo(signIn, '/federate/oidc');
    await browser.go(federate.action, federate.fields);
    const upstream = browser.visited.find((url) => url.startsWith(`${idp.issuer}/auth`));
    expect(new URL(upstream!).searchParams.get('prompt')).toBe('login');
  });

  // Last: it restarts the provider, with new signing keys.
  it('an upstream refresh refused with invalid_grant revokes our grant', async () => {
    const { gid } = await signInAndGetToken();
    const upstream = t.app.get(UpstreamTokens);
    await upstream.getAccessToken(gid);
    // The provider forgets every session (it keeps them in memory): restarted on its address.
    const address = new URL(idp.issuer);
    await idp.close();
    idp = await startDevIdp(idpConfig(address.port, idp.issuer), () => undefined);
    const error = await upstream.getAccessToken(gid).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamTokenUnavailableError);
    expect((error as UpstreamTokenUnavailableError).reason).toBe('upstream_revoked');
    const grant = await t.app.get<GrantStore>(GrantStore).findGrant(gid);
    expect(grant?.revokedReason).toBe('upstream_revoked');
  });
});
