import { createHash, randomBytes } from 'node:crypto';
import { TestBrowser } from '../support/browser';
import { freePort } from '../support/test-app';
import { DEMO_SUBJECT, DEMO_USER, startSampleApp, type SampleApp } from './support/sample-app';

/**
 * Client proof 4: a client written to the 2025-03-26 revision, with plain fetch. It knows
 * nothing of protected resource metadata (RFC 9728) or resource indicators (RFC 8707): it
 * reads RFC 8414 metadata at the MCP server's origin, registers, authorizes without
 * `resource`, exchanges the code and calls the MCP endpoint (spec digest §4.1, AS-2/AS-3,
 * AS-15: the audience defaults to the canonical MCP URI).
 */

jest.setTimeout(120_000);

const PROTOCOL_VERSION = '2025-03-26';

interface Metadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  registration_endpoint: string;
  code_challenge_methods_supported: string[];
}

interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token?: string;
  scope?: string;
}

function jwtPayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as Record<
    string,
    unknown
  >;
}

describe('A 2025-03-26 client (no PRM, no resource parameter), plain fetch', () => {
  let sample: SampleApp;
  let metadata: Metadata;
  let clientId: string;
  let redirectUri: string;
  let tokens: TokenResponse;

  beforeAll(async () => {
    sample = await startSampleApp();
    redirectUri = `http://127.0.0.1:${await freePort()}/callback`;
  });
  afterAll(() => sample?.close());

  /** A JSON-RPC request to /mcp as a 2025-03-26 Streamable HTTP client sends it. */
  async function mcp(
    body: Record<string, unknown>,
    accessToken?: string,
    sessionId?: string,
  ): Promise<Response> {
    return fetch(sample.mcpUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
        ...(sessionId ? { 'mcp-session-id': sessionId } : {}),
      },
      body: JSON.stringify(body),
    });
  }

  it('gets 401 from /mcp without a token', async () => {
    const response = await mcp({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: PROTOCOL_VERSION,
        capabilities: {},
        clientInfo: { name: 'legacy-client', version: '0.0.1' },
      },
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer /);
  });

  it('finds RFC 8414 metadata at the MCP origin (sending MCP-Protocol-Version), ignoring the path', async () => {
    const origin = new URL(sample.mcpUrl).origin;
    const response = await fetch(`${origin}/.well-known/oauth-authorization-server`, {
      headers: { 'MCP-Protocol-Version': PROTOCOL_VERSION },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    metadata = (await response.json()) as Metadata;
    expect(metadata.issuer).toBe(origin);
    expect(metadata.code_challenge_methods_supported).toContain('S256');
    expect(metadata.registration_endpoint).toBe(`${origin}/register`);
  });

  it('registers at the advertised registration endpoint (RFC 7591)', async () => {
    const response = await fetch(metadata.registration_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'A 2025-03-26 client',
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      }),
    });
    expect(response.status).toBe(201);
    const registered = (await response.json()) as { client_id: string; client_secret?: string };
    expect(registered.client_secret).toBeUndefined();
    clientId = registered.client_id;
  });

  it('authorizes without resource (and without scope), exchanges the code without resource; the token is for <issuer>/mcp', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const state = randomBytes(16).toString('base64url');
    const authorize = new URL(metadata.authorization_endpoint);
    authorize.search = new URLSearchParams({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: redirectUri,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state,
    }).toString();

    const redirect = await new TestBrowser(sample.issuer).authorize(authorize.toString(), {
      username: DEMO_USER.username,
      password: DEMO_USER.password,
    });
    expect(redirect.origin + redirect.pathname).toBe(redirectUri);
    expect(redirect.searchParams.get('state')).toBe(state);
    const code = redirect.searchParams.get('code') as string;
    expect(code).toEqual(expect.any(String));

    const response = await fetch(metadata.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        client_id: clientId,
        code_verifier: verifier,
      }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toContain('no-store');
    tokens = (await response.json()) as TokenResponse;
    expect(tokens.token_type).toBe('Bearer');
    expect(tokens.refresh_token).toEqual(expect.any(String));
    // AS-15: no resource sent, so the audience is the canonical MCP URI; default scopes.
    expect(jwtPayload(tokens.access_token)).toMatchObject({
      iss: sample.issuer,
      aud: sample.mcpUrl,
      sub: DEMO_SUBJECT,
      client_id: clientId,
      scope: 'mcp:tools',
    });
  });

  it('initializes at protocol 2025-03-26 and lists the tools with the token', async () => {
    const init = await mcp(
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: PROTOCOL_VERSION,
          capabilities: {},
          clientInfo: { name: 'legacy-client', version: '0.0.1' },
        },
      },
      tokens.access_token,
    );
    expect(init.status).toBe(200);
    const initialized = (await init.json()) as {
      result: { protocolVersion: string; serverInfo: { name: string } };
    };
    expect(initialized.result.protocolVersion).toBe(PROTOCOL_VERSION);
    expect(initialized.result.serverInfo.name).toBe('sample-mcp-server');
    const sessionId = init.headers.get('mcp-session-id') ?? undefined;

    const notified = await mcp(
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      tokens.access_token,
      sessionId,
    );
    expect(notified.status).toBe(202);

    const list = await mcp(
      { jsonrpc: '2.0', id: 2, method: 'tools/list' },
      tokens.access_token,
      sessionId,
    );
    expect(list.status).toBe(200);
    const listed = (await list.json()) as { result: { tools: { name: string }[] } };
    expect(listed.result.tools.map((tool) => tool.name).sort()).toEqual([
      'current_time',
      'echo',
      'server_stats',
      'whoami',
    ]);
  });

  it('refreshes without resource too (rotation), and the new token works', async () => {
    const response = await fetch(metadata.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token as string,
        client_id: clientId,
      }),
    });
    expect(response.status).toBe(200);
    const refreshed = (await response.json()) as TokenResponse;
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect(jwtPayload(refreshed.access_token).aud).toBe(sample.mcpUrl);

    const call = await mcp(
      { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'whoami', arguments: {} } },
      refreshed.access_token,
    );
    expect(call.status).toBe(200);
    const called = (await call.json()) as { result: { structuredContent: { subject: string } } };
    expect(called.result.structuredContent.subject).toBe(DEMO_SUBJECT);
  });
});
