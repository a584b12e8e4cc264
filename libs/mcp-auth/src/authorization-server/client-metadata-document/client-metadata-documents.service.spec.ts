import { Logger } from '@nestjs/common';
import {
  startMetadataDocumentServer,
  type MetadataDocumentServer,
} from '../../../../../test/support/metadata-document-server';
import { McpAuthConfig } from '../../mcp-auth.config';
import { OutboundFetchError } from '../../outbound/outbound-fetch.error';
import type { ClientRecord } from '../../storage/client-store.interface';
import type { ClientMetadataDocumentOptions } from './client-metadata-document-options';
import { ClientMetadataDocumentError } from './client-metadata-document.error';
import { InvalidClientMetadataDocument } from './client-metadata-document.validator';
import { ClientMetadataDocuments } from './client-metadata-documents.service';
import { InMemoryClientStore } from '../../../../../test/support/in-memory-client-store';

const CALLBACK = 'http://127.0.0.1:21001/callback';

/** A cached copy of a document as the service stores it. */
function cachedClient(clientId: string, overrides: Partial<ClientRecord> = {}): ClientRecord {
  return {
    clientId,
    clientSecretHash: null,
    clientSecretExpiresAt: null,
    redirectUris: [CALLBACK],
    tokenEndpointAuthMethod: 'none',
    grantTypes: ['authorization_code', 'refresh_token'],
    responseTypes: ['code'],
    applicationType: 'web',
    clientName: 'Cached name',
    scope: null,
    metadata: {},
    source: 'metadata_document',
    documentExpiresAt: new Date(Date.now() + 3_600_000),
    createdAt: new Date(Date.now() - 60_000),
    ...overrides,
  };
}

