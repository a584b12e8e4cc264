import {
  ClientCredentialsProvider,
  PrivateKeyJwtProvider,
} from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InvalidClientError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { decodeJwt } from 'jose';
import { DataSource } from 'typeorm';
import { GrantStore, type GrantStore as GrantStoreContract } from '@app/mcp-auth';
import { generateClientKey, jwksOf, type ClientKey } from '../support/client-assertions';
import { recordingFetch, type Exchange } from '../support/oauth-client-provider';
import { startSampleApp, type SampleApp } from './support/sample-app';
import { formOf, type ToolResult } from './support/sdk-proof';

/**
 * Client proof of the OAuth Client Credentials extension: the official MCP TypeScript SDK
 * client (v1.32), `Client` over `StreamableHTTPClientTransport`, with the SDK's own machine
 * providers — `ClientCredentialsProvider` (client_secret_basic) and `PrivateKeyJwtProvider`
 * (RFC 7523 client assertion) — against the real sample server, whose only configuration is
 * `MCP_AUTH_STATIC_CLIENTS`. No browser, no registration: the SDK follows the 401 to the
 * protected resource metadata and the authorization server metadata, asks the token endpoint
 * for a client credentials token, and calls tools with it.
 */

jest.setTimeout(120_000);

const BASIC_CLIENT = {
  client_id: 'sdk-machine-basic',
  client_secret: 'sdk-machine-basic-secret-0123456789abcdef',
  token_endpoint_auth_method: 'client_secret_basic',
  grant_types: ['client_credentials'],
  scope: 'mcp:tools mcp:admin',
  client_name: 'Nightly job (shared secret)',
};
const JWT_CLIENT_ID = 'sdk-machine-jwt';

