import { ClientStore, ConsentStore } from '@app/mcp-auth';
import { TestBrowser } from './support/browser';
import {
  startMetadataDocumentServer,
  type MetadataDocumentServer,
} from './support/metadata-document-server';
import { computeS256Challenge } from './support/pkce';
import { closeAppKeepingDatabase, createTestApp, type TestApp } from './support/test-app';

/**
 * Client ID Metadata Documents (AS-11, AS-17): an https client_id names a document the server
 * fetches from a local HTTPS server (test CA, loopback allowed for `localhost` only), caches in
 * PostgreSQL by its cache headers, and uses like a registered client.
 */
const VERIFIER = 'v'.repeat(43);
const CALLBACK = 'http://127.0.0.1:21001/callback';
const WEB_CALLBACK = 'https://app.example.com/callback';

const json = (response: Response) => response.json() as Promise<Record<string, string | boolean>>;

describe('Client ID Metadata Documents (AS-11)', () => {
  let docs: MetadataDocumentServer;
  let t: TestApp;
  let counter = 0;

  /** A fresh document path, so each test starts with nothing cached. */
  function newClientPath(): string {
    counter += 1;
    return `/clients/${counter}/metadata.json`;
  }

  function document(clientId: string, overrides: Record<string, unknown> = {}) {
    return {
      client_id: clientId,
      client_name: 'Example Agent',
      redirect_uris: [CALLBACK],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      ...overrides,
    };
  }

  function authorizeUrl(clientId: string, params: Record<string, string> = {}): string {
    const url = new URL(`${t.url}/authorize`);
    const all = {
      response_type: 'code',
      client_id: clientId,
      redirect_uri: CALLBACK,
      code_challenge: computeS256Challenge(VERIFIER),
      code_challenge_method: 'S256',
      state: 'cimd-state',
      scope: 'mcp:tools offline_access',
      ...params,
    };
    for (const [name, value] of Object.entries(all)) url.searchParams.set(name, value);
    return url.toString();
  }

  async function token(form: Record<string, string>): Promise<Response> {
    return fetch(`${t.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
  }

  async function exchange(clientId: string, code: string, redirectUri = CALLBACK) {
    return token({
      grant_type: 'authorization_code',
      client_id: clientId,
      code,
      redirect_uri: redirectUri,
      code_verifier: VERIFIER,
    });
  }

  beforeAll(async () => {
    docs = await startMetadataDocumentServer();
    t = await createTestApp({
      auth: () => ({
        clientMetadataDocuments: { allowLoopbackHosts: ['localhost'], ca: docs.ca },
      }),
    });
  });

  afterAll(async () => {
    await t?.close();
    await docs?.close();
  });

  it('advertises client_id_metadata_document_supported in the authorization server metadata', async () => {
    const metadata = await json(await fetch(`${t.url}/.well-known/oauth-authorization-server`));
    expect(metadata.client_id_metadata_document_supported).toBe(true);
    // Dynamic registration stays for older clients (AS-9).
    expect(metadata.registration_endpoint).toBe(`${t.url}/register`);
  });

  it('completes the code flow and a refresh for a client known only by its document URL', async () => {
    const path = newClientPath();
    const clientId = docs.url(path);
    docs.publish(path, document(clientId), { 'cache-control': 'max-age=600' });

    const browser = new TestBrowser(t.url);
    const redirect = await browser.authorize(authorizeUrl(clientId));
    expect(browser.lastPages).toEqual(['login', 'consent']);
    expect(redirect.origin + redirect.pathname).toBe(CALLBACK);
    expect(redirect.searchParams.get('state')).toBe('cimd-state');
    const code = redirect.searchParams.get('code');
    expect(code).toBeTruthy();
    expect(docs.hits(path)).toBe(1);

    const tokens = await exchange(clientId, code!);
    expect(tokens.status).toBe(200);
    const body = await json(tokens);
    expect(body.token_type).toBe('Bearer');
    expect(body.refresh_token).toEqual(expect.any(String));

    const refreshed = await token({
      grant_type: 'refresh_token',
      client_id: clientId,
      refresh_token: String(body.refresh_token),
    });
    expect(refreshed.status).toBe(200);
    expect((await json(refreshed)).access_token).toEqual(expect.any(String));
    // The token endpoint never fetches: the cached copy identifies the client there.
    expect(docs.hits(path)).toBe(1);

    const stored = await t.app.get<ClientStore>(ClientStore).findById(clientId);
    expect(stored).toMatchObject({
      source: 'metadata_document',
      clientName: 'Example Agent',
      tokenEndpointAuthMethod: 'none',
      clientSecretHash: null,
      redirectUris: [CALLBACK],
    });
  });

  it('sends no cookies or credentials to the document host, only Accept and a User-Agent', async () => {
    const path = newClientPath();
    const clientId = docs.url(path);
    docs.publish(path, document(clientId));
    const browser = new TestBrowser(t.url);
    await browser.navigate(authorizeUrl(clientId));
    const request = docs.requests.filter((r) => r.path === path).at(-1)!;
    expect(request.headers.cookie).toBeUndefined();
    expect(request.headers.authorization).toBeUndefined();
    expect(request.headers.accept).toBe('application/json');
  });

  it('reuses the cached document within its max-age, shared through the database', async () => {
    const path = newClientPath();
    const clientId = docs.url(path);
    docs.publish(path, document(clientId), { 'cache-control': 'max-age=600' });
    for (let i = 0; i < 3; i++) {
      const page = await new TestBrowser(t.url).navigate(authorizeUrl(clientId));
      expect(page.response.status).toBe(200);
    }
    expect(docs.hits(path)).toBe(1);

    // A second instance of the same issuer on the same database uses the same copy.
    const second = await createTestApp({
      db: t.db,
      auth: () => ({
        issuer: t.url,
        clientMetadataDocuments: { allowLoopbackHosts: ['localhost'], ca: docs.ca },
      }),
    });
    try {
      const url = authorizeUrl(clientId).replace(t.url, second.url);
      const response = await fetch(url, { redirect: 'manual' });
      // Accepted: on to the sign-in page, which lives under the shared issuer.
      expect(response.status).toBe(302);
      expect(response.headers.get('location')).toMatch(new RegExp(`^${t.url}/interaction/`));
      expect(docs.hits(path)).toBe(1);
    } finally {
      await closeAppKeepingDatabase(second.app, t.db);
    }
  });

  it('fetches again once the cached copy is stale, and follows a changed document', async () => {
    const path = newClientPath();
    const clientId = docs.url(path);
    docs.publish(path, document(clientId), { 'cache-control': 'max-age=600' });
    const first = await new TestBrowser(t.url).navigate(authorizeUrl(clientId));
    expect(first.response.status).toBe(200);

    // The document now lists only a web callback; until the copy is stale the old one holds.
    docs.publish(path, document(clientId, { redirect_uris: [WEB_CALLBACK] }));
    const stillCached = await new TestBrowser(t.url).navigate(authorizeUrl(clientId));
    expect(stillCached.response.status).toBe(200);
    expect(docs.hits(path)).toBe(1);

    await expireCachedCopy(clientId);
    const removed = await new TestBrowser(t.url).navigate(authorizeUrl(clientId));
    expect(removed.response.status).toBe(400);
    expect(removed.html).toContain('The redirect_uri is not registered for this client.');
    const added = await new TestBrowser(t.url).navigate(
      authorizeUrl(clientId, { redirect_uri: WEB_CALLBACK }),
    );
    expect(added.response.status).toBe(200);
    expect(docs.hits(path)).toBe(2);
  });

  it('a withdrawn document stops new authorizations with a clear error; existing grants keep refreshing', async () => {
    const path = newClientPath();
    const clientId = docs.url(path);
    docs.publish(path, document(clientId));
    const redirect = await new TestBrowser(t.url).authorize(authorizeUrl(clientId));
    const tokens = await json(await exchange(clientId, redirect.searchParams.get('code')!));

    docs.withdraw(path);
    await expireCachedCopy(clientId);
    const page = await new TestBrowser(t.url).navigate(authorizeUrl(clientId));
    expect(page.response.status).toBe(400);
    expect(page.html).toContain('metadata document could not be retrieved (it answered HTTP 404)');
    // Not redirected: the redirect URI cannot be trusted without the document (AS-14).
    expect(page.location).toBeUndefined();

    const refreshed = await token({
      grant_type: 'refresh_token',
      client_id: clientId,
      refresh_token: String(tokens.refresh_token),
    });
    expect(refreshed.status).toBe(200);
  });

  it('shows the client_id host beside the name and the redirect host on the consent page', async () => {
    const path = newClientPath();
    const clientId = docs.url(path);
    docs.publish(path, document(clientId, { redirect_uris: [WEB_CALLBACK] }));
    const html = await consentPage(authorizeUrl(clientId, { redirect_uri: WEB_CALLBACK }));
    expect(html).toContain(
      `<p class="origin">Published by <strong>localhost:${docs.port}</strong></p>`,
    );
    expect(html).toContain(
      `<strong>Example Agent</strong> from <strong>localhost:${docs.port}</strong> is asking`,
    );
    expect(html).toContain('You will be sent back to <strong>app.example.com</strong>');
    expect(html).not.toContain('any program can claim to be');
  });

  it('warns when every redirect URI is on loopback, and never remembers that consent', async () => {
    const path = newClientPath();
    const clientId = docs.url(path);
    docs.publish(path, document(clientId));
    const html = await consentPage(authorizeUrl(clientId));
    expect(html).toContain(`any program can claim to be localhost:${docs.port}`);

    // Approve twice: consent is asked both times and never stored.
    for (let round = 0; round < 2; round++) {
      const browser = new TestBrowser(t.url);
      await browser.authorize(authorizeUrl(clientId));
      expect(browser.lastPages).toEqual(['login', 'consent']);
    }
    const consent = await t.app.get<ConsentStore>(ConsentStore).find('user-alice', clientId);
    expect(consent).toBeNull();
  });

  it('with consent.rememberForPublicClients, consent for a web client is remembered, for a loopback-only one never', async () => {
    const relaxed = await createTestApp({
      db: t.db,
      auth: () => ({
        clientMetadataDocuments: { allowLoopbackHosts: ['localhost'], ca: docs.ca },
        consent: { rememberForPublicClients: true },
      }),
    });
    try {
      const webPath = newClientPath();
      const webClient = docs.url(webPath);
      docs.publish(webPath, document(webClient, { redirect_uris: [WEB_CALLBACK] }));
      const loopPath = newClientPath();
      const loopClient = docs.url(loopPath);
      docs.publish(loopPath, document(loopClient));
      const pagesFor = async (clientId: string, redirectUri: string) => {
        const browser = new TestBrowser(relaxed.url);
        const url = authorizeUrl(clientId, { redirect_uri: redirectUri, scope: 'mcp:tools' });
        await browser.authorize(url.replace(t.url, relaxed.url));
        return browser.lastPages;
      };
      expect(await pagesFor(webClient, WEB_CALLBACK)).toEqual(['login', 'consent']);
      expect(await pagesFor(webClient, WEB_CALLBACK)).toEqual(['login']);
      // AS-17: any local program can claim a loopback-only document's URL.
      expect(await pagesFor(loopClient, CALLBACK)).toEqual(['login', 'consent']);
      expect(await pagesFor(loopClient, CALLBACK)).toEqual(['login', 'consent']);
      const consents = relaxed.app.get<ConsentStore>(ConsentStore);
      expect(await consents.find('user-alice', webClient)).not.toBeNull();
      expect(await consents.find('user-alice', loopClient)).toBeNull();
    } finally {
      await closeAppKeepingDatabase(relaxed.app, t.db);
    }
  });

  it('with metadata documents turned off, a URL client_id is an unknown client and nothing is fetched', async () => {
    const off = await createTestApp({
      db: t.db,
      auth: () => ({ clientMetadataDocuments: { enabled: false } }),
    });
    try {
      const metadata = await json(await fetch(`${off.url}/.well-known/oauth-authorization-server`));
      expect(metadata.client_id_metadata_document_supported).toBeUndefined();
      const path = newClientPath();
      const clientId = docs.url(path);
      docs.publish(path, document(clientId));
      const url = authorizeUrl(clientId).replace(t.url, off.url);
      const page = await new TestBrowser(off.url).navigate(url);
      expect(page.response.status).toBe(400);
      expect(page.html).toContain('The client is not registered here.');
      expect(docs.hits(path)).toBe(0);
    } finally {
      await closeAppKeepingDatabase(off.app, t.db);
    }
  });

  /** Signs alice in and returns the consent page's HTML. */
  async function consentPage(url: string): Promise<string> {
    const browser = new TestBrowser(t.url);
    const login = await browser.navigate(url);
    const csrf = /name="csrf" value="([^"]+)"/.exec(login.html ?? '')?.[1];
    const action = /action="([^"]+)"/.exec(login.html ?? '')?.[1];
    expect(csrf && action).toBeTruthy();
    const consent = await browser.navigate(new URL(action!, t.url).toString(), {
      form: { csrf: csrf!, username: 'alice', password: 'alice-password' },
    });
    return consent.html ?? '';
  }

  async function expireCachedCopy(clientId: string): Promise<void> {
    await t.db.dataSource.query(
      `UPDATE mcp_auth_clients SET document_expires_at = now() - interval '1 second'
       WHERE client_id = $1`,
      [clientId],
    );
  }
});
