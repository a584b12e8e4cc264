import {
  Client,
  StreamableHTTPClientTransport,
  UnauthorizedError,
  type OAuthTokens,
} from '@modelcontextprotocol/client';
import { GrantStore, UpstreamTokens, UpstreamTokenStore } from '@app/mcp-auth';
import { decodeJwt } from 'jose';
import { DEMO_ACCOUNTS } from '../../apps/dev-identity-provider/src/accounts';
import { loadDevIdpConfig } from '../../apps/dev-identity-provider/src/config';
import { startDevIdp, type RunningDevIdp } from '../../apps/dev-identity-provider/src/server';
import { FederationBrowser, formTo } from '../support/federation-browser';
import {
  InMemoryOAuthClientProvider,
  recordingFetch,
  type Exchange,
} from '../support/oauth-client-provider';
import { freePort, TEST_HTTP_ADAPTER } from '../support/test-app';
import { startSampleApp, type SampleApp } from './support/sample-app';
import {
  expectReauthorization,
  mcpStatus,
  waitForRefusal,
  type ToolResult,
} from './support/sdk-proof';

/**
 * Client proof of federation: the official MCP SDK v2 client against the real
 * sample server, which signs users in at an upstream OpenID Connect provider (the development
 * identity provider, node-oidc-provider, on loopback) configured by its environment
 * (`UPSTREAM_OIDC_*`, `MCP_AUTH_UPSTREAM_TOKEN_KEYS`). The person in the browser answers our
 * consent page first, then signs in as alice upstream and consents there; the SDK gets our
 * code and our tokens (our issuer, our audience, the upstream subject). A tool reads alice's
 * profile at the provider with the upstream access token the server keeps (never handed to
 * the client); the SDK refreshes our tokens; and when the provider refuses to refresh the
 * upstream tokens (it was restarted and forgot them), the tool call fails and our grant is
 * revoked, which the resource server feels within a second or two. Runs on the suite's
 * adapter (`TEST_HTTP_ADAPTER=fastify` for Fastify).
 */

jest.setTimeout(120_000);

const ALICE = DEMO_ACCOUNTS.find((account) => account.username === 'alice')!;
const CLIENT_ID = 'sample-mcp-server';
const CLIENT_SECRET = 'a-client-secret-for-the-sdk-proof';
const TOKEN_KEY = 'upstream-token-key-for-the-sdk-proof-0123456789';

