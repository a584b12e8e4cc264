import { ClientStore } from '@app/mcp-auth';
import { Logger } from '@nestjs/common';
import {
  Client as ClientV2,
  StreamableHTTPClientTransport as StreamableHTTPClientTransportV2,
  UnauthorizedError as UnauthorizedErrorV2,
} from '@modelcontextprotocol/client';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startMetadataDocumentServer,
  type MetadataDocumentServer,
} from '../support/metadata-document-server';
import {
  InMemoryOAuthClientProvider,
  recordingFetch,
  type Exchange,
} from '../support/oauth-client-provider';
import { freePort, TEST_HTTP_ADAPTER } from '../support/test-app';
import { DEMO_SUBJECT, DEMO_USER, startSampleApp, type SampleApp } from './support/sample-app';
import { formOf, isMcpPost, type ToolResult } from './support/sdk-proof';

/**
 * Client proof 1, Client ID Metadata Documents (AS-11): the official MCP SDK clients, v1
 * (`@modelcontextprotocol/sdk` 1.32) and v2 (`@modelcontextprotocol/client`), given an
 * `OAuthClientProvider` whose `clientMetadataUrl` names the client's published metadata
 * document, against the real sample server. The SDK sees `client_id_metadata_document_supported`
 * in the authorization server metadata, sends the document URL as its client_id and never
 * registers; the server fetches the document (from a local HTTPS server with a throw-away test
 * CA, allowed through `MCP_AUTH_CIMD_ALLOW_LOOPBACK_HOSTS=localhost` and `MCP_AUTH_CIMD_CA_FILE`)
 * when the person opens the authorization URL. Also with dynamic registration turned off
 * (`MCP_AUTH_DYNAMIC_REGISTRATION=false`). Runs on the suite's adapter
 * (`TEST_HTTP_ADAPTER=fastify` for Fastify).
 */

jest.setTimeout(120_000);

/** `METHOD url status` of every exchange, to compare sequences. */
const lines = (exchanges: Exchange[]) => exchanges.map((e) => `${e.method} ${e.url} ${e.status}`);

/** Anything the client sent to the registration endpoint (there must be nothing). */
const registrations = (log: Exchange[], issuer: string) =>
  log.filter((e) => e.url.startsWith(`${issuer}/register`));

