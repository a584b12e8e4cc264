import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  Client as ClientV2,
  CrossAppAccessProvider,
  requestJwtAuthorizationGrant,
  StreamableHTTPClientTransport as StreamableHTTPClientTransportV2,
} from '@modelcontextprotocol/client';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import {
  GrantStore,
  type GrantStore as GrantStoreContract,
  type IdentityAssertion,
  type StaticClientOptions,
} from '@app/mcp-auth';
import {
  basicAuthorization,
  exchangeForIdJag,
  ID_JAG_TOKEN_TYPE,
  ID_JAG_TYP,
  JWT_BEARER_GRANT_TYPE,
  obtainIdJag,
  signInAtIdp,
  startEnterpriseIdp,
  type EnterpriseIdp,
  type EnterpriseIdpClient,
  type EnterpriseIdpUser,
} from './support/enterprise-idp';
import { recordingFetch, type Exchange } from './support/oauth-client-provider';
import {
  createTestApp,
  TEST_HTTP_ADAPTER,
  TEST_RESOURCE_SERVER,
  type TestApp,
} from './support/test-app';
import { startSampleApp, type SampleApp } from './clients/support/sample-app';

/**
 * MCP Enterprise-Managed Authorization (ext-auth), end to end on loopback: a user signs in to
 * an MCP client at the company's identity provider (test/support/enterprise-idp.ts), the client
 * trades the ID token for an ID-JAG there (RFC 8693, under the administrator's policy), redeems
 * it at our /token (RFC 7523 JWT bearer grant, client_secret_basic) and calls tools with our
 * access token. First against the sample server configured by `MCP_AUTH_TRUSTED_IDPS`, with
 * the official MCP SDK clients (v1 with a plain Authorization header; v2's CrossAppAccessProvider
 * doing all of it from the MCP URL); then against the module with an identity hook that maps
 * and refuses users, and across a key rotation at the identity provider.
 */

jest.setTimeout(120_000);

/** The MCP client as the identity provider knows it (single sign-on). */
const CHAT_AT_IDP: EnterpriseIdpClient = {
  clientId: 'acme-chat',
  clientSecret: 'acme-chat-secret-at-the-idp-0123456789',
};
/**
 * The same client as our authorization server knows it: pre-registered, confidential, for the
 * grant only. No `redirect_uris`: it never sends a browser here.
 */
const CHAT = {
  client_id: 'acme-chat',
  client_secret: 'acme-chat-secret-at-the-mcp-server-0123456789',
  grant_types: [JWT_BEARER_GRANT_TYPE],
  token_endpoint_auth_method: 'client_secret_basic',
  client_name: 'Acme Chat',
} satisfies StaticClientOptions;
const ALICE: EnterpriseIdpUser = {
  username: 'alice',
  password: 'alice-password-at-the-idp',
  subject: '00u1alice7f3a',
  email: 'alice@acme.example',
  groups: ['engineering'],
  claims: { tenant: 'acme' },
};
const MALLORY: EnterpriseIdpUser = {
  username: 'mallory',
  password: 'mallory-password-at-the-idp',
  subject: '00u9mallory2b1',
  email: 'mallory@partner.example',
  groups: ['engineering'],
  claims: { tenant: 'partner' },
};

interface ToolResult {
  content?: { type: string; text?: string }[];
  structuredContent?: Record<string, unknown>;
}

/** POST a form to `url` as `client` (client_secret_basic). */
async function postForm(
  url: string,
  form: Record<string, string>,
  client: { client_id: string; client_secret: string },
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: basicAuthorization(client.client_id, client.client_secret),
    },
    body: new URLSearchParams(form).toString(),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

function redeem(issuer: string, assertion: string, client = CHAT) {
  return postForm(`${issuer}/token`, { grant_type: JWT_BEARER_GRANT_TYPE, assertion }, client);
}