describe('Official MCP SDK client with the client credentials providers against the sample server', () => {
  let sample: SampleApp;
  let key: ClientKey;
  const open: Client[] = [];

  beforeAll(async () => {
    key = await generateClientKey('ES256');
    sample = await startSampleApp({
      MCP_AUTH_STATIC_CLIENTS: JSON.stringify([
        BASIC_CLIENT,
        {
          client_id: JWT_CLIENT_ID,
          token_endpoint_auth_method: 'private_key_jwt',
          grant_types: ['client_credentials'],
          jwks: jwksOf(key),
          client_name: 'Deployment agent (signed assertions)',
        },
      ]),
    });
  });

  afterAll(async () => {
    for (const client of open) await client.close().catch(() => undefined);
    await sample?.close();
  });

  async function connect(provider: OAuthClientProvider, log: Exchange[]): Promise<Client> {
    const transport = new StreamableHTTPClientTransport(new URL(sample.mcpUrl), {
      authProvider: provider,
      fetch: recordingFetch(log),
    });
    const client = new Client({ name: 'mcp-auth-machine-proof', version: '1.0.0' });
    await client.connect(transport);
    open.push(client);
    return client;
  }

  /** Rows of the server's spent-assertion table. */
  async function spentJtis(): Promise<number> {
    const rows = await sample.app
      .get(DataSource)
      .query<{ count: string }[]>('SELECT count(*)::text AS count FROM mcp_auth_used_jtis');
    return Number(rows[0].count);
  }

  const tokenExchanges = (log: Exchange[]) =>
    log.filter((exchange) => exchange.url === `${sample.issuer}/token`);

  /** What the SDK did before its first successful MCP request: discovery, then one token. */
  function expectMachineDiscovery(log: Exchange[]): Exchange {
    const steps = log.map((exchange) => `${exchange.method} ${exchange.url} ${exchange.status}`);
    const prmUrl = `${sample.issuer}/.well-known/oauth-protected-resource/mcp`;
    expect(steps.slice(0, 4)).toEqual([
      `POST ${sample.mcpUrl} 401`,
      `GET ${prmUrl} 200`,
      `GET ${sample.issuer}/.well-known/oauth-authorization-server 200`,
      `POST ${sample.issuer}/token 200`,
    ]);
    // No browser, no registration.
    expect(steps.filter((step) => /\/(authorize|register|interaction)/.test(step))).toEqual([]);
    const exchanges = tokenExchanges(log);
    expect(exchanges).toHaveLength(1);
    const form = formOf(exchanges[0]);
    expect(form.get('grant_type')).toBe('client_credentials');
    expect(form.get('resource')).toBe(sample.mcpUrl);
    return exchanges[0];
  }

  /** The issued token: for the client itself, no refresh token; and its grant on the server. */
  async function expectMachineTokens(provider: OAuthClientProvider, clientId: string) {
    const tokens = await provider.tokens();
    expect(tokens?.token_type).toBe('Bearer');
    expect(tokens?.refresh_token).toBeUndefined();
    const claims = decodeJwt(tokens!.access_token);
    expect(claims).toMatchObject({
      iss: sample.issuer,
      sub: clientId,
      client_id: clientId,
      gty: 'client_credentials',
      aud: sample.mcpUrl,
    });
    const grant = await sample.app
      .get<symbol, GrantStoreContract>(GrantStore)
      .findGrant(claims.gid as string);
    expect(grant).toMatchObject({ clientId, subject: clientId, resource: sample.mcpUrl });
    return claims;
  }

  async function expectTools(client: Client, clientId: string, scopes: string[]): Promise<void> {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual([
      'current_time',
      'echo',
      'server_stats',
      'whoami',
    ]);
    const whoami = (await client.callTool({ name: 'whoami' })) as ToolResult;
    expect(whoami.structuredContent).toEqual({
      subject: clientId,
      clientId,
      scopes,
      expiresAt: expect.any(String),
      resource: sample.mcpUrl,
    });
    const echo = (await client.callTool({ name: 'echo', arguments: { text: 'machine' } })) as
      ToolResult | undefined;
    expect(echo?.content).toEqual([{ type: 'text', text: 'machine' }]);
  }

  it('ClientCredentialsProvider (client_secret_basic): connects with no browser, lists tools, calls whoami as the client', async () => {
    const log: Exchange[] = [];
    const provider = new ClientCredentialsProvider({
      clientId: BASIC_CLIENT.client_id,
      clientSecret: BASIC_CLIENT.client_secret,
      expectedIssuer: sample.issuer,
    });
    const client = await connect(provider, log);

    const exchange = expectMachineDiscovery(log);
    // client_secret_basic: the credentials in the header, none in the body.
    const authorization = exchange.requestHeaders.get('authorization') ?? '';
    expect(authorization).toMatch(/^Basic /);
    expect(Buffer.from(authorization.slice(6), 'base64').toString()).toBe(
      `${BASIC_CLIENT.client_id}:${BASIC_CLIENT.client_secret}`,
    );
    const form = formOf(exchange);
    expect(form.get('client_secret')).toBeNull();
    expect(form.get('client_assertion')).toBeNull();
    // SDK 1.32 asks for no scope unless told: the server grants the resource's defaults the
    // client may have (mcp:tools), which is what the 401 challenge named.
    expect(form.get('scope')).toBeNull();

    expect((await expectMachineTokens(provider, BASIC_CLIENT.client_id)).scope).toBe('mcp:tools');
    await expectTools(client, BASIC_CLIENT.client_id, ['mcp:tools']);
    // Every MCP request after the token carried it; no other token request.
    expect(tokenExchanges(log)).toHaveLength(1);
  });

  it('PrivateKeyJwtProvider (private_key_jwt, inline jwks): the token request carries a signed assertion and no secret; tools work', async () => {
    const log: Exchange[] = [];
    const spentBefore = await spentJtis();
    const provider = new PrivateKeyJwtProvider({
      clientId: JWT_CLIENT_ID,
      privateKey: key.privateJwk,
      algorithm: 'ES256',
      expectedIssuer: sample.issuer,
    });
    const client = await connect(provider, log);

    const exchange = expectMachineDiscovery(log);
    expect(exchange.requestHeaders.get('authorization')).toBeNull();
    const form = formOf(exchange);
    expect(form.get('client_secret')).toBeNull();
    expect(form.get('client_assertion_type')).toBe(
      'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    );
    const assertion = decodeJwt(form.get('client_assertion') ?? '');
    expect(assertion).toMatchObject({
      iss: JWT_CLIENT_ID,
      sub: JWT_CLIENT_ID,
      aud: sample.issuer,
      jti: expect.any(String),
    });

    await expectMachineTokens(provider, JWT_CLIENT_ID);
    // The server checked the assertion: its jti is now recorded as spent.
    expect(await spentJtis()).toBe(spentBefore + 1);
    await expectTools(client, JWT_CLIENT_ID, ['mcp:tools']);
  });

  it('a machine client asking for mcp:admin up front (within its registered scope) calls server_stats', async () => {
    const log: Exchange[] = [];
    const provider = new ClientCredentialsProvider({
      clientId: BASIC_CLIENT.client_id,
      clientSecret: BASIC_CLIENT.client_secret,
      expectedIssuer: sample.issuer,
      scope: 'mcp:tools mcp:admin',
    });
    const client = await connect(provider, log);
    expect(formOf(tokenExchanges(log)[0]).get('scope')).toBe('mcp:tools mcp:admin');
    const stats = (await client.callTool({ name: 'server_stats' })) as ToolResult;
    expect(stats.structuredContent).toMatchObject({
      toolCalls: expect.any(Number),
      uptimeSeconds: expect.any(Number),
    });
  });

  it('PrivateKeyJwtProvider with a key the server does not know: the token endpoint refuses it (401 invalid_client), nothing connects', async () => {
    const log: Exchange[] = [];
    const stranger = await generateClientKey('ES256');
    const provider = new PrivateKeyJwtProvider({
      clientId: JWT_CLIENT_ID,
      privateKey: stranger.privateJwk,
      algorithm: 'ES256',
      expectedIssuer: sample.issuer,
    });
    const transport = new StreamableHTTPClientTransport(new URL(sample.mcpUrl), {
      authProvider: provider,
      fetch: recordingFetch(log),
    });
    const client = new Client({ name: 'mcp-auth-machine-proof', version: '1.0.0' });
    // The SDK read the answer as invalid_client (it retries such an error once, then gives up).
    await expect(client.connect(transport)).rejects.toBeInstanceOf(InvalidClientError);
    await client.close().catch(() => undefined);
    const refused = tokenExchanges(log).map((exchange) => exchange.status);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(refused.every((status) => status === 401)).toBe(true);
    expect(provider.tokens()).toBeUndefined();
    expect(
      log.filter((exchange) => exchange.url === sample.mcpUrl && exchange.status === 200),
    ).toEqual([]);
  });

  it('the metadata the SDK read advertises client_credentials and private_key_jwt', async () => {
    const metadata = (await (
      await fetch(`${sample.issuer}/.well-known/oauth-authorization-server`)
    ).json()) as Record<string, string[]>;
    expect(metadata.grant_types_supported).toContain('client_credentials');
    expect(metadata.token_endpoint_auth_methods_supported).toContain('private_key_jwt');
    expect(metadata.token_endpoint_auth_signing_alg_values_supported).toContain('ES256');
  });
});