describe(`AS-11: official MCP SDK clients with a Client ID Metadata Document, against the sample server on ${TEST_HTTP_ADAPTER}`, () => {
  let docs: MetadataDocumentServer;
  let caDir: string;
  /** The sample's environment for metadata documents served by `docs`. */
  let cimdEnv: Record<string, string>;
  let counter = 0;

  /**
   * Publishes a public client's metadata document at a fresh path, cacheable for ten minutes;
   * its client_id is its own URL and its one redirect URI is the provider's.
   */
  function publishClient(name: string, redirectUrl: string): { url: string; path: string } {
    counter += 1;
    const path = `/clients/${counter}/${name.replace(/\W+/g, '-').toLowerCase()}.json`;
    const url = docs.url(path);
    docs.publish(
      path,
      {
        client_id: url,
        client_name: name,
        client_uri: docs.origin,
        redirect_uris: [redirectUrl],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      },
      { 'cache-control': 'max-age=600' },
    );
    return { url, path };
  }

  /**
   * Boots the sample with `env` added to the metadata-document settings; the loopback warning
   * it prints at boot is expected here, so it is checked and kept out of the test output.
   */
  async function startCimdSample(env: Record<string, string> = {}): Promise<SampleApp> {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    let started: SampleApp;
    let warnings: unknown[];
    try {
      started = await startSampleApp({ ...cimdEnv, ...env });
      warnings = warn.mock.calls.map(([message]) => message);
    } finally {
      warn.mockRestore();
    }
    try {
      expect(warnings).toContainEqual(
        expect.stringContaining('MCP_AUTH_CIMD_ALLOW_LOOPBACK_HOSTS is set (localhost)'),
      );
    } catch (error) {
      await started.close();
      throw error;
    }
    return started;
  }

  /** A provider on a free loopback callback port, with `clientMetadataUrl` set to its document. */
  async function cimdProvider(name: string) {
    const redirectUrl = `http://127.0.0.1:${await freePort()}/callback`;
    const { url, path } = publishClient(name, redirectUrl);
    const provider = new InMemoryOAuthClientProvider(redirectUrl, {
      user: DEMO_USER,
      clientMetadataUrl: url,
    });
    return { provider, url, path };
  }

  beforeAll(async () => {
    docs = await startMetadataDocumentServer();
    caDir = await mkdtemp(join(tmpdir(), 'mcp-auth-cimd-ca-'));
    const caFile = join(caDir, 'ca.pem');
    await writeFile(caFile, docs.ca);
    cimdEnv = { MCP_AUTH_CIMD_ALLOW_LOOPBACK_HOSTS: 'localhost', MCP_AUTH_CIMD_CA_FILE: caFile };
  });
  afterAll(async () => {
    await docs?.close();
    if (caDir) await rm(caDir, { recursive: true, force: true });
  });

  describe('with dynamic registration available too (the sample’s default)', () => {
    let sample: SampleApp;

    beforeAll(async () => {
      sample = await startCimdSample();
    });
    afterAll(() => sample?.close());

    it('AS-11: runs on the adapter under test and advertises metadata documents beside /register', async () => {
      expect(sample.app.getHttpAdapter().getType()).toBe(TEST_HTTP_ADAPTER);
      const metadata = (await (
        await fetch(`${sample.issuer}/.well-known/oauth-authorization-server`)
      ).json()) as Record<string, unknown>;
      expect(metadata.client_id_metadata_document_supported).toBe(true);
      expect(metadata.registration_endpoint).toBe(`${sample.issuer}/register`);
    });

    describe('SDK v1 (@modelcontextprotocol/sdk, Client + StreamableHTTPClientTransport)', () => {
      const log: Exchange[] = [];
      let provider: InMemoryOAuthClientProvider;
      let documentUrl: string;
      let documentPath: string;
      let firstTransport: StreamableHTTPClientTransport;
      let client: Client | undefined;

      async function connect(): Promise<Client> {
        const transport = new StreamableHTTPClientTransport(new URL(sample.mcpUrl), {
          authProvider: provider,
          fetch: recordingFetch(log),
        });
        const created = new Client({ name: 'mcp-auth-cimd-proof', version: '1.0.0' });
        await created.connect(transport);
        return created;
      }

      beforeAll(async () => {
        ({ provider, url: documentUrl, path: documentPath } = await cimdProvider('CIMD SDK v1'));
      });
      afterAll(async () => {
        await client?.close();
      });

      it('AS-11: connect() gets 401, discovers the AS, takes the document URL as client_id without registering, and asks to open the authorization URL', async () => {
        firstTransport = new StreamableHTTPClientTransport(new URL(sample.mcpUrl), {
          authProvider: provider,
          fetch: recordingFetch(log),
        });
        const first = new Client({ name: 'mcp-auth-cimd-proof', version: '1.0.0' });
        await expect(first.connect(firstTransport)).rejects.toBeInstanceOf(UnauthorizedError);

        expect(isMcpPost(log[0], sample.mcpUrl)).toBe(true);
        expect(log[0].status).toBe(401);
        // PRM, AS metadata, and straight to the browser: no POST /register.
        expect(lines(log.slice(1))).toEqual([
          `GET ${sample.issuer}/.well-known/oauth-protected-resource/mcp 200`,
          `GET ${sample.issuer}/.well-known/oauth-authorization-server 200`,
        ]);
        expect(provider.clientInformation()?.client_id).toBe(documentUrl);

        expect(provider.authorizationUrls).toHaveLength(1);
        const url = provider.authorizationUrls[0];
        expect(url.origin + url.pathname).toBe(`${sample.issuer}/authorize`);
        expect(url.searchParams.get('client_id')).toBe(documentUrl);
        expect(url.searchParams.get('redirect_uri')).toBe(provider.redirectUrl);
        expect(url.searchParams.get('code_challenge_method')).toBe('S256');
        expect(url.searchParams.get('resource')).toBe(sample.mcpUrl);
        // Nothing has asked for the document yet: the SDK does not fetch it, the server does.
        expect(docs.hits(documentPath)).toBe(0);
      });

      it('AS-11: at the authorization URL the server fetches the document; after sign-in and consent finishAuth(code) gets tokens for the URL client_id', async () => {
        const { code } = await provider.signIn(sample.issuer);
        expect(docs.hits(documentPath)).toBe(1);

        await firstTransport.finishAuth(code);
        const exchange = log.at(-1);
        expect(exchange?.url).toBe(`${sample.issuer}/token`);
        expect(exchange?.status).toBe(200);
        expect(formOf(exchange).get('grant_type')).toBe('authorization_code');
        expect(formOf(exchange).get('client_id')).toBe(documentUrl);
        expect(exchange?.requestHeaders.has('authorization')).toBe(false);
        const tokens = provider.tokens() as OAuthTokens;
        expect(tokens.token_type).toBe('Bearer');
        expect(tokens.refresh_token).toEqual(expect.any(String));

        // The server keeps the document as the client's record (the cached copy).
        const stored = await sample.app.get<ClientStore>(ClientStore).findById(documentUrl);
        expect(stored).toMatchObject({
          source: 'metadata_document',
          clientName: 'CIMD SDK v1',
          redirectUris: [provider.redirectUrl],
          tokenEndpointAuthMethod: 'none',
          clientSecretHash: null,
        });
        expect(stored?.documentExpiresAt?.getTime()).toBeGreaterThan(Date.now());
      });

      it('AS-11: reconnects and calls tools; whoami names the document URL as the client', async () => {
        client = await connect();
        const whoami = (await client.callTool({ name: 'whoami' })) as ToolResult;
        expect(whoami.structuredContent).toMatchObject({
          subject: DEMO_SUBJECT,
          clientId: documentUrl,
          scopes: ['mcp:tools'],
          resource: sample.mcpUrl,
        });
        const echo = (await client.callTool({
          name: 'echo',
          arguments: { text: 'published client' },
        })) as ToolResult;
        expect(echo.content).toEqual([{ type: 'text', text: 'published client' }]);
      });

      it('AS-11: once the access token is refused, the SDK refreshes as the URL client_id (rotating the refresh token) and the call goes through', async () => {
        const before = provider.tokens() as OAuthTokens;
        provider.setTokens({
          ...before,
          access_token: `${before.access_token.slice(0, -8)}AAAAAAAA`,
        });
        const from = log.length;

        const whoami = (await client!.callTool({ name: 'whoami' })) as ToolResult;
        expect(whoami.structuredContent).toMatchObject({
          subject: DEMO_SUBJECT,
          clientId: documentUrl,
        });

        const exchanges = log.slice(from);
        expect(exchanges[0].status).toBe(401);
        expect(exchanges[0].responseHeaders.get('www-authenticate')).toMatch(
          /^Bearer error="invalid_token"/,
        );
        const refresh = exchanges.find((e) => e.url === `${sample.issuer}/token`);
        expect(refresh?.status).toBe(200);
        expect(formOf(refresh).get('grant_type')).toBe('refresh_token');
        expect(formOf(refresh).get('client_id')).toBe(documentUrl);
        expect(exchanges.at(-1)?.status).toBe(200);
        const after = provider.tokens() as OAuthTokens;
        expect(after.access_token).not.toBe(before.access_token);
        expect(after.refresh_token).toEqual(expect.any(String));
        expect(after.refresh_token).not.toBe(before.refresh_token);
      });

      it('AS-11: over the whole flow nothing was sent to /register, and the document was fetched once (its max-age holds)', () => {
        expect(log.length).toBeGreaterThan(5);
        expect(registrations(log, sample.issuer)).toEqual([]);
        expect(docs.hits(documentPath)).toBe(1);
      });
    });

    describe('SDK v2 (@modelcontextprotocol/client, Client + StreamableHTTPClientTransport)', () => {
      const log: Exchange[] = [];
      let provider: InMemoryOAuthClientProvider;
      let documentUrl: string;
      let documentPath: string;
      let transport: StreamableHTTPClientTransportV2;
      let client: ClientV2;

      function newClient(): { client: ClientV2; transport: StreamableHTTPClientTransportV2 } {
        return {
          client: new ClientV2({ name: 'mcp-auth-cimd-proof-v2', version: '1.0.0' }),
          transport: new StreamableHTTPClientTransportV2(new URL(sample.mcpUrl), {
            authProvider: provider,
            fetch: recordingFetch(log),
          }),
        };
      }

      beforeAll(async () => {
        ({ provider, url: documentUrl, path: documentPath } = await cimdProvider('CIMD SDK v2'));
      });
      afterAll(async () => {
        await client?.close().catch(() => undefined);
      });

      it('AS-11: connect() gets 401, discovers the AS, takes the document URL as client_id without registering, and asks to open the authorization URL', async () => {
        ({ client, transport } = newClient());
        await expect(client.connect(transport)).rejects.toBeInstanceOf(UnauthorizedErrorV2);

        expect(isMcpPost(log[0], sample.mcpUrl)).toBe(true);
        expect(log[0].status).toBe(401);
        expect(lines(log.slice(1))).toEqual([
          `GET ${sample.issuer}/.well-known/oauth-protected-resource/mcp 200`,
          `GET ${sample.issuer}/.well-known/oauth-authorization-server 200`,
        ]);
        expect(provider.clientInformation()?.client_id).toBe(documentUrl);

        expect(provider.authorizationUrls).toHaveLength(1);
        const url = provider.authorizationUrls[0];
        expect(url.origin + url.pathname).toBe(`${sample.issuer}/authorize`);
        expect(url.searchParams.get('client_id')).toBe(documentUrl);
        expect(url.searchParams.get('redirect_uri')).toBe(provider.redirectUrl);
        expect(url.searchParams.get('code_challenge_method')).toBe('S256');
        expect(url.searchParams.get('resource')).toBe(sample.mcpUrl);
        expect(url.searchParams.get('scope')).toBe('mcp:tools offline_access');
        expect(docs.hits(documentPath)).toBe(0);
      });

      it('AS-11: at the authorization URL the server fetches the document; finishAuth(callback parameters) gets tokens for the URL client_id', async () => {
        const { redirect } = await provider.signIn(sample.issuer);
        expect(docs.hits(documentPath)).toBe(1);

        await transport.finishAuth(redirect.searchParams);
        const exchange = log.at(-1);
        expect(exchange?.url).toBe(`${sample.issuer}/token`);
        expect(exchange?.status).toBe(200);
        expect(formOf(exchange).get('grant_type')).toBe('authorization_code');
        expect(formOf(exchange).get('client_id')).toBe(documentUrl);
        expect(exchange?.requestHeaders.has('authorization')).toBe(false);
        const tokens = provider.tokens() as OAuthTokens;
        expect(tokens.scope).toBe('mcp:tools offline_access');
        expect(tokens.refresh_token).toEqual(expect.any(String));

        const stored = await sample.app.get<ClientStore>(ClientStore).findById(documentUrl);
        expect(stored).toMatchObject({
          source: 'metadata_document',
          clientName: 'CIMD SDK v2',
          redirectUris: [provider.redirectUrl],
        });
      });

      it('AS-11: connects and calls tools; whoami names the document URL as the client', async () => {
        await client.close();
        ({ client, transport } = newClient());
        await client.connect(transport);

        const whoami = (await client.callTool({ name: 'whoami' })) as ToolResult;
        expect(whoami.structuredContent).toMatchObject({
          subject: DEMO_SUBJECT,
          clientId: documentUrl,
          scopes: ['mcp:tools', 'offline_access'],
          resource: sample.mcpUrl,
        });
        const echo = (await client.callTool({
          name: 'echo',
          arguments: { text: 'published client v2' },
        })) as ToolResult;
        expect(echo.content).toEqual([{ type: 'text', text: 'published client v2' }]);
      });

      it('AS-11: once the access token is refused, the SDK refreshes as the URL client_id (rotating the refresh token) and the call goes through', async () => {
        const before = provider.tokens() as OAuthTokens;
        provider.setTokens({
          ...before,
          access_token: `${before.access_token.slice(0, -8)}AAAAAAAA`,
        });
        const from = log.length;

        const whoami = (await client.callTool({ name: 'whoami' })) as ToolResult;
        expect(whoami.structuredContent).toMatchObject({
          subject: DEMO_SUBJECT,
          clientId: documentUrl,
        });

        const exchanges = log.slice(from);
        expect(exchanges[0].status).toBe(401);
        expect(exchanges[0].responseHeaders.get('www-authenticate')).toMatch(
          /^Bearer error="invalid_token"/,
        );
        const refresh = exchanges.find((e) => e.url === `${sample.issuer}/token`);
        expect(refresh?.status).toBe(200);
        expect(formOf(refresh).get('grant_type')).toBe('refresh_token');
        expect(formOf(refresh).get('client_id')).toBe(documentUrl);
        expect(exchanges.at(-1)?.status).toBe(200);
        const after = provider.tokens() as OAuthTokens;
        expect(after.access_token).not.toBe(before.access_token);
        expect(after.refresh_token).not.toBe(before.refresh_token);
      });

      it('AS-11: over the whole flow nothing was sent to /register, and the document was fetched once (its max-age holds)', () => {
        expect(log.length).toBeGreaterThan(5);
        expect(registrations(log, sample.issuer)).toEqual([]);
        expect(docs.hits(documentPath)).toBe(1);
      });
    });
  });

  describe('with dynamic registration turned off (MCP_AUTH_DYNAMIC_REGISTRATION=false)', () => {
    let sample: SampleApp;

    beforeAll(async () => {
      sample = await startCimdSample({ MCP_AUTH_DYNAMIC_REGISTRATION: 'false' });
    });
    afterAll(() => sample?.close());

    it('AS-11: the metadata has no registration_endpoint and still advertises metadata documents; /register is gone', async () => {
      const metadata = (await (
        await fetch(`${sample.issuer}/.well-known/oauth-authorization-server`)
      ).json()) as Record<string, unknown>;
      expect(metadata).not.toHaveProperty('registration_endpoint');
      expect(metadata.client_id_metadata_document_supported).toBe(true);
      const register = await fetch(`${sample.issuer}/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ redirect_uris: ['http://127.0.0.1/callback'] }),
      });
      expect(register.status).toBe(404);
    });

    it('AS-11: the v1 SDK client with a document URL connects, calls a tool and refreshes', async () => {
      const log: Exchange[] = [];
      const { provider, url, path } = await cimdProvider('CIMD SDK v1 without registration');
      const newTransport = () =>
        new StreamableHTTPClientTransport(new URL(sample.mcpUrl), {
          authProvider: provider,
          fetch: recordingFetch(log),
        });

      const first = newTransport();
      await expect(
        new Client({ name: 'mcp-auth-cimd-proof', version: '1.0.0' }).connect(first),
      ).rejects.toBeInstanceOf(UnauthorizedError);
      expect(provider.authorizationUrl?.searchParams.get('client_id')).toBe(url);
      const { code } = await provider.signIn(sample.issuer);
      await first.finishAuth(code);
      expect(docs.hits(path)).toBe(1);

      const client = new Client({ name: 'mcp-auth-cimd-proof', version: '1.0.0' });
      await client.connect(newTransport());
      try {
        const whoami = (await client.callTool({ name: 'whoami' })) as ToolResult;
        expect(whoami.structuredContent).toMatchObject({ subject: DEMO_SUBJECT, clientId: url });

        const before = provider.tokens() as OAuthTokens;
        provider.setTokens({ ...before, access_token: 'not-a-token' });
        const from = log.length;
        const echo = (await client.callTool({
          name: 'echo',
          arguments: { text: 'no registration needed' },
        })) as ToolResult;
        expect(echo.content).toEqual([{ type: 'text', text: 'no registration needed' }]);
        const refresh = log.slice(from).find((e) => e.url === `${sample.issuer}/token`);
        expect(refresh?.status).toBe(200);
        expect(formOf(refresh).get('grant_type')).toBe('refresh_token');
        expect(formOf(refresh).get('client_id')).toBe(url);
      } finally {
        await client.close();
      }
      expect(registrations(log, sample.issuer)).toEqual([]);
    });

    it('AS-11: the v2 SDK client with a document URL connects and calls a tool', async () => {
      const log: Exchange[] = [];
      const { provider, url, path } = await cimdProvider('CIMD SDK v2 without registration');
      const newTransport = () =>
        new StreamableHTTPClientTransportV2(new URL(sample.mcpUrl), {
          authProvider: provider,
          fetch: recordingFetch(log),
        });

      const first = newTransport();
      await expect(
        new ClientV2({ name: 'mcp-auth-cimd-proof-v2', version: '1.0.0' }).connect(first),
      ).rejects.toBeInstanceOf(UnauthorizedErrorV2);
      expect(provider.authorizationUrl?.searchParams.get('client_id')).toBe(url);
      const { redirect } = await provider.signIn(sample.issuer);
      await first.finishAuth(redirect.searchParams);
      expect(docs.hits(path)).toBe(1);

      const client = new ClientV2({ name: 'mcp-auth-cimd-proof-v2', version: '1.0.0' });
      await client.connect(newTransport());
      try {
        const whoami = (await client.callTool({ name: 'whoami' })) as ToolResult;
        expect(whoami.structuredContent).toMatchObject({ subject: DEMO_SUBJECT, clientId: url });
      } finally {
        await client.close();
      }
      expect(registrations(log, sample.issuer)).toEqual([]);
    });

    it('AS-11: a client without a document URL has no way in: the SDK cannot register and never opens a browser', async () => {
      const log: Exchange[] = [];
      const provider = new InMemoryOAuthClientProvider(
        `http://127.0.0.1:${await freePort()}/callback`,
        { user: DEMO_USER },
      );
      const transport = new StreamableHTTPClientTransport(new URL(sample.mcpUrl), {
        authProvider: provider,
        fetch: recordingFetch(log),
      });
      const failure = await new Client({ name: 'mcp-auth-proof', version: '1.0.0' })
        .connect(transport)
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(Error);
      expect((failure as Error).message).toMatch(/dynamic client registration/);
      expect(provider.clientInformation()).toBeUndefined();
      expect(provider.authorizationUrls).toEqual([]);
      expect(registrations(log, sample.issuer)).toEqual([]);
    });
  });
});