async function metadataOf(issuer: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${issuer}/.well-known/oauth-authorization-server`);
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

/** An SDK v1 client sending our access token as a plain Authorization header. */
async function connectWithToken(mcpUrl: string, accessToken: string): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), {
    requestInit: { headers: { Authorization: `Bearer ${accessToken}` } },
  });
  const client = new Client({ name: 'acme-chat', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe(`Enterprise-managed authorization (ID-JAG) end to end on ${TEST_HTTP_ADAPTER}`, () => {
  describe('the sample server with MCP_AUTH_TRUSTED_IDPS, and the official MCP SDK clients', () => {
    let idp: EnterpriseIdp;
    let sample: SampleApp;

    beforeAll(async () => {
      idp = await startEnterpriseIdp({ users: [ALICE, MALLORY], clients: [CHAT_AT_IDP] });
      sample = await startSampleApp({
        MCP_AUTH_TRUSTED_IDPS: JSON.stringify([{ issuer: idp.issuer, jwks_uri: idp.jwksUri }]),
        MCP_AUTH_STATIC_CLIENTS: JSON.stringify([CHAT]),
      });
      // The administrator lets Acme Chat reach the sample's MCP endpoint, with the tools only.
      idp.policy = [
        {
          clientId: CHAT_AT_IDP.clientId,
          audience: sample.issuer,
          resources: [sample.mcpUrl],
          scopes: ['mcp:tools'],
          groups: ['engineering'],
        },
      ];
    });
    afterAll(async () => {
      await sample?.close();
      await idp?.close();
    });

    it('advertises the jwt-bearer grant in its authorization server metadata', async () => {
      const metadata = await metadataOf(sample.issuer);
      expect(metadata.grant_types_supported).toEqual([
        'authorization_code',
        'refresh_token',
        JWT_BEARER_GRANT_TYPE,
      ]);
      expect(metadata.token_endpoint_auth_methods_supported).toContain('client_secret_basic');
    });

    it('sign-in at the IdP, token exchange for an ID-JAG, redemption at /token, tools with the access token (SDK v1 Client)', async () => {
      // 1. Single sign-on at the identity provider: an ID token for Acme Chat.
      const idToken = await signInAtIdp(idp, CHAT_AT_IDP, ALICE);
      expect(decodeJwt(idToken)).toMatchObject({
        iss: idp.issuer,
        sub: ALICE.subject,
        aud: CHAT_AT_IDP.clientId,
      });

      // 2. RFC 8693 token exchange at the IdP (ext-auth §4), client_secret_basic.
      const exchanged = await exchangeForIdJag(idp, CHAT_AT_IDP, {
        idToken,
        audience: sample.issuer,
        resource: sample.mcpUrl,
        scope: 'mcp:tools mcp:admin',
      });
      expect(exchanged.status).toBe(200);
      // The policy grants the tools, not administration: the answer says so (ext-auth §4.2).
      expect(exchanged.body).toEqual({
        issued_token_type: ID_JAG_TOKEN_TYPE,
        access_token: expect.any(String),
        token_type: 'N_A',
        scope: 'mcp:tools',
        expires_in: 300,
      });
      const idJag = exchanged.body.access_token as string;
      expect(decodeProtectedHeader(idJag)).toEqual({
        alg: 'RS256',
        kid: idp.currentKid,
        typ: ID_JAG_TYP,
      });
      const assertion = decodeJwt(idJag);
      expect(assertion).toMatchObject({
        iss: idp.issuer,
        sub: ALICE.subject,
        aud: sample.issuer,
        resource: sample.mcpUrl,
        client_id: CHAT.client_id,
        scope: 'mcp:tools',
        jti: expect.any(String),
      });
      expect((assertion.exp as number) - (assertion.iat as number)).toBe(300);

      // 3. The ID-JAG at our token endpoint (ext-auth §5): our own access token, no refresh.
      const redeemed = await redeem(sample.issuer, idJag);
      expect(redeemed.status).toBe(200);
      expect(redeemed.headers.get('cache-control')).toBe('no-store');
      expect(redeemed.body).toEqual({
        access_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: expect.any(Number),
        scope: 'mcp:tools',
      });
      const accessToken = redeemed.body.access_token as string;
      // Bound to the MCP endpoint; the user as the sample maps them (`<issuer>|<sub>`).
      const subject = `${idp.issuer}|${ALICE.subject}`;
      expect(decodeJwt(accessToken)).toMatchObject({
        iss: sample.issuer,
        aud: sample.mcpUrl,
        sub: subject,
        client_id: CHAT.client_id,
        scope: 'mcp:tools',
      });

      // 4. The official SDK v1 client calls tools with it, as a plain Authorization header.
      const client = await connectWithToken(sample.mcpUrl, accessToken);
      try {
        const { tools } = await client.listTools();
        expect(tools.map((tool) => tool.name)).toEqual(
          expect.arrayContaining(['whoami', 'current_time', 'echo']),
        );
        const whoami = (await client.callTool({ name: 'whoami', arguments: {} })) as ToolResult;
        expect(whoami.structuredContent).toMatchObject({
          subject,
          clientId: CHAT.client_id,
          scopes: ['mcp:tools'],
          resource: sample.mcpUrl,
        });
        // The IdP's policy did not grant administration: the token cannot call server_stats.
        const denied = await client
          .callTool({ name: 'server_stats', arguments: {} })
          .then(() => undefined)
          .catch((error: unknown) => error);
        expect(denied).toBeInstanceOf(StreamableHTTPError);
        expect((denied as StreamableHTTPError).code).toBe(403);
      } finally {
        await client.close();
      }

      // 5. Single use: the same ID-JAG again is refused.
      const replay = await redeem(sample.issuer, idJag);
      expect(replay.status).toBe(400);
      expect(replay.body.error).toBe('invalid_grant');

      // 6. The grant is recorded: revoking the token at /revoke ends its use at /mcp (the
      // resource server hears of it by LISTEN/NOTIFY, within moments).
      const revoked = await postForm(`${sample.issuer}/revoke`, { token: accessToken }, CHAT);
      expect(revoked.status).toBe(200);
      const listTools = () =>
        fetch(sample.mcpUrl, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${accessToken}`,
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
          },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
        });
      expect(await waitForStatus(listTools, 401, 2000)).toBeLessThan(2000);
    });

    it('the IdP policy decides who: a user outside its groups gets no ID-JAG, and no token here', async () => {
      idp.policy[0].groups = ['sales'];
      try {
        const idToken = await signInAtIdp(idp, CHAT_AT_IDP, ALICE);
        const exchanged = await exchangeForIdJag(idp, CHAT_AT_IDP, {
          idToken,
          audience: sample.issuer,
          resource: sample.mcpUrl,
        });
        expect(exchanged).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
      } finally {
        idp.policy[0].groups = ['engineering'];
      }
    });

    it("the SDK v2 CrossAppAccessProvider does it all from the MCP URL: discovery, the SDK's token exchange at the IdP, the grant at /token", async () => {
      const log: Exchange[] = [];
      const idToken = await signInAtIdp(idp, CHAT_AT_IDP, ALICE);
      const contexts: { authorizationServerUrl: string; resourceUrl: string; scope?: string }[] =
        [];
      const provider = new CrossAppAccessProvider({
        clientId: CHAT.client_id,
        clientSecret: CHAT.client_secret,
        expectedIssuer: sample.issuer,
        fetchFn: recordingFetch(log),
        assertion: async (context) => {
          contexts.push({
            authorizationServerUrl: context.authorizationServerUrl,
            resourceUrl: context.resourceUrl,
            scope: context.scope,
          });
          const grant = await requestJwtAuthorizationGrant({
            tokenEndpoint: idp.tokenEndpoint,
            audience: context.authorizationServerUrl,
            resource: context.resourceUrl,
            idToken,
            clientId: CHAT_AT_IDP.clientId,
            clientSecret: CHAT_AT_IDP.clientSecret,
            scope: context.scope,
            fetchFn: context.fetchFn,
          });
          return grant.jwtAuthGrant;
        },
      });
      const transport = new StreamableHTTPClientTransportV2(new URL(sample.mcpUrl), {
        authProvider: provider,
        fetch: recordingFetch(log),
      });
      const client = new ClientV2({ name: 'acme-chat-v2', version: '1.0.0' });
      try {
        await client.connect(transport);
        const whoami = (await client.callTool({ name: 'whoami', arguments: {} })) as ToolResult;
        expect(whoami.structuredContent).toMatchObject({
          subject: `${idp.issuer}|${ALICE.subject}`,
          clientId: CHAT.client_id,
          scopes: ['mcp:tools'],
        });
      } finally {
        await client.close();
      }
      // The SDK found the server's authorization server and resource itself (RFC 9728).
      expect(contexts).toHaveLength(1);
      expect(contexts[0]).toMatchObject({
        authorizationServerUrl: sample.issuer,
        resourceUrl: sample.mcpUrl,
      });
      // ...exchanged at the IdP, then redeemed at our token endpoint with client_secret_basic.
      const idpExchange = log.find((e) => e.url === idp.tokenEndpoint);
      expect(new URLSearchParams(idpExchange?.body).get('requested_token_type')).toBe(
        ID_JAG_TOKEN_TYPE,
      );
      const tokenRequest = log.find((e) => e.url === `${sample.issuer}/token`);
      expect(tokenRequest?.status).toBe(200);
      expect(new URLSearchParams(tokenRequest?.body).get('grant_type')).toBe(JWT_BEARER_GRANT_TYPE);
      expect(tokenRequest?.requestHeaders.get('authorization')).toBe(
        basicAuthorization(CHAT.client_id, CHAT.client_secret),
      );
    });
  });

  describe('the module: identity hook, discovery, key rotation, metadata', () => {
    let idp: EnterpriseIdp;
    let t: TestApp;
    let plain: TestApp;
    const assertions: IdentityAssertion[] = [];
    const resource = () => `${t.url}/mcp`;

    beforeAll(async () => {
      idp = await startEnterpriseIdp({ users: [ALICE, MALLORY], clients: [CHAT_AT_IDP] });
      t = await createTestApp({
        auth: () => ({
          clients: [
            {
              client_id: TEST_RESOURCE_SERVER.clientId,
              client_secret: TEST_RESOURCE_SERVER.secret,
              token_endpoint_auth_method: TEST_RESOURCE_SERVER.method,
              redirect_uris: ['https://rs.example.com/unused'],
            },
            CHAT,
          ],
          enterprise: {
            // No jwksUri: the keys are found through the provider's discovery document.
            trustedIdentityProviders: [{ issuer: idp.issuer }],
            // One multi-tenant IdP: only the Acme tenant may use this server, its users by
            // tenant and subject.
            identity: (assertion) => {
              assertions.push(assertion);
              if (assertion.claims.tenant !== 'acme') {
                return { action: 'refuse', reason: 'Only Acme users may use this server.' };
              }
              return { action: 'accept', subject: `acme:${assertion.subject}` };
            },
          },
        }),
      });
      plain = await createTestApp();
      idp.policy = [
        {
          clientId: CHAT_AT_IDP.clientId,
          audience: t.url,
          resources: [resource()],
          scopes: ['mcp:tools', 'mcp:resources'],
        },
      ];
    });
    afterAll(async () => {
      await t?.close();
      await plain?.close();
      await idp?.close();
    });

    it('advertises the jwt-bearer grant only when a trusted identity provider is configured', async () => {
      expect((await metadataOf(t.url)).grant_types_supported).toContain(JWT_BEARER_GRANT_TYPE);
      expect((await metadataOf(plain.url)).grant_types_supported).toEqual([
        'authorization_code',
        'refresh_token',
      ]);
    });

    it('maps the asserted user through the identity hook: the token subject, the recorded grant', async () => {
      const idJag = await obtainIdJag(idp, CHAT_AT_IDP, ALICE, {
        audience: t.url,
        resource: resource(),
        scope: 'mcp:tools mcp:resources',
      });
      const before = assertions.length;
      const redeemed = await redeem(t.url, idJag);
      expect(redeemed.status).toBe(200);
      expect(redeemed.body.refresh_token).toBeUndefined();
      expect(redeemed.body.scope).toBe('mcp:tools mcp:resources');
      const claims = decodeJwt(redeemed.body.access_token as string);
      expect(claims).toMatchObject({
        iss: t.url,
        aud: resource(),
        sub: `acme:${ALICE.subject}`,
        client_id: CHAT.client_id,
        scope: 'mcp:tools mcp:resources',
      });
      // The hook saw the provider's view of the user, every ID-JAG claim included.
      expect(assertions.slice(before)).toEqual([
        {
          issuer: idp.issuer,
          subject: ALICE.subject,
          clientId: CHAT.client_id,
          claims: expect.objectContaining({
            iss: idp.issuer,
            sub: ALICE.subject,
            email: ALICE.email,
            tenant: 'acme',
            resource: resource(),
          }),
        },
      ]);
      // Recorded as a grant of the mapped user, for listings and revocation.
      const grant = await t.app
        .get<symbol, GrantStoreContract>(GrantStore)
        .findGrant(claims.gid as string);
      expect(grant).toMatchObject({
        clientId: CHAT.client_id,
        subject: `acme:${ALICE.subject}`,
        scopes: ['mcp:tools', 'mcp:resources'],
        resource: resource(),
      });
      // Discovery first, then the key set; nothing else was asked of the IdP by the server.
      expect(idp.requests.filter((r) => r.method === 'GET').map((r) => r.path)).toEqual([
        '/.well-known/openid-configuration',
        '/jwks',
      ]);
    });

    it('the identity hook refusing the user: invalid_grant with its reason, no grant, no token', async () => {
      const idJag = await obtainIdJag(idp, CHAT_AT_IDP, MALLORY, {
        audience: t.url,
        resource: resource(),
      });
      const grantsBefore = await countGrants(t);
      const refused = await redeem(t.url, idJag);
      expect(refused.status).toBe(400);
      expect(refused.body).toEqual({
        error: 'invalid_grant',
        error_description: 'Only Acme users may use this server.',
      });
      expect(await countGrants(t)).toBe(grantsBefore);
      expect(assertions.at(-1)).toMatchObject({ subject: MALLORY.subject });
    });

    it('follows a key rotation at the IdP: a new kid makes the server fetch the key set again; the retired key no longer verifies', async () => {
      const audience = { audience: t.url, resource: resource() };
      // Signed before the rotation; kept by the client and presented after it.
      const beforeRotation = await obtainIdJag(idp, CHAT_AT_IDP, ALICE, audience);
      const oldKid = idp.currentKid;
      const fetches = idp.requestsTo('/jwks').length;
      expect(fetches).toBeGreaterThanOrEqual(1);

      const newKid = idp.rotateKey({ retirePrevious: true });
      expect(newKid).not.toBe(oldKid);
      // jose refetches a remote key set for an unknown kid at most every 30 s.
      const lastFetch = idp.requestsTo('/jwks').at(-1)?.at ?? 0;
      await sleep(Math.max(0, lastFetch + 31_000 - Date.now()));

      const afterRotation = await obtainIdJag(idp, CHAT_AT_IDP, ALICE, audience);
      expect(decodeProtectedHeader(afterRotation).kid).toBe(newKid);
      const redeemed = await redeem(t.url, afterRotation);
      expect(redeemed.status).toBe(200);
      expect(idp.requestsTo('/jwks')).toHaveLength(fetches + 1);

      // The key set now holds only the new key: the retired key's ID-JAG is refused.
      expect(decodeProtectedHeader(beforeRotation).kid).toBe(oldKid);
      const refused = await redeem(t.url, beforeRotation);
      expect(refused.status).toBe(400);
      expect(refused.body.error).toBe('invalid_grant');
    }, 90_000);
  });
});

async function countGrants(t: TestApp): Promise<number> {
  const rows = await t.db.dataSource.query<{ count: string }[]>(
    'SELECT count(*) AS count FROM mcp_auth_grants',
  );
  return Number(rows[0].count);
}

/** Milliseconds until `probe` answers `status`; fails after `timeoutMs`. */
async function waitForStatus(
  probe: () => PromiseLike<{ status: number }>,
  status: number,
  timeoutMs: number,
): Promise<number> {
  const start = Date.now();
  for (;;) {
    if ((await probe()).status === status) return Date.now() - start;
    if (Date.now() - start > timeoutMs) throw new Error(`no ${status} within ${timeoutMs} ms`);
    await sleep(25);
  }
}
