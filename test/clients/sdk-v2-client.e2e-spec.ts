import {
  Client,
  StreamableHTTPClientTransport,
  UnauthorizedError,
  type OAuthTokens,
} from '@modelcontextprotocol/client';
import {
  InMemoryOAuthClientProvider,
  recordingFetch,
  type Exchange,
} from '../support/oauth-client-provider';
import { freePort, TEST_HTTP_ADAPTER } from '../support/test-app';
import { DEMO_SUBJECT, DEMO_USER, startSampleApp, type SampleApp } from './support/sample-app';
import {
  expectReauthorization,
  formOf,
  isMcpPost,
  revokeRefreshToken,
  waitForRefusal,
  type ToolResult,
} from './support/sdk-proof';

/**
 * Client proof 1, SDK v2: the MCP TypeScript SDK v2 client (`@modelcontextprotocol/client`:
 * `Client` over `StreamableHTTPClientTransport` with an `authProvider`) against the real sample
 * server, itself on SDK v2 (`@modelcontextprotocol/server` and the Node transport), given
 * nothing but the MCP URL. The SDK finds everything itself (401 → protected resource metadata
 * → authorization server metadata → dynamic registration), refreshes, and steps up on a 403
 * `insufficient_scope` by asking for a new authorization with the larger scope; the test only
 * plays the person in the browser and hands the callback back, as a CLI client would.
 * The v1 client's proofs are in sdk-client.e2e-spec.ts. Runs on the suite's adapter
 * (`TEST_HTTP_ADAPTER=fastify` for Fastify).
 */

jest.setTimeout(120_000);