describe(`MCP SDK v2 client through federated sign-in (dev identity provider) against the sample server on ${TEST_HTTP_ADAPTER}`, () => {
  let idp: RunningDevIdp;
  let idpPort: number;
  let idpIssuer: string;
  let sample: SampleApp;
  const log: Exchange[] = [];
  let provider: InMemoryOAuthClientProvider;
  let transport: StreamableHTTPClientTransport;
  let client: Client;

  /** The provider on a fixed loopback address, everything in its memory (a restart forgets). */
  async function startIdp(): Promise<RunningDevIdp> {
    return startDevIdp(
      loadDevIdpConfig({
        HOST: '127.0.0.1',
        PORT: String(idpPort),
        DEV_IDP_ISSUER: idpIssuer,
        DEV_IDP_CLIENT_ID: CLIENT_ID,
        DEV_IDP_CLIENT_SECRET: CLIENT_SECRET,
        DEV_IDP_REDIRECT_URIS: `${sample.issuer}/federation/oidc/callback`,
        // Inside the library's 60 s refresh margin: every use of the kept access token
        // refreshes it upstream first.
        DEV_IDP_ACCESS_TOKEN_TTL: '30',
      }),
      () => undefined,
    );
  }

  function newClient(): { client: Client; transport: StreamableHTTPClientTransport } {
    return {
      client: new Client({ name: 'mcp-auth-federation-proof', version: '1.0.0' }),
      transport: new StreamableHTTPClientTransport(new URL(sample.mcpUrl), {
        authProvider: provider,
        fetch: recordingFetch(log),
      }),
    };
  }

  beforeAll(async () => {
    // The sample is told the provider's issuer before the provider runs (discovery happens at
    // the first sign-in); the provider is then told the sample's callback URL.
    idpPort = await freePort();
    idpIssuer = `http://localhost:${idpPort}`;
    sample = await startSampleApp({
      UPSTREAM_OIDC_ISSUER: idpIssuer,
      UPSTREAM_OIDC_CLIENT_ID: CLIENT_ID,
      UPSTREAM_OIDC_CLIENT_SECRET: CLIENT_SECRET,
      UPSTREAM_OIDC_NAME: 'Dev IdP',
      MCP_AUTH_UPSTREAM_TOKEN_KEYS: TOKEN_KEY,
    });
    idp = await startIdp();
    provider = new InMemoryOAuthClientProvider(`http://127.0.0.1:${await freePort()}/callback`);
  });
  afterAll(async () => {
    await client?.close().catch(() => undefined);
    await sample?.close();
    await idp?.close();
  });

  it('runs on the adapter under test', () => {
    expect(sample.app.getHttpAdapter().getType()).toBe(TEST_HTTP_ADAPTER);
  });

  it('connect() gets 401, discovers our authorization server, registers and asks to open our /authorize', async () => {
    ({ client, transport } = newClient());
    await expect(client.connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);
    const url = provider.authorizationUrl as URL;
    expect(url.origin + url.pathname).toBe(`${sample.issuer}/authorize`);
    expect(url.searchParams.get('resource')).toBe(sample.mcpUrl);
    // Nothing about the provider is visible to the client: our issuer is its one AS.
    expect(log.map((e) => new URL(e.url).origin).every((o) => o === sample.issuer)).toBe(true);
  });

  it('our consent page first, then sign-in and consent at the provider; finishAuth gets our tokens for our audience with the upstream subject', async () => {
    const browser = new FederationBrowser(provider.redirectUrl);
    const start = await browser.go((provider.authorizationUrl as URL).toString());
    const signIn = start.page!;
    expect(signIn.url.startsWith(`${sample.issuer}/`)).toBe(true);
    expect(signIn.status).toBe(200);
    // Consent before the browser leaves (confused deputy): the client and the provider named,
    // the demo password form still beside it.
    expect(signIn.html).toContain('Headless SDK client (test)');
    expect(signIn.html).toContain('Approve and continue with Dev IdP');
    expect(signIn.html).toContain('name="password"');

    const federate = formTo(signIn, '/federate/oidc');
    const upstreamLogin = (await browser.go(federate.action, federate.fields)).page!;
    expect(upstreamLogin.url.startsWith(`${idpIssuer}/interaction/`)).toBe(true);
    const login = formTo(upstreamLogin, '/login');
    const upstreamConsent = await browser.go(login.action, {
      ...login.fields,
      username: ALICE.username,
      password: ALICE.password,
    });
    // The provider asks alice to let the sample read her profile.
    expect(upstreamConsent.page?.url.startsWith(`${idpIssuer}/interaction/`)).toBe(true);
    const confirm = formTo(upstreamConsent.page!, '/confirm');
    const end = await browser.go(confirm.action, confirm.fields);
    const redirect = end.stopped!;
    expect(redirect).toBeDefined();
    expect(redirect.searchParams.get('iss')).toBe(sample.issuer);
    expect(redirect.searchParams.get('state')).toBe(provider.lastState);
    expect(redirect.searchParams.get('code')).toEqual(expect.any(String));
    // The browser went: our pages → the provider → our callback → the client, nothing else.
    const origins = [...new Set(browser.visited.map((visited) => new URL(visited).origin))];
    expect(origins).toEqual([sample.issuer, idpIssuer]);
    expect(browser.visited).toContainEqual(
      expect.stringMatching(new RegExp(`^${sample.issuer}/federation/oidc/callback\\?`)),
    );

    await transport.finishAuth(redirect.searchParams);
    const tokens = provider.tokens() as OAuthTokens;
    expect(tokens.refresh_token).toEqual(expect.any(String));
    const claims = decodeJwt(tokens.access_token);
    expect(claims.iss).toBe(sample.issuer);
    expect(claims.aud).toBe(sample.mcpUrl);
    expect(claims.sub).toBe(`oidc|${ALICE.id}`);
    expect(claims.client_id).toBe(provider.clientInformation()?.client_id);
  });

  it('whoami shows alice’s federated subject; upstream_profile returns her profile at the provider, read with the kept upstream token', async () => {
    await client.close();
    ({ client, transport } = newClient());
    await client.connect(transport);
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toContain('upstream_profile');

    const whoami = (await client.callTool({ name: 'whoami' })) as ToolResult;
    expect(whoami.structuredContent).toMatchObject({
      subject: `oidc|${ALICE.id}`,
      clientId: provider.clientInformation()?.client_id,
      resource: sample.mcpUrl,
    });

    const profile = (await client.callTool({ name: 'upstream_profile' })) as ToolResult;
    expect(profile.isError).toBeFalsy();
    expect(profile.structuredContent).toEqual({
      provider: 'oidc',
      profile: expect.objectContaining({
        sub: ALICE.id,
        name: ALICE.claims.name,
        email: ALICE.claims.email,
      }),
    });
    // Kept server side for alice's grant, sealed: nothing readable in the row.
    const gid = decodeJwt((provider.tokens() as OAuthTokens).access_token).gid as string;
    const kept = await sample.app.get<UpstreamTokenStore>(UpstreamTokenStore).find(gid);
    expect(kept).toMatchObject({ provider: 'oidc', grantRevoked: false });
    expect(kept?.sealed.split('.')).toHaveLength(5);
    // The client never saw an upstream token: only ours went over /mcp.
    const mcpAuthorizations = log
      .filter((e) => e.url === sample.mcpUrl)
      .map((e) => e.requestHeaders.get('authorization'))
      .filter(Boolean);
    expect(new Set(mcpAuthorizations)).toEqual(
      new Set([`Bearer ${(provider.tokens() as OAuthTokens).access_token}`]),
    );
  });

  it('RS-10: no passthrough: the upstream access token the server keeps for alice is refused at /mcp', async () => {
    const gid = decodeJwt((provider.tokens() as OAuthTokens).access_token).gid as string;
    const upstream = await sample.app.get(UpstreamTokens).getAccessToken(gid);
    // A working token at the provider …
    const me = await fetch(`${idpIssuer}/me`, {
      headers: { authorization: `Bearer ${upstream.accessToken}` },
    });
    expect(me.status).toBe(200);
    await me.body?.cancel();
    // … is nothing at our MCP endpoint.
    const response = await fetch(sample.mcpUrl, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${upstream.accessToken}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    await response.body?.cancel();
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
  });

  it('refresh: with its access token refused, the SDK refreshes our tokens; the grant and its upstream tokens stay, upstream_profile still works', async () => {
    const before = provider.tokens() as OAuthTokens;
    provider.setTokens({ ...before, access_token: `${before.access_token.slice(0, -8)}AAAAAAAA` });
    const from = log.length;

    const profile = (await client.callTool({ name: 'upstream_profile' })) as ToolResult;
    expect(profile.isError).toBeFalsy();
    expect(profile.structuredContent?.profile).toMatchObject({ sub: ALICE.id });

    const exchanges = log.slice(from);
    expect(exchanges[0].status).toBe(401);
    const refresh = exchanges.find((e) => e.url === `${sample.issuer}/token`);
    expect(refresh?.status).toBe(200);
    expect(new URLSearchParams(refresh?.body ?? '').get('grant_type')).toBe('refresh_token');
    const after = provider.tokens() as OAuthTokens;
    expect(after.refresh_token).not.toBe(before.refresh_token);
    const [was, now] = [decodeJwt(before.access_token), decodeJwt(after.access_token)];
    expect(now.gid).toBe(was.gid);
    expect(now.sub).toBe(`oidc|${ALICE.id}`);
    expect(now.aud).toBe(sample.mcpUrl);
  });

  it('the provider forgets the session (restarted): the upstream refresh is refused, the tool call fails and our grant is revoked; the next call with that access token gets 401', async () => {
    await idp.close();
    idp = await startIdp();
    const tokens = provider.tokens() as OAuthTokens;
    expect(await mcpStatus(sample.mcpUrl, tokens.access_token)).toBe(200);

    const profile = (await client.callTool({ name: 'upstream_profile' })) as ToolResult;
    expect(profile.isError).toBe(true);
    expect(profile.content?.[0]?.text).toMatch(
      /refused to renew access, so this authorization has been revoked/,
    );
    const gid = decodeJwt(tokens.access_token).gid as string;
    const grant = await sample.app.get<GrantStore>(GrantStore).findGrant(gid);
    expect(grant?.revokedReason).toBe('upstream_revoked');
    expect(await sample.app.get<UpstreamTokenStore>(UpstreamTokenStore).find(gid)).toBeNull();

    // The deny-list (NOTIFY and a catch-up poll) refuses the unexpired access token.
    const refusal = await waitForRefusal(sample.mcpUrl, tokens.access_token);
    expect(refusal.status).toBe(401);
    expect(refusal.elapsedMs).toBeLessThan(3_000);

    // The SDK: 401 → refresh → invalid_grant (the grant is gone) → a new authorization.
    const urlsBefore = provider.authorizationUrls.length;
    const from = log.length;
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      await expect(client.callTool({ name: 'whoami' })).rejects.toBeInstanceOf(UnauthorizedError);
    } finally {
      warn.mockRestore();
    }
    expectReauthorization(log.slice(from), sample.issuer, provider, urlsBefore);
  });
});