describe('ClientMetadataDocuments (AS-11)', () => {
  let docs: MetadataDocumentServer;
  let store: InMemoryClientStore;
  let warnings: jest.SpyInstance;
  let counter = 0;

  /** A fresh document path, so nothing is cached or in flight for it. */
  function newPath(): string {
    counter += 1;
    return `/clients/${counter}/metadata.json`;
  }

  function document(clientId: string, overrides: Record<string, unknown> = {}) {
    return {
      client_id: clientId,
      client_name: 'Example Agent',
      redirect_uris: [CALLBACK],
      token_endpoint_auth_method: 'none',
      ...overrides,
    };
  }

  function service(options: ClientMetadataDocumentOptions = {}): ClientMetadataDocuments {
    const config = new McpAuthConfig({
      issuer: 'https://mcp.example.com',
      resources: [{ path: '/mcp', scopes: ['mcp:tools'] }],
      scopes: { 'mcp:tools': 'Call tools', offline_access: 'Stay signed in' },
      clientMetadataDocuments: { allowLoopbackHosts: ['localhost'], ca: docs.ca, ...options },
    });
    return new ClientMetadataDocuments(config, store);
  }

  /** What `resolve` rejects with; fails the test when it resolves. */
  async function failure(documents: ClientMetadataDocuments, url: string) {
    const error: unknown = await documents.resolve(url).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ClientMetadataDocumentError);
    const refused = error as ClientMetadataDocumentError;
    expect(refused.name).toBe('ClientMetadataDocumentError');
    expect(refused.clientId).toBe(url);
    return refused;
  }

  /** The expiry `resolve` stores is `lifetime` seconds after the fetch. */
  async function storedLifetime(documents: ClientMetadataDocuments, url: string) {
    const before = Date.now();
    const client = await documents.resolve(url);
    const after = Date.now();
    const expiresAt = client.documentExpiresAt!.getTime();
    return { client, from: (expiresAt - after) / 1000, to: (expiresAt - before) / 1000 };
  }

  beforeAll(async () => {
    docs = await startMetadataDocumentServer();
  });
  afterAll(() => docs.close());

  beforeEach(() => {
    store = new InMemoryClientStore();
    warnings = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => warnings.mockRestore());

  it('reports whether documents are enabled', () => {
    expect(service().enabled).toBe(true);
    expect(service({ enabled: false }).enabled).toBe(false);
  });

  it('fetches an unknown document, validates it and stores it as a public client', async () => {
    const path = newPath();
    const url = docs.url(path);
    docs.publish(path, document(url, { scope: 'mcp:tools profile', client_uri: docs.origin }), {
      'cache-control': 'max-age=600',
    });

    const client = await service().resolve(url);

    expect(docs.hits(path)).toBe(1);
    expect(client).toMatchObject({
      clientId: url,
      clientSecretHash: null,
      clientSecretExpiresAt: null,
      redirectUris: [CALLBACK],
      tokenEndpointAuthMethod: 'none',
      grantTypes: ['authorization_code', 'refresh_token'],
      responseTypes: ['code'],
      applicationType: 'web',
      clientName: 'Example Agent',
      scope: 'mcp:tools',
      metadata: { client_uri: docs.origin },
      source: 'metadata_document',
    });
    expect(await store.findById(url)).toEqual(client);
    expect(store.upserts).toBe(1);
  });

  it('uses a fresh cached copy without fetching', async () => {
    const path = newPath();
    const url = docs.url(path);
    docs.publish(path, document(url, { client_name: 'Published name' }));
    const cached = cachedClient(url);
    store.clients.set(url, cached);

    expect(await service().resolve(url)).toBe(cached);
    expect(docs.hits(path)).toBe(0);
    expect(store.upserts).toBe(0);
  });

  it('fetches again when the cached copy is stale, storing the new document and expiry', async () => {
    const path = newPath();
    const url = docs.url(path);
    docs.publish(path, document(url, { client_name: 'New name' }), {
      'cache-control': 'max-age=600',
    });
    store.clients.set(
      url,
      cachedClient(url, { clientName: 'Old name', documentExpiresAt: new Date(Date.now() - 1) }),
    );

    const { client, from, to } = await storedLifetime(service(), url);

    expect(docs.hits(path)).toBe(1);
    expect(client.clientName).toBe('New name');
    expect(from).toBeLessThanOrEqual(600);
    expect(to).toBeGreaterThanOrEqual(600);
    expect(await store.findById(url)).toEqual(client);
    expect(store.upserts).toBe(1);
  });

  it('fetches again when the cached copy has no expiry', async () => {
    const path = newPath();
    const url = docs.url(path);
    docs.publish(path, document(url, { client_name: 'New name' }));
    store.clients.set(url, cachedClient(url, { documentExpiresAt: null }));

    expect((await service().resolve(url)).clientName).toBe('New name');
    expect(docs.hits(path)).toBe(1);
  });

  it('never refetches a record that did not come from a document', async () => {
    const path = newPath();
    const url = docs.url(path);
    docs.publish(path, document(url));
    const registered = cachedClient(url, { source: 'dynamic', documentExpiresAt: null });
    store.clients.set(url, registered);

    expect(await service().resolve(url)).toBe(registered);
    expect(docs.hits(path)).toBe(0);
  });

  describe('cache lifetime', () => {
    const bounds = { cache: { minSeconds: 120, maxSeconds: 900 } };

    it.each([
      ['max-age within the bounds', { 'cache-control': 'max-age=300' }, 300],
      ['max-age below the minimum', { 'cache-control': 'max-age=10' }, 120],
      ['max-age 0', { 'cache-control': 'max-age=0' }, 120],
      ['max-age above the maximum', { 'cache-control': 'public, max-age=100000' }, 900],
      ['no-store', { 'cache-control': 'no-store' }, 120],
      ['no-store with a max-age', { 'cache-control': 'no-store, max-age=600' }, 120],
      ['no-cache', { 'cache-control': 'no-cache' }, 120],
      ['no caching headers', {}, 120],
    ])('follows %s', async (_case, headers, seconds) => {
      const path = newPath();
      const url = docs.url(path);
      docs.publish(path, document(url), headers);

      const { from, to } = await storedLifetime(service(bounds), url);

      expect(from).toBeLessThanOrEqual(seconds);
      expect(to).toBeGreaterThanOrEqual(seconds);
    });

    it('uses the default bounds (60 s to 24 h) when none are configured', async () => {
      const short = newPath();
      docs.publish(short, document(docs.url(short)), { 'cache-control': 'no-store' });
      const long = newPath();
      docs.publish(long, document(docs.url(long)), { 'cache-control': 'max-age=31536000' });

      const minimum = await storedLifetime(service(), docs.url(short));
      const maximum = await storedLifetime(service(), docs.url(long));

      expect(minimum.from).toBeLessThanOrEqual(60);
      expect(minimum.to).toBeGreaterThanOrEqual(60);
      expect(maximum.from).toBeLessThanOrEqual(86_400);
      expect(maximum.to).toBeGreaterThanOrEqual(86_400);
    });
  });

  describe('a document that cannot be retrieved is refused and nothing is stored', () => {
    it('answers with a clear message, keeps the body out of it, and logs the details', async () => {
      const path = newPath();
      const url = docs.url(path);
      docs.route(path, (_request, response) => {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end('{"error":"SECRET-BODY-CONTENT"}');
      });

      const error = await failure(service(), url);

      expect(error.message).toBe(
        "The client's metadata document could not be retrieved (it answered HTTP 500).",
      );
      expect(error.message).not.toContain('SECRET');
      expect(error.cause).toBeInstanceOf(OutboundFetchError);
      expect((error.cause as OutboundFetchError).reason).toBe('http_status');
      expect(docs.hits(path)).toBe(1);
      expect(store.clients.size).toBe(0);
      expect(store.upserts).toBe(0);
      expect(warnings).toHaveBeenCalledWith(expect.stringContaining('(http_status)'));
      expect(warnings).toHaveBeenCalledWith(expect.stringContaining(url));
    });

    it('does not fall back to a stale copy, and leaves it as it was', async () => {
      const path = newPath();
      const url = docs.url(path);
      const stale = cachedClient(url, { documentExpiresAt: new Date(Date.now() - 1000) });
      store.clients.set(url, stale);

      const error = await failure(service(), url);

      expect(error.message).toBe(
        "The client's metadata document could not be retrieved (it answered HTTP 404).",
      );
      expect(store.clients.get(url)).toBe(stale);
      expect(store.upserts).toBe(0);
    });

    it.each<[string, string, (path: string) => void, ClientMetadataDocumentOptions]>([
      [
        'a redirect',
        'the URL redirects, and redirects are not followed',
        (path) =>
          docs.route(path, (_request, response) => {
            response.writeHead(302, { location: 'https://app.example.com/metadata.json' });
            response.end();
          }),
        {},
      ],
      [
        'a body that is not JSON',
        'it is not a JSON object',
        (path) =>
          docs.route(path, (_request, response) => {
            response.writeHead(200, { 'content-type': 'text/html' });
            response.end('<html></html>');
          }),
        {},
      ],
      [
        'a JSON array',
        'it is not a JSON object',
        (path) =>
          docs.route(path, (_request, response) => {
            response.writeHead(200, { 'content-type': 'application/json' });
            response.end('[]');
          }),
        {},
      ],
      [
        'a document over maxBodyBytes',
        'it is too large',
        (path) => docs.publish(path, document('x', { client_name: 'x'.repeat(300) })),
        { maxBodyBytes: 256 },
      ],
      [
        'a connection closed without an answer',
        'the connection failed',
        (path) => docs.route(path, (request) => request.socket.destroy()),
        {},
      ],
      [
        "the operator's URL policy",
        "refused by this server's policy",
        (path) => docs.publish(path, {}),
        { urlPolicy: () => ({ ok: false, reason: 'not on the allow-list' }) },
      ],
      [
        "the operator's document policy",
        "refused by this server's policy",
        (path) => docs.publish(path, {}),
        { documentPolicy: () => ({ ok: false, reason: 'unknown publisher' }) },
      ],
      [
        'a host name that does not resolve',
        'its host name does not resolve',
        (path) => docs.publish(path, {}),
        {
          resolver: async () => {
            throw new Error('ENOTFOUND');
          },
        },
      ],
      [
        'a host name that resolves to a private address',
        'its host is on a private or reserved network',
        (path) => docs.publish(path, {}),
        { resolver: async () => [{ address: '10.0.0.1', family: 4 }] },
      ],
    ])('refuses %s', async (_case, reason, serve, options) => {
      const path = newPath();
      const url = docs.url(path);
      serve(path);

      const error = await failure(service(options), url);

      expect(error.message).toBe(
        `The client's metadata document could not be retrieved (${reason}).`,
      );
      expect(error.cause).toBeInstanceOf(OutboundFetchError);
      expect(store.clients.size).toBe(0);
    });

    it('gives up after timeoutMs when no answer comes', async () => {
      const path = newPath();
      const url = docs.url(path);
      docs.route(path, () => undefined);
      const started = Date.now();

      const error = await failure(service({ timeoutMs: 200 }), url);

      expect(Date.now() - started).toBeLessThan(2000);
      expect(error.message).toBe(
        "The client's metadata document could not be retrieved (it took too long).",
      );
      expect((error.cause as OutboundFetchError).reason).toBe('timeout');
      expect(store.clients.size).toBe(0);
    });

    it('refuses a loopback address for a host not allowed to use it', async () => {
      const path = newPath();
      docs.publish(path, document(`https://127.0.0.1:${docs.port}${path}`));
      const url = `https://127.0.0.1:${docs.port}${path}`;

      const error = await failure(service(), url);

      expect(error.message).toBe(
        "The client's metadata document could not be retrieved (its host is on a private or reserved network).",
      );
      expect(docs.hits(path)).toBe(0);
      expect(store.clients.size).toBe(0);
    });
  });

  describe('an invalid document is refused and nothing is stored', () => {
    it.each([
      [
        'another client_id',
        (url: string) => document(`${url}/`),
        'its client_id is not exactly the URL it was fetched from',
      ],
      [
        'a shared secret',
        (url: string) => document(url, { client_secret: 's'.repeat(32) }),
        'it contains client_secret; a public document cannot',
      ],
      [
        'an http redirect URI off loopback',
        (url: string) => document(url, { redirect_uris: ['http://app.example.com/cb'] }),
        'redirect_uris[0]: redirect URI must use https, or http on localhost, 127.0.0.1 or [::1]',
      ],
    ])('refuses a document with %s', async (_case, build, reason) => {
      const path = newPath();
      const url = docs.url(path);
      docs.publish(path, build(url));

      const error = await failure(service(), url);

      expect(error.message).toBe(`The client's metadata document is not valid: ${reason}.`);
      expect(error.cause).toBeInstanceOf(InvalidClientMetadataDocument);
      expect(docs.hits(path)).toBe(1);
      expect(store.clients.size).toBe(0);
      expect(store.upserts).toBe(0);
      expect(warnings).toHaveBeenCalledWith(
        `client metadata document at ${url} is invalid: ${reason}`,
      );
    });

    it('leaves a stale copy as it was when the new document is invalid', async () => {
      const path = newPath();
      const url = docs.url(path);
      docs.publish(path, document(url, { client_name: '' }));
      const stale = cachedClient(url, { documentExpiresAt: new Date(Date.now() - 1000) });
      store.clients.set(url, stale);

      const error = await failure(service(), url);

      expect(error.message).toBe(
        "The client's metadata document is not valid: it has no client_name.",
      );
      expect(store.clients.get(url)).toBe(stale);
      expect(store.upserts).toBe(0);
    });
  });

  describe('one fetch per URL at a time', () => {
    /** Serves `document` after `ms`, so requests overlap. */
    function publishSlowly(path: string, body: unknown, status = 200, ms = 150): void {
      docs.route(path, (_request, response) => {
        setTimeout(() => {
          response.writeHead(status, { 'content-type': 'application/json' });
          response.end(JSON.stringify(body));
        }, ms);
      });
    }

    it('concurrent calls for one URL share one fetch and its result', async () => {
      const path = newPath();
      const url = docs.url(path);
      publishSlowly(path, document(url));
      const documents = service();

      const results = await Promise.all([1, 2, 3, 4].map(() => documents.resolve(url)));

      expect(docs.hits(path)).toBe(1);
      expect(store.upserts).toBe(1);
      for (const result of results) expect(result).toBe(results[0]);
    });

    it('concurrent calls for different URLs each fetch their own', async () => {
      const first = newPath();
      const second = newPath();
      publishSlowly(first, document(docs.url(first), { client_name: 'First' }));
      publishSlowly(second, document(docs.url(second), { client_name: 'Second' }));
      const documents = service();

      const [a, b] = await Promise.all([
        documents.resolve(docs.url(first)),
        documents.resolve(docs.url(second)),
      ]);

      expect([a.clientName, b.clientName]).toEqual(['First', 'Second']);
      expect(docs.hits(first)).toBe(1);
      expect(docs.hits(second)).toBe(1);
    });

    it('concurrent calls share a failure too', async () => {
      const path = newPath();
      const url = docs.url(path);
      publishSlowly(path, { error: 'down' }, 503);
      const documents = service();

      const outcomes = await Promise.allSettled([1, 2, 3].map(() => documents.resolve(url)));

      expect(docs.hits(path)).toBe(1);
      expect(outcomes.map((outcome) => outcome.status)).toEqual([
        'rejected',
        'rejected',
        'rejected',
      ]);
      const reasons = outcomes.map((outcome) => (outcome as PromiseRejectedResult).reason);
      expect(reasons[0]).toBeInstanceOf(ClientMetadataDocumentError);
      expect(reasons[1]).toBe(reasons[0]);
    });

    it('does not remember a failed fetch: the next call fetches again', async () => {
      const path = newPath();
      const url = docs.url(path);
      publishSlowly(path, { error: 'down' }, 503, 10);
      const documents = service();

      await failure(documents, url);
      docs.publish(path, document(url));
      const client = await documents.resolve(url);

      expect(client.clientName).toBe('Example Agent');
      expect(docs.hits(path)).toBe(2);
    });

    it('fetches again once a shared fetch is over and its copy has gone stale', async () => {
      const path = newPath();
      const url = docs.url(path);
      docs.publish(path, document(url, { client_name: 'First' }));
      const documents = service();
      await documents.resolve(url);
      store.clients.set(url, {
        ...store.clients.get(url)!,
        documentExpiresAt: new Date(Date.now() - 1),
      });
      docs.publish(path, document(url, { client_name: 'Second' }));

      expect((await documents.resolve(url)).clientName).toBe('Second');
      expect(docs.hits(path)).toBe(2);
    });
  });

  describe('a client_id that is not a usable document URL is refused before any fetch', () => {
    it.each([
      ['http', (port: number) => `http://localhost:${port}/client.json`, 'scheme must be https'],
      [
        'a query',
        (port: number) => `https://localhost:${port}/client.json?v=1`,
        'URL must not contain a query',
      ],
      ['no path', (port: number) => `https://localhost:${port}/`, 'URL must have a path component'],
      [
        'a dot segment',
        (port: number) => `https://localhost:${port}/a/../client.json`,
        'URL must not contain . or .. path segments',
      ],
      [
        'a space',
        (port: number) => `https://localhost:${port}/my client.json`,
        'URL must be visible ASCII (no spaces or raw Unicode)',
      ],
    ])('refuses a URL with %s', async (_case, build, reason) => {
      const url = build(docs.port);
      const received = docs.requests.length;

      const error = await failure(service(), url);

      expect(error.message).toBe(`The client_id is not a usable metadata document URL: ${reason}.`);
      expect(docs.requests.length).toBe(received);
      expect(store.clients.size).toBe(0);
    });

    it('refuses a fragment or user information without fetching', async () => {
      const received = docs.requests.length;
      await failure(service(), `https://localhost:${docs.port}/client.json#x`);
      await failure(service(), `https://user@localhost:${docs.port}/client.json`);
      expect(docs.requests.length).toBe(received);
    });
  });
});
