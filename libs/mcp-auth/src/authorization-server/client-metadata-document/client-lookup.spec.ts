import { Logger } from '@nestjs/common';
import {
  startMetadataDocumentServer,
  type MetadataDocumentServer,
} from '../../../../../test/support/metadata-document-server';
import { McpAuthConfig } from '../../mcp-auth.config';
import type { ClientSource, NewClient } from '../../storage/client-store.interface';
import { ClientLookup, isUrlShaped, MAX_CLIENT_ID_LENGTH } from './client-lookup';
import { ClientMetadataDocumentError } from './client-metadata-document.error';
import { ClientMetadataDocuments } from './client-metadata-documents.service';
import { InMemoryClientStore } from '../../../../../test/support/in-memory-client-store';

const CALLBACK = 'http://127.0.0.1:21001/callback';

function record(
  clientId: string,
  source: ClientSource,
  overrides: Partial<NewClient> = {},
): NewClient {
  return {
    clientId,
    clientSecretHash: null,
    clientSecretExpiresAt: null,
    redirectUris: [CALLBACK],
    tokenEndpointAuthMethod: 'none',
    grantTypes: ['authorization_code', 'refresh_token'],
    responseTypes: ['code'],
    applicationType: 'native',
    clientName: `${source} client`,
    scope: null,
    metadata: {},
    source,
    documentExpiresAt: source === 'metadata_document' ? new Date(Date.now() + 3_600_000) : null,
    ...overrides,
  };
}

describe('isUrlShaped', () => {
  it.each([
    'https://app.example.com/client.json',
    'http://app.example.com/client.json',
    'HTTPS://app.example.com/client.json',
    'Http://x',
    'https:',
    'hTtP:whatever',
  ])('treats %p as a URL', (clientId) => {
    expect(isUrlShaped(clientId)).toBe(true);
  });

  it.each([
    'dynamic-client-id',
    'app.example.com/client.json',
    'httpx://app.example.com',
    'https//app.example.com',
    'my-https://app.example.com',
    ' https://app.example.com/client.json',
    'ftp://app.example.com/client.json',
    '',
  ])('treats %p as a registered id', (clientId) => {
    expect(isUrlShaped(clientId)).toBe(false);
  });

  it('bounds client ids at 1024 characters', () => {
    expect(MAX_CLIENT_ID_LENGTH).toBe(1024);
  });
});

