import { auth, UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import {
  InMemoryOAuthClientProvider,
  recordingFetch,
  type Exchange,
} from '../support/oauth-client-provider';
import { freePort } from '../support/test-app';
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
 * Client proof 1: the official MCP TypeScript SDK client (v1.32) — `Client` over
 * `StreamableHTTPClientTransport` with an `authProvider` — against the real sample server,
 * given nothing but the MCP URL. The SDK finds everything itself (401 → protected resource
 * metadata → authorization server metadata → dynamic registration); the test only plays the
 * person in the browser and hands the code back, as a CLI client's callback listener would.
 */

jest.setTimeout(120_000);

const STATIC_CLIENT = {
  client_id: 'static-confidential',
  client_secret: 'static-confidential-secret-0123456789abcdef',
  redirect_uris: ['https://app.example.com/oauth/callback'],
  token_endpoint_auth_method: 'client_secret_basic',
  client_name: 'Pre-registered confidential client',
  application_type: 'web',
};

/** A new SDK client connected through a new transport that shares `provider`. */
async function connect(
  mcpUrl: string,
  provider: InMemoryOAuthClientProvider,
  log: Exchange[],
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), {
    authProvider: provider,
    fetch: recordingFetch(log),
  });
  const client = new Client({ name: 'mcp-auth-proof', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

describe('Official MCP SDK client (Client + StreamableHTTPClientTransport) against the sample server', () => {
  let sample: SampleApp;

  beforeAll(async () => {
    sample = await startSampleApp({ MCP_AUTH_STATIC_CLIENTS: JSON.stringify([STATIC_CLIENT]) });
  });
  afterAll(() => sample?.close());

  describe('a public client that registers dynamically, given only the MCP URL', () => {
    const log: Exchange[] = [];
    let provider: InMemoryOAuthClientProvider;
    let firstTransport: StreamableHTTPClientTransport;
    let connected: { client: Client; transport: StreamableHTTPClientTransport } | undefined;
    /** The scope the 403 step-up challenge named. */
    let challengedScope: string | undefined;

    beforeAll(async () => {
      provider = new InMemoryOAuthClientProvider(`http://127.0.0.1:${await freePort()}/callback`, {
        user: DEMO_USER,
      });
    });
    afterAll(async () => {
      await connected?.client.close();
    });

    it('connect() gets 401, follows resource_metadata to the PRM, finds the AS, registers and asks to open the authorization URL', async () => {
      firstTransport = new StreamableHTTPClientTransport(new URL(sample.mcpUrl), {
        authProvider: provider,
        fetch: recordingFetch(log),
      });
      const client = new Client({ name: 'mcp-auth-proof', version: '1.0.0' });
      await expect(client.connect(firstTransport)).rejects.toBeInstanceOf(UnauthorizedError);

      // The 401 challenge (RS-1/RS-2/RS-3).
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

      // redirectToAuthorization(url): PKCE S256, resource, the challenged scope.
      expect(provider.authorizationUrls).toHaveLength(1);
      const url = provider.authorizationUrls[0];
      expect(url.origin + url.pathname).toBe(`${sample.issuer}/authorize`);
      expect(url.searchParams.get('client_id')).toBe(clientId);
      expect(url.searchParams.get('code_challenge_method')).toBe('S256');
      expect(url.searchParams.get('resource')).toBe(sample.mcpUrl);
      expect(url.searchParams.get('scope')).toBe('mcp:tools');
      expect(url.searchParams.get('redirect_uri')).toBe(provider.redirectUrl);
    });

    it('the person signs in and consents (TestBrowser); transport.finishAuth(code) gets tokens', async () => {
      const { code } = await provider.signIn(sample.issuer);
      await firstTransport.finishAuth(code);

      const tokens = provider.tokens() as OAuthTokens;
      expect(tokens.token_type).toBe('Bearer');
      expect(tokens.scope).toBe('mcp:tools');
      expect(tokens.refresh_token).toEqual(expect.any(String));
      const exchange = log.at(-1);
      expect(exchange?.url).toBe(`${sample.issuer}/token`);
      expect(formOf(exchange).get('grant_type')).toBe('authorization_code');
      expect(formOf(exchange).get('resource')).toBe(sample.mcpUrl);
    });

    it('reconnects, lists the tools, calls whoami (subject demo|demo, scope mcp:tools) and echo', async () => {
      connected = await connect(sample.mcpUrl, provider, log);
      const { client } = connected;

      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual([
        'current_time',
        'echo',
        'server_stats',
        'whoami',
      ]);

      const whoami = (await client.callTool({ name: 'whoami' })) as ToolResult;
      expect(whoami.structuredContent).toMatchObject({
        subject: DEMO_SUBJECT,
        clientId: provider.clientInformation()?.client_id,
        scopes: ['mcp:tools'],
        resource: sample.mcpUrl,
      });

      const echo = (await client.callTool({
        name: 'echo',
        arguments: { text: 'héllo, MCP' },
      })) as ToolResult;
      expect(echo.content).toEqual([{ type: 'text', text: 'héllo, MCP' }]);
    });

    it('refresh: once the access token is no longer accepted, the SDK refreshes (rotating the refresh token) and the call goes through', async () => {
      const before = provider.tokens() as OAuthTokens;
      // What an expired token looks like to the client: the server refuses it with 401.
      provider.setTokens({
        ...before,
        access_token: `${before.access_token.slice(0, -8)}AAAAAAAA`,
      });
      const from = log.length;

      const whoami = (await connected!.client.callTool({ name: 'whoami' })) as ToolResult;
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

    it('step-up: server_stats with only mcp:tools is 403 insufficient_scope naming every scope it needs (SDK 1.x then gives up, typescript-sdk#2255)', async () => {
      const from = log.length;
      const failure = await connected!.client.callTool({ name: 'server_stats' }).catch((e) => e);
      expect(failure).toBeInstanceOf(StreamableHTTPError);
      expect((failure as StreamableHTTPError).code).toBe(403);

      const refused = log.slice(from).find((e) => isMcpPost(e, sample.mcpUrl) && e.status === 403);
      const header = refused?.responseHeaders.get('www-authenticate') ?? '';
      expect(header).toMatch(/^Bearer error="insufficient_scope", /);
      expect(header).toContain('scope="mcp:tools mcp:admin"');
      expect(header).toContain(
        `resource_metadata="${sample.issuer}/.well-known/oauth-protected-resource/mcp"`,
      );
      challengedScope = /scope="([^"]*)"/.exec(header)?.[1];
    });

    /** A new authorization for the scopes the 403 challenge named, as an SDK v2 client starts it. */
    async function authorizeForChallengedScope(): Promise<void> {
      expect(challengedScope).toBe('mcp:tools mcp:admin');
      provider.setTokens(undefined);
      const fetchFn = recordingFetch(log);
      expect(
        await auth(provider, { serverUrl: sample.mcpUrl, scope: challengedScope, fetchFn }),
      ).toBe('REDIRECT');
      expect(provider.authorizationUrls.at(-1)?.searchParams.get('scope')).toBe(challengedScope);
      const { code } = await provider.signIn(sample.issuer);
      expect(
        await auth(provider, { serverUrl: sample.mcpUrl, authorizationCode: code, fetchFn }),
      ).toBe('AUTHORIZED');
      expect(provider.tokens()?.scope).toBe('mcp:tools mcp:admin');
    }

    async function serverStatsWorks(): Promise<void> {
      await connected!.client.close();
      connected = await connect(sample.mcpUrl, provider, log);
      const stats = (await connected.client.callTool({ name: 'server_stats' })) as ToolResult;
      expect(stats.structuredContent).toMatchObject({
        toolCalls: expect.any(Number),
        uptimeSeconds: expect.any(Number),
      });
      const whoami = (await connected.client.callTool({ name: 'whoami' })) as ToolResult;
      expect(whoami.structuredContent?.scopes).toEqual(['mcp:tools', 'mcp:admin']);
    }

    /**
     * SDK 1.32 registered this client with `scope: "mcp:tools"` (the 401 challenge's scope,
     * SEP-835); the same client then steps up (as SDK v2 does, typescript-sdk#2346). A dynamic
     * client's registered scope is not enforced by default (`registration.enforceClientScope`).
     */
    it('step-up: a new authorization of the same client for the challenged scopes lets server_stats succeed', async () => {
      await authorizeForChallengedScope();
      await serverStatsWorks();
    });

    it('step-up: registering again for the challenged scopes, then authorizing, lets server_stats succeed', async () => {
      if (provider.tokens()?.scope !== 'mcp:tools mcp:admin') {
        provider.invalidateCredentials('all');
        await authorizeForChallengedScope();
        expect(log.filter((e) => e.url === `${sample.issuer}/register`)).toHaveLength(2);
      }
      await serverStatsWorks();
    });

    it('revocation: POST /revoke of the refresh token ends the grant; within seconds the next call gets 401 and the SDK has to authorize anew', async () => {
      const tokens = provider.tokens() as OAuthTokens;
      const clientId = provider.clientInformation()?.client_id as string;
      expect(
        await revokeRefreshToken(sample.issuer, tokens.refresh_token as string, clientId),
      ).toBe(200);

      // The access token itself is still unexpired: the resource server's deny-list refuses it.
      const refusal = await waitForRefusal(sample.mcpUrl, tokens.access_token);
      expect(refusal.status).toBe(401);
      expect(refusal.elapsedMs).toBeLessThan(5_000);

      // The SDK: 401 → refresh → invalid_grant → forget the tokens → a new authorization.
      const urlsBefore = provider.authorizationUrls.length;
      const from = log.length;
      await expect(connected!.client.callTool({ name: 'whoami' })).rejects.toBeInstanceOf(
        UnauthorizedError,
      );
      expect(provider.invalidated).toContain('tokens');
      expectReauthorization(log.slice(from), sample.issuer, provider, urlsBefore);
    });
  });

  describe('a pre-registered confidential client (client_secret_basic, MCP_AUTH_STATIC_CLIENTS)', () => {
    const log: Exchange[] = [];
    let provider: InMemoryOAuthClientProvider;
    let firstTransport: StreamableHTTPClientTransport;
    let connected: { client: Client; transport: StreamableHTTPClientTransport } | undefined;
    const basic = `Basic ${Buffer.from(
      `${STATIC_CLIENT.client_id}:${STATIC_CLIENT.client_secret}`,
    ).toString('base64')}`;

    beforeAll(() => {
      provider = new InMemoryOAuthClientProvider(STATIC_CLIENT.redirect_uris[0], {
        metadata: { token_endpoint_auth_method: 'client_secret_basic' },
        // What the application was configured with: its id and secret, nothing else.
        preRegistered: {
          client_id: STATIC_CLIENT.client_id,
          client_secret: STATIC_CLIENT.client_secret,
        },
        user: DEMO_USER,
      });
    });
    afterAll(async () => {
      await connected?.client.close();
    });

    it('connect() gets 401 and goes straight to the authorization URL with the static client_id (no registration)', async () => {
      firstTransport = new StreamableHTTPClientTransport(new URL(sample.mcpUrl), {
        authProvider: provider,
        fetch: recordingFetch(log),
      });
      const client = new Client({ name: 'mcp-auth-proof-confidential', version: '1.0.0' });
      await expect(client.connect(firstTransport)).rejects.toBeInstanceOf(UnauthorizedError);

      expect(log[0].status).toBe(401);
      expect(log.some((e) => e.url === `${sample.issuer}/register`)).toBe(false);
      const url = provider.authorizationUrls[0];
      expect(url.searchParams.get('client_id')).toBe(STATIC_CLIENT.client_id);
      expect(url.searchParams.get('redirect_uri')).toBe(STATIC_CLIENT.redirect_uris[0]);
      expect(url.searchParams.get('resource')).toBe(sample.mcpUrl);
    });

    it('finishAuth(code) authenticates at /token with HTTP Basic; the tools see the static client', async () => {
      const { code } = await provider.signIn(sample.issuer);
      await firstTransport.finishAuth(code);
      const exchange = log.at(-1) as Exchange;
      expect(exchange.url).toBe(`${sample.issuer}/token`);
      expect(exchange.status).toBe(200);
      expect(exchange.requestHeaders.get('authorization')).toBe(basic);
      expect(formOf(exchange).has('client_secret')).toBe(false);

      connected = await connect(sample.mcpUrl, provider, log);
      const whoami = (await connected.client.callTool({ name: 'whoami' })) as ToolResult;
      expect(whoami.structuredContent).toMatchObject({
        subject: DEMO_SUBJECT,
        clientId: STATIC_CLIENT.client_id,
        scopes: ['mcp:tools'],
      });
    });

    it('refreshes with HTTP Basic too and keeps working', async () => {
      const before = provider.tokens() as OAuthTokens;
      provider.setTokens({ ...before, access_token: 'not-a-token' });
      const from = log.length;
      const echo = (await connected!.client.callTool({
        name: 'echo',
        arguments: { text: 'still here' },
      })) as ToolResult;
      expect(echo.content).toEqual([{ type: 'text', text: 'still here' }]);
      const refresh = log.slice(from).find((e) => e.url === `${sample.issuer}/token`);
      expect(refresh?.status).toBe(200);
      expect(refresh?.requestHeaders.get('authorization')).toBe(basic);
      expect(formOf(refresh).get('grant_type')).toBe('refresh_token');
      expect(provider.tokens()?.refresh_token).not.toBe(before.refresh_token);
    });
  });
});