describe(`MCP SDK v2 client (Client + StreamableHTTPClientTransport) against the sample server on ${TEST_HTTP_ADAPTER}`, () => {
  let sample: SampleApp;
  const log: Exchange[] = [];
  let provider: InMemoryOAuthClientProvider;
  let transport: StreamableHTTPClientTransport;
  let client: Client;

  /** A new v2 client over a new transport that shares `provider`. */
  function newClient(): { client: Client; transport: StreamableHTTPClientTransport } {
    const created = new StreamableHTTPClientTransport(new URL(sample.mcpUrl), {
      authProvider: provider,
      fetch: recordingFetch(log),
    });
    return {
      client: new Client({ name: 'mcp-auth-proof-v2', version: '1.0.0' }),
      transport: created,
    };
  }

  beforeAll(async () => {
    sample = await startSampleApp();
    provider = new InMemoryOAuthClientProvider(`http://127.0.0.1:${await freePort()}/callback`, {
      user: DEMO_USER,
    });
  });
  afterAll(async () => {
    await client?.close().catch(() => undefined);
    await sample?.close();
  });

  it('runs on the adapter under test', () => {
    expect(sample.app.getHttpAdapter().getType()).toBe(TEST_HTTP_ADAPTER);
  });

  it('connect() gets 401, follows resource_metadata to the PRM, finds the AS, registers and asks to open the authorization URL', async () => {
    ({ client, transport } = newClient());
    await expect(client.connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);

    const challenge = log[0];
    expect(isMcpPost(challenge, sample.mcpUrl)).toBe(true);
    expect(challenge.status).toBe(401);
    const prmUrl = `${sample.issuer}/.well-known/oauth-protected-resource/mcp`;
    expect(challenge.responseHeaders.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${prmUrl}", scope="mcp:tools"`,
    );
    // What the SDK then fetched, in order: PRM, AS metadata, registration.
    const after = log.slice(1).map((e) => `${e.method} ${e.url} ${e.status}`);
    expect(after).toEqual([
      `GET ${prmUrl} 200`,
      `GET ${sample.issuer}/.well-known/oauth-authorization-server 200`,
      `POST ${sample.issuer}/register 201`,
    ]);
    const clientId = provider.clientInformation()?.client_id;
    expect(clientId).toEqual(expect.any(String));

    expect(provider.authorizationUrls).toHaveLength(1);
    const url = provider.authorizationUrls[0];
    expect(url.origin + url.pathname).toBe(`${sample.issuer}/authorize`);
    expect(url.searchParams.get('client_id')).toBe(clientId);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('resource')).toBe(sample.mcpUrl);
    // The challenged scope; SDK v2 adds offline_access, which the AS advertises (SEP-2207).
    expect(url.searchParams.get('scope')).toBe('mcp:tools offline_access');
    expect(url.searchParams.get('redirect_uri')).toBe(provider.redirectUrl);
  });

  it('the person signs in and consents (TestBrowser); finishAuth(callback parameters) checks iss and gets tokens', async () => {
    const { redirect } = await provider.signIn(sample.issuer);
    await transport.finishAuth(redirect.searchParams);

    const tokens = provider.tokens() as OAuthTokens;
    expect(tokens.token_type).toBe('Bearer');
    expect(tokens.scope).toBe('mcp:tools offline_access');
    expect(tokens.refresh_token).toEqual(expect.any(String));
    const exchange = log.at(-1);
    expect(exchange?.url).toBe(`${sample.issuer}/token`);
    expect(exchange?.status).toBe(200);
    expect(formOf(exchange).get('grant_type')).toBe('authorization_code');
    expect(formOf(exchange).get('resource')).toBe(sample.mcpUrl);
  });

  it('connects, lists the tools; whoami shows the AuthInfo the guard set (client, scopes, resource, expiry, subject)', async () => {
    await client.close();
    ({ client, transport } = newClient());
    await client.connect(transport);

    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      'current_time',
      'echo',
      'server_stats',
      'whoami',
    ]);

    const token = provider.tokens() as OAuthTokens;
    const whoami = (await client.callTool({ name: 'whoami' })) as ToolResult;
    expect(whoami.structuredContent).toEqual({
      subject: DEMO_SUBJECT,
      clientId: provider.clientInformation()?.client_id,
      scopes: ['mcp:tools', 'offline_access'],
      resource: sample.mcpUrl,
      expiresAt: expect.any(String),
    });
    // The token's own `exp`, as the guard read it.
    const claims = JSON.parse(
      Buffer.from(token.access_token.split('.')[1], 'base64url').toString(),
    ) as { exp: number; client_id: string };
    expect(whoami.structuredContent?.expiresAt).toBe(new Date(claims.exp * 1000).toISOString());
    expect(whoami.structuredContent?.clientId).toBe(claims.client_id);

    const echo = (await client.callTool({
      name: 'echo',
      arguments: { text: 'héllo, MCP v2' },
    })) as ToolResult;
    expect(echo.content).toEqual([{ type: 'text', text: 'héllo, MCP v2' }]);
  });

  it('refresh: once the access token is no longer accepted, the SDK refreshes (rotating the refresh token) and the call goes through', async () => {
    const before = provider.tokens() as OAuthTokens;
    provider.setTokens({ ...before, access_token: `${before.access_token.slice(0, -8)}AAAAAAAA` });
    const from = log.length;

    const whoami = (await client.callTool({ name: 'whoami' })) as ToolResult;
    expect(whoami.structuredContent).toMatchObject({ subject: DEMO_SUBJECT });

    const exchanges = log.slice(from);
    expect(exchanges[0].status).toBe(401);
    expect(exchanges[0].responseHeaders.get('www-authenticate')).toMatch(
      /^Bearer error="invalid_token"/,
    );
    const refresh = exchanges.find((e) => e.url === `${sample.issuer}/token`);
    expect(refresh?.status).toBe(200);
    expect(formOf(refresh).get('grant_type')).toBe('refresh_token');
    expect(formOf(refresh).get('resource')).toBe(sample.mcpUrl);
    expect(exchanges.at(-1)?.status).toBe(200);

    const after = provider.tokens() as OAuthTokens;
    expect(after.access_token).not.toBe(before.access_token);
    expect(after.refresh_token).toEqual(expect.any(String));
    expect(after.refresh_token).not.toBe(before.refresh_token);
  });

  it('step-up: server_stats with only mcp:tools is 403 insufficient_scope; the SDK asks for a new authorization with the larger scope', async () => {
    const urlsBefore = provider.authorizationUrls.length;
    const from = log.length;
    await expect(client.callTool({ name: 'server_stats' })).rejects.toBeInstanceOf(
      UnauthorizedError,
    );

    const refused = log.slice(from).find((e) => isMcpPost(e, sample.mcpUrl) && e.status === 403);
    const header = refused?.responseHeaders.get('www-authenticate') ?? '';
    expect(header).toMatch(/^Bearer error="insufficient_scope", /);
    expect(header).toContain('scope="mcp:tools mcp:admin"');
    expect(header).toContain(
      `resource_metadata="${sample.issuer}/.well-known/oauth-protected-resource/mcp"`,
    );
    // No refresh (it cannot widen a grant): straight to a new authorization request.
    expect(log.slice(from).some((e) => e.url === `${sample.issuer}/token`)).toBe(false);
    expect(provider.authorizationUrls.length).toBe(urlsBefore + 1);
    const url = provider.authorizationUrl as URL;
    // What was asked for before and what the challenge names (SEP-2350 scope union).
    expect(url.searchParams.get('scope')).toBe('mcp:tools offline_access mcp:admin');
    expect(url.searchParams.get('client_id')).toBe(provider.clientInformation()?.client_id);
    expect(url.searchParams.get('resource')).toBe(sample.mcpUrl);
  });

  it('step-up: after sign-in and consent, the same client calls server_stats and whoami shows both scopes', async () => {
    const { redirect } = await provider.signIn(sample.issuer);
    await transport.finishAuth(redirect.searchParams);
    expect(provider.tokens()?.scope).toBe('mcp:tools offline_access mcp:admin');

    const stats = (await client.callTool({ name: 'server_stats' })) as ToolResult;
    expect(stats.structuredContent).toMatchObject({
      toolCalls: expect.any(Number),
      uptimeSeconds: expect.any(Number),
    });
    const whoami = (await client.callTool({ name: 'whoami' })) as ToolResult;
    expect(whoami.structuredContent?.scopes).toEqual(['mcp:tools', 'offline_access', 'mcp:admin']);
  });

  it('revocation: POST /revoke of the refresh token ends the grant; the next call gets 401 and the SDK has to authorize anew', async () => {
    const tokens = provider.tokens() as OAuthTokens;
    const clientId = provider.clientInformation()?.client_id as string;
    expect(await revokeRefreshToken(sample.issuer, tokens.refresh_token as string, clientId)).toBe(
      200,
    );

    // The access token itself is unexpired: the resource server's deny-list refuses it.
    const refusal = await waitForRefusal(sample.mcpUrl, tokens.access_token);
    expect(refusal.status).toBe(401);
    expect(refusal.elapsedMs).toBeLessThan(5_000);

    // The SDK: 401 → refresh → invalid_grant → forget the tokens → a new authorization.
    const urlsBefore = provider.authorizationUrls.length;
    const from = log.length;
    // SDK v2 says so on the console; expected here, so kept out of the test output.
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      await expect(client.callTool({ name: 'whoami' })).rejects.toBeInstanceOf(UnauthorizedError);
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('"invalid_grant"'));
    } finally {
      warn.mockRestore();
    }
    expect(provider.invalidated).toContain('tokens');
    expectReauthorization(log.slice(from), sample.issuer, provider, urlsBefore);
  });
});