describe('ClientLookup (AS-11)', () => {
  let docs: MetadataDocumentServer;
  let store: InMemoryClientStore;
  let counter = 0;

  function newPath(): string {
    counter += 1;
    return `/lookup/${counter}/metadata.json`;
  }

  function publish(path: string, clientId = docs.url(path)): string {
    docs.publish(path, {
      client_id: clientId,
      client_name: 'Published agent',
      redirect_uris: [CALLBACK],
    });
    return clientId;
  }

  function lookup(enabled = true): ClientLookup {
    const config = new McpAuthConfig({
      issuer: 'https://mcp.example.com',
      resources: [{ path: '/mcp', scopes: ['mcp:tools'] }],
      scopes: { 'mcp:tools': 'Call tools' },
      clientMetadataDocuments: { enabled, allowLoopbackHosts: ['localhost'], ca: docs.ca },
    });
    return new ClientLookup(store, new ClientMetadataDocuments(config, store));
  }

  beforeAll(async () => {
    docs = await startMetadataDocumentServer();
    Logger.overrideLogger(false);
  });
  afterAll(() => docs.close());

  beforeEach(async () => {
    store = new InMemoryClientStore();
    await store.create(record('dynamic-client', 'dynamic'));
    await store.create(record('static-client', 'static'));
  });

  describe('forAuthorization', () => {
    it('looks registered ids up in the store', async () => {
      const clients = lookup();
      expect(await clients.forAuthorization('dynamic-client')).toMatchObject({
        clientId: 'dynamic-client',
        source: 'dynamic',
      });
      expect(await clients.forAuthorization('static-client')).toMatchObject({
        clientId: 'static-client',
        source: 'static',
      });
      expect(await clients.forAuthorization('unknown-client')).toBeNull();
      expect(store.lookups).toEqual(['dynamic-client', 'static-client', 'unknown-client']);
    });

    it('never fetches for an id that is not URL-shaped, even one that names a document', async () => {
      const path = newPath();
      publish(path);
      const received = docs.requests.length;

      expect(await lookup().forAuthorization(`x-${docs.url(path)}`)).toBeNull();
      expect(await lookup().forAuthorization(docs.url(path).slice('https://'.length))).toBeNull();
      expect(docs.requests.length).toBe(received);
    });

    it('resolves an https id through its metadata document', async () => {
      const path = newPath();
      const url = publish(path);

      const client = await lookup().forAuthorization(url);

      expect(client).toMatchObject({
        clientId: url,
        clientName: 'Published agent',
        source: 'metadata_document',
      });
      expect(docs.hits(path)).toBe(1);
      expect(store.clients.get(url)).toEqual(client);
    });

    it('treats the scheme in any case as a URL', async () => {
      const path = newPath();
      // The document names itself in exactly this spelling, which is what it is compared with.
      const url = publish(path, `HTTPS://localhost:${docs.port}${path}`);

      expect(await lookup().forAuthorization(url)).toMatchObject({ clientId: url });
      expect(docs.hits(path)).toBe(1);
    });

    it.each([
      (port: number) => `http://localhost:${port}/client.json`,
      (port: number) => `HTTP://localhost:${port}/client.json`,
      () => 'https:not-a-url',
    ])(
      'explains a URL-shaped id it cannot use instead of calling it unknown (%#)',
      async (build) => {
        const clientId = build(docs.port);
        const received = docs.requests.length;

        const error: unknown = await lookup()
          .forAuthorization(clientId)
          .catch((caught: unknown) => caught);

        expect(error).toBeInstanceOf(ClientMetadataDocumentError);
        expect((error as Error).message).toMatch(
          /^The client_id is not a usable metadata document URL: /,
        );
        expect(docs.requests.length).toBe(received);
      },
    );

    it('passes the error of a document that cannot be retrieved on', async () => {
      const path = newPath();
      const error: unknown = await lookup()
        .forAuthorization(docs.url(path))
        .catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(ClientMetadataDocumentError);
      expect((error as Error).message).toBe(
        "The client's metadata document could not be retrieved (it answered HTTP 404).",
      );
    });

    describe('with metadata documents turned off', () => {
      it('knows no URL client, and fetches nothing', async () => {
        const path = newPath();
        const url = publish(path);

        expect(await lookup(false).forAuthorization(url)).toBeNull();
        expect(await lookup(false).forAuthorization(`http://localhost:${docs.port}/x`)).toBeNull();
        expect(docs.hits(path)).toBe(0);
      });

      it('ignores a cached copy from when they were on', async () => {
        const url = docs.url(newPath());
        await store.upsert(record(url, 'metadata_document'));
        expect(await lookup(false).forAuthorization(url)).toBeNull();
      });

      it('still finds dynamic and static clients', async () => {
        const clients = lookup(false);
        expect(await clients.forAuthorization('dynamic-client')).toMatchObject({
          source: 'dynamic',
        });
        expect(await clients.forAuthorization('static-client')).toMatchObject({
          source: 'static',
        });
      });
    });
  });

  describe('forAuthentication', () => {
    it('finds registered clients and nothing for unknown ids', async () => {
      const clients = lookup();
      expect(await clients.forAuthentication('dynamic-client')).toMatchObject({
        source: 'dynamic',
      });
      expect(await clients.forAuthentication('static-client')).toMatchObject({
        source: 'static',
      });
      expect(await clients.forAuthentication('unknown-client')).toBeNull();
    });

    it('uses the stored copy of a document as it is, even stale, and never fetches', async () => {
      const path = newPath();
      const url = publish(path);
      await store.upsert(
        record(url, 'metadata_document', {
          clientName: 'Stored copy',
          documentExpiresAt: new Date(Date.now() - 60_000),
        }),
      );

      expect(await lookup().forAuthentication(url)).toMatchObject({
        clientId: url,
        clientName: 'Stored copy',
      });
      expect(docs.hits(path)).toBe(0);
    });

    it('does not fetch a document it has never seen', async () => {
      const path = newPath();
      const url = publish(path);

      expect(await lookup().forAuthentication(url)).toBeNull();
      expect(docs.hits(path)).toBe(0);
      expect(store.clients.has(url)).toBe(false);
    });

    it('with metadata documents turned off, knows no document client but every other one', async () => {
      const url = docs.url(newPath());
      await store.upsert(record(url, 'metadata_document'));
      const clients = lookup(false);

      expect(await clients.forAuthentication(url)).toBeNull();
      expect(await clients.forAuthentication('dynamic-client')).toMatchObject({
        source: 'dynamic',
      });
      expect(await clients.forAuthentication('static-client')).toMatchObject({
        source: 'static',
      });
      // Turned on again, the same row is found.
      expect(await lookup(true).forAuthentication(url)).toMatchObject({ clientId: url });
    });
  });
});
