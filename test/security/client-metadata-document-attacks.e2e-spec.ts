import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { connect as netConnect, type LookupFunction, type TcpNetConnectOpts } from 'node:net';
import type {
  HostResolver,
  OutboundDocumentPolicy,
  OutboundUrlPolicy,
  ResolvedAddress,
} from '@app/mcp-auth';
import {
  startMetadataDocumentServer,
  type MetadataDocumentServer,
} from '../support/metadata-document-server';
import type { TestApp } from '../support/test-app';
import { NO_CHANGE } from './support/attack-battery';
import {
  captureLogs,
  changesOf,
  createSecurityApp,
  dumpModuleTables,
  expectErrorPage,
  expectOAuthJson,
  http,
  obtainCode,
  pkce,
  recordTokens,
  redeem,
  REDIRECT_URI,
  refreshWith,
  SecretRegistry,
  WEB_REDIRECT_URI,
  type CapturingLogger,
  type Client,
  type RawResponse,
  type TableChange,
} from './support/harness';
import { jailOutboundConnections, type NetworkJail } from '../support/network-jail';

/**
 * Client ID Metadata Documents (AS-11, AS-17): hostile client_id URLs, DNS answers, document
 * hosts and documents. Every case asserts the exact answer (a 400 page naming the problem,
 * never a redirect), what it changed in the `mcp_auth_` tables (nothing, unless said), what
 * the server resolved and fetched, and that nothing left loopback.
 *
 * - Every host name goes through the test's own resolver (`zone`): no system DNS. Loopback is
 *   allowed for `cimd.localhost` (the cases that must reach the local document server) and
 *   `private.localhost` (which also resolves to 10.0.0.1); elsewhere it is as forbidden as any
 *   private range. Where a refused URL would reach the document server (`cimd.test`,
 *   `localhost`, `127.0.0.1`, the malformed URLs), a valid document waits there: a fetch that
 *   went through would succeed, so a refusal is the check at work.
 * - A jail around `net.Socket#connect` records every outbound connection of the test process
 *   (the app's included) and refuses any to a non-loopback address, even if the server under
 *   test tried one; each case asserts it refused none.
 * - The suite ends with scans: no token, code, secret or document body in any table, page or
 *   log line.
 */

/** The hostile cases declared below (the closing check counts them). */
const EXPECTED_CASES = 94;
const CALLBACK = REDIRECT_URI;
/** A public address (never connected to: any private answer beside it refuses the fetch). */
const PUBLIC_DECOY = '93.184.215.14';
const v4 = (address: string): ResolvedAddress => ({ address, family: 4 });
const v6 = (address: string): ResolvedAddress => ({ address, family: 6 });
const LOOPBACK = [v4('127.0.0.1')];

/** The test's DNS: every name the server may resolve, and nothing else. */
const ZONE: Record<string, readonly ResolvedAddress[]> = {
  // Loopback allowed (allowLoopbackHosts) for these two only; one private answer still refuses.
  'cimd.localhost': LOOPBACK,
  'private.localhost': [v4('127.0.0.1'), v4('10.0.0.1')],
  // Loopback NOT allowed: resolving to the document server must still be refused.
  'cimd.test': LOOPBACK,
  localhost: LOOPBACK,
  'rfc1918.test': [v4('10.0.0.1')],
  'imds.test': [v4('169.254.169.254')],
  'v6-loopback.test': [v6('::1')],
  'ula.test': [v6('fd00::1')],
  'mapped.test': [v6('::ffff:10.0.0.1')],
  'unspecified.test': [v4('0.0.0.0')],
  'rebind.test': [v4(PUBLIC_DECOY), v4('10.0.0.1')],
  'rebind-last.test': [v4(PUBLIC_DECOY), v6('2606:4700:4700::1111'), v6('fe80::1')],
  'private-first.test': [v4('192.168.1.1'), v4(PUBLIC_DECOY)],
  'nothing.test': [],
};

const notUsable = (reason: string) =>
  `The client_id is not a usable metadata document URL: ${reason}.`;
const notRetrieved = (why: string) =>
  `The client's metadata document could not be retrieved (${why}).`;
const notValid = (why: string) => `The client's metadata document is not valid: ${why}.`;
const NOT_REGISTERED = 'The client is not registered here.';
const PRIVATE_NETWORK = notRetrieved('its host is on a private or reserved network');
const POLICY = notRetrieved("refused by this server's policy");
const NOT_JSON = notRetrieved('it is not a JSON object');
const TOO_LARGE = notRetrieved('it is too large');
const REDIRECTS = notRetrieved('the URL redirects, and redirects are not followed');

const added = (count = 1): TableChange => ({ added: count, removed: 0, changed: 0 });

describe('Security: Client ID Metadata Document attacks', () => {
  const secrets = new SecretRegistry();
  /** Every error page the suite received, for the closing scan. */
  const pages: string[] = [];
  let docs: MetadataDocumentServer;
  let t: TestApp;
  /** The same module with `timeoutMs: 500`, on the same database. */
  let impatient: TestApp;
  let logs: { logger: CapturingLogger; restore(): void } | undefined;
  let jail: NetworkJail;
  let cases = 0;
  let counter = 0;

  // ------------------------------------------------------------------------------------------
  // The test's DNS and the operator hooks, changed per case
  // ------------------------------------------------------------------------------------------

  const zone = new Map<string, () => readonly ResolvedAddress[]>();
  const resolutions: string[] = [];
  const resolver: HostResolver = (hostname) => {
    resolutions.push(hostname);
    const answers = zone.get(hostname);
    if (!answers) {
      const error: NodeJS.ErrnoException = new Error(`${hostname} is not in the test zone`);
      error.code = 'ENOTFOUND';
      return Promise.reject(error);
    }
    return Promise.resolve(answers());
  };
  let urlPolicy: OutboundUrlPolicy | undefined;
  let documentPolicy: OutboundDocumentPolicy | undefined;

  const cimdOptions = () => ({
    allowLoopbackHosts: ['cimd.localhost', 'private.localhost'],
    ca: docs.ca,
    resolver,
    urlPolicy: (url: URL) => urlPolicy?.(url) ?? { ok: true as const },
    documentPolicy: ((document, context) =>
      documentPolicy?.(document, context) ?? { ok: true as const }) as OutboundDocumentPolicy,
  });

  beforeAll(async () => {
    jail = jailOutboundConnections();
    for (const [host, answers] of Object.entries(ZONE)) zone.set(host, () => answers);
    docs = await startMetadataDocumentServer();
    t = await createSecurityApp({ auth: () => ({ clientMetadataDocuments: cimdOptions() }) });
    impatient = await createSecurityApp({
      db: t.db,
      auth: () => ({ clientMetadataDocuments: { ...cimdOptions(), timeoutMs: 500 } }),
    });
    // Last, so the Nest logger of both apps ends up in the capture.
    logs = captureLogs(t.app);
  });

  afterEach(() => {
    urlPolicy = undefined;
    documentPolicy = undefined;
    for (const [host, answers] of Object.entries(ZONE)) zone.set(host, () => answers);
  });

  afterAll(async () => {
    logs?.restore();
    await impatient?.close();
    await t?.close();
    await docs?.close();
    jail?.release();
  });

  // ------------------------------------------------------------------------------------------
  // The frame
  // ------------------------------------------------------------------------------------------

  /** What the server resolved and fetched since the case started. */
  interface Seen {
    resolved(): string[];
    fetched(): string[];
  }

  /**
   * One hostile case: runs `attack` and checks what it changed in the `mcp_auth_` tables, and
   * that no connection left loopback. `setup` runs before the tables are compared.
   */
  function hostile(
    name: string,
    attack: (seen: Seen) => Promise<void>,
    expected: Record<string, TableChange> = NO_CHANGE,
    setup?: () => Promise<void>,
  ): void {
    cases++;
    it(name, async () => {
      await setup?.();
      const blocked = jail.blocked.length;
      const changes = await changesOf(t.db.dataSource, async () => {
        const resolvedBefore = resolutions.length;
        const fetchedBefore = docs.requests.length;
        await attack({
          resolved: () => resolutions.slice(resolvedBefore),
          fetched: () => docs.requests.slice(fetchedBefore).map((request) => request.path),
        });
      });
      expect(changes).toEqual(expected);
      expect(jail.blocked.slice(blocked)).toEqual([]);
    });
  }

  /** A path nothing was ever published at. */
  function freshPath(name = 'client.json'): string {
    counter += 1;
    return `/attack/${counter}/${name}`;
  }

  /** `https://<host>:<document server port><path>` */
  function at(path: string, host = 'cimd.localhost'): string {
    return `https://${host}:${docs.port}${path}`;
  }

  function documentFor(clientId: string, overrides: Record<string, unknown> = {}) {
    return {
      client_id: clientId,
      client_name: 'Hostile Agent',
      redirect_uris: [CALLBACK],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      ...overrides,
    };
  }

  /** Publishes a valid document at `path` on a loopback-allowed host; returns its client_id. */
  function published(
    overrides: Record<string, unknown> = {},
    headers: OutgoingHttpHeaders = {},
  ): { clientId: string; path: string } {
    const path = freshPath();
    const clientId = at(path);
    docs.publish(path, documentFor(clientId, overrides), headers);
    return { clientId, path };
  }

  /**
   * Publishes, where a fetch of `clientId` would land on the document server, a document that
   * would be accepted: a refusal is then the check at work, not a side effect of a 404.
   */
  function trap(clientId: string): void {
    let url: URL;
    try {
      url = new URL(clientId);
    } catch {
      return;
    }
    if (url.port !== String(docs.port)) return;
    docs.publish(`${url.pathname}${url.search}`, documentFor(clientId));
  }

  /** A route answering with `body` (a string, sent as is) and the given status and headers. */
  function serve(path: string, status: number, headers: OutgoingHttpHeaders, body: string): void {
    docs.route(path, (_request, response) => {
      response.writeHead(status, headers);
      response.end(body);
    });
  }

  function authorizePath(
    app: TestApp,
    clientId: string,
    params: Record<string, string> = {},
  ): string {
    const url = new URL('/authorize', app.url);
    const all: Record<string, string> = {
      response_type: 'code',
      client_id: clientId,
      redirect_uri: CALLBACK,
      scope: 'mcp:tools',
      state: 'cimd-attack',
      resource: `${app.url}/mcp`,
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
      ...params,
    };
    for (const [name, value] of Object.entries(all)) url.searchParams.set(name, value);
    return `${url.pathname}${url.search}`;
  }

  function authorize(
    clientId: string,
    params: Record<string, string> = {},
    app: TestApp = t,
  ): Promise<RawResponse> {
    return http(app.url, authorizePath(app, clientId, params));
  }

  /** The message of an error page, as text. */
  function pageMessage(html: string): string | undefined {
    const match = /<p class="error" role="alert">([^<]*)<\/p>/.exec(html);
    return match?.[1]
      .replace(/&#39;/g, "'")
      .replace(/&quot;/g, '"')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
  }

  /** A 400 page with exactly `message`: no Location, no cookie, nothing internal. */
  function expectRefusal(response: RawResponse, message: string): void {
    pages.push(response.text);
    expectErrorPage(response, 400);
    expect(response.location).toBeNull();
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(pageMessage(response.text)).toBe(message);
  }

  async function refused(
    clientId: string,
    message: string,
    params: Record<string, string> = {},
    app: TestApp = t,
  ): Promise<RawResponse> {
    const response = await authorize(clientId, params, app);
    expectRefusal(response, message);
    return response;
  }

  /** /authorize accepted the client: on to the interaction page. */
  function expectAccepted(response: RawResponse, app: TestApp = t): void {
    // On a refusal, show its message rather than just the status.
    const refusal = response.status === 302 ? undefined : pageMessage(response.text);
    expect({ status: response.status, refusal }).toEqual({ status: 302, refusal: undefined });
    expect(response.location?.startsWith(`${app.url}/interaction/`)).toBe(true);
    expect(response.location).toMatch(/\/interaction\/[A-Za-z0-9_-]{43}$/);
    secrets.add(
      'interaction_id',
      /\/interaction\/([A-Za-z0-9_-]{43})/.exec(response.location!)?.[1],
    );
    for (const cookie of response.headers.getSetCookie()) {
      const pair = cookie.split(';')[0];
      secrets.add('browser_cookie', pair.slice(pair.indexOf('=') + 1));
    }
  }

  /** A marker that must never leave the document it was served in. */
  function bodyMarker(): string {
    const marker = `body-marker-${counter}-${Math.random().toString(36).slice(2)}-xxxxxxxx`;
    secrets.add('document_body', marker);
    return marker;
  }

  async function expireCachedCopy(clientId: string): Promise<void> {
    await t.db.dataSource.query(
      `UPDATE mcp_auth_clients SET document_expires_at = now() - interval '1 second'
       WHERE client_id = $1`,
      [clientId],
    );
  }

  async function clientRows(clientId: string): Promise<number> {
    const rows = await t.db.dataSource.query<{ count: string }[]>(
      'SELECT count(*)::text AS count FROM mcp_auth_clients WHERE client_id = $1',
      [clientId],
    );
    return Number(rows[0].count);
  }

  it('the network jail itself refuses a non-loopback connection, by address or by lookup', async () => {
    const refusedBy = (options: TcpNetConnectOpts) =>
      new Promise<string | undefined>((resolve) => {
        const socket = netConnect(options);
        socket.on('connect', () => {
          socket.destroy();
          resolve(undefined);
        });
        socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code));
      });
    const before = jail.blocked.length;
    expect(await refusedBy({ host: '10.255.255.1', port: 9 })).toBe('EJAILED');
    const pinned: LookupFunction = (_host, options, callback) => {
      if (options.all) callback(null, [{ address: '10.255.255.2', family: 4 }]);
      else callback(null, '10.255.255.2', 4);
    };
    expect(await refusedBy({ host: 'jail.test', port: 9, lookup: pinned })).toBe('EJAILED');
    expect(jail.blocked.slice(before)).toEqual(['10.255.255.1:9', 'jail.test=10.255.255.2:9']);
    jail.blocked.splice(before);
  });

  // ------------------------------------------------------------------------------------------
  describe('client_id URLs that are not metadata document URLs: refused before any lookup', () => {
    const dir = () => `/attack/${++counter}`;
    const malformed: [string, () => string, string][] = [
      [
        'an http scheme',
        () => `http://cimd.localhost:${docs.port}${freshPath()}`,
        'scheme must be https',
      ],
      ['a fragment', () => `${at(freshPath())}#section`, 'URL must not contain a fragment'],
      ['an empty fragment', () => `${at(freshPath())}#`, 'URL must not contain a fragment'],
      [
        'userinfo',
        () => `https://agent:pass@cimd.localhost:${docs.port}${freshPath()}`,
        'URL must not contain userinfo',
      ],
      [
        'a user name alone',
        () => `https://agent@cimd.localhost:${docs.port}${freshPath()}`,
        'URL must not contain userinfo',
      ],
      ['a query', () => `${at(freshPath())}?version=2`, 'URL must not contain a query'],
      ['an empty query', () => `${at(freshPath())}?`, 'URL must not contain a query'],
      [
        'a "." segment',
        () => at(`${dir()}/./client.json`),
        'URL must not contain . or .. path segments',
      ],
      [
        'a ".." segment',
        () => at(`${dir()}/a/../client.json`),
        'URL must not contain . or .. path segments',
      ],
      [
        'a trailing ".." segment',
        () => at(`${dir()}/a/..`),
        'URL must not contain . or .. path segments',
      ],
      [
        '"%2e" (an encoded ".")',
        () => at(`${dir()}/%2e/client.json`),
        'URL must not contain . or .. path segments',
      ],
      [
        '"%2E%2e" (an encoded "..")',
        () => at(`${dir()}/a/%2E%2e/client.json`),
        'URL must not contain . or .. path segments',
      ],
      [
        '".%2e" (a half-encoded "..")',
        () => at(`${dir()}/a/.%2e/client.json`),
        'URL must not contain . or .. path segments',
      ],
      [
        'a backslash ".." segment',
        () => at(`${dir()}/a\\..\\client.json`),
        'URL must not contain . or .. path segments',
      ],
      [
        'no path at all',
        () => `https://cimd.localhost:${docs.port}`,
        'URL must have a path component',
      ],
      [
        'the path "/"',
        () => `https://cimd.localhost:${docs.port}/`,
        'URL must have a path component',
      ],
      [
        'an empty authority',
        () => `https:///cimd.localhost${freshPath()}`,
        'URL has an empty authority',
      ],
      [
        'a space',
        () => at(`${dir()}/my client.json`),
        'URL must be visible ASCII (no spaces or raw Unicode)',
      ],
      [
        'raw Unicode',
        () => at(`${dir()}/caf\u00e9.json`),
        'URL must be visible ASCII (no spaces or raw Unicode)',
      ],
    ];
    for (const [label, clientIdOf, reason] of malformed) {
      hostile(`${label}: 400, "${reason}", nothing resolved or fetched`, async (seen) => {
        const clientId = clientIdOf();
        trap(clientId);
        await refused(clientId, notUsable(reason));
        expect(seen.resolved()).toEqual([]);
        expect(seen.fetched()).toEqual([]);
      });
    }

    hostile(
      'a client_id longer than 1024 characters: not registered, nothing fetched',
      async (seen) => {
        const clientId = at(`/attack/${++counter}/${'a'.repeat(1100)}.json`);
        trap(clientId);
        await refused(clientId, NOT_REGISTERED);
        expect(seen.resolved()).toEqual([]);
        expect(seen.fetched()).toEqual([]);
      },
    );
    for (const [label, character] of [
      ['a newline', '\n'],
      ['a carriage return', '\r'],
      ['a tab', '\t'],
      ['a NUL', '\u0000'],
      ['a DEL', '\u007f'],
    ] as const) {
      hostile(`${label} in the client_id URL: not registered, nothing fetched`, async (seen) => {
        const path = freshPath();
        docs.publish(path, documentFor(at(path)));
        await refused(`${at(path)}${character}`, NOT_REGISTERED);
        await refused(at(`${path.replace('client', `cli${character}ent`)}`), NOT_REGISTERED);
        expect(seen.resolved()).toEqual([]);
        expect(seen.fetched()).toEqual([]);
      });
    }
  });

  // ------------------------------------------------------------------------------------------
  describe('hosts on private, loopback and reserved networks: refused after one lookup, before connecting', () => {
    const resolving: [string, string][] = [
      ['a name resolving to 127.0.0.1, loopback not allowed for it', 'cimd.test'],
      ['"localhost" itself, not on the loopback list', 'localhost'],
      ['a name resolving to 10.0.0.1', 'rfc1918.test'],
      ['a name resolving to 169.254.169.254 (cloud metadata)', 'imds.test'],
      ['a name resolving to ::1', 'v6-loopback.test'],
      ['a name resolving to fd00::1 (unique-local)', 'ula.test'],
      ['a name resolving to ::ffff:10.0.0.1 (IPv4-mapped private)', 'mapped.test'],
      ['a name resolving to 0.0.0.0', 'unspecified.test'],
      ['a public address first, a private one second (rebinding)', 'rebind.test'],
      ['two public addresses, then a link-local IPv6 one', 'rebind-last.test'],
      ['a private address first, a public one second', 'private-first.test'],
      ['a loopback-allowed name that also resolves to 10.0.0.1', 'private.localhost'],
    ];
    for (const [label, host] of resolving) {
      hostile(`${label}: 400, private network, one lookup, no connection`, async (seen) => {
        const clientId = at(freshPath(), host);
        trap(clientId);
        await refused(clientId, PRIVATE_NETWORK);
        expect(seen.resolved()).toEqual([host]);
        expect(seen.fetched()).toEqual([]);
      });
    }

    const literals: [string, string][] = [
      ['https://127.0.0.1', '127.0.0.1'],
      ['https://[::1]', '[::1]'],
      ['https://[::ffff:127.0.0.1] (IPv4-mapped loopback)', '[::ffff:127.0.0.1]'],
      ['https://2130706433 (127.0.0.1 as one number)', '2130706433'],
      ['https://0x7f.1 (127.0.0.1 in hex shorthand)', '0x7f.1'],
      ['https://10.0.0.1', '10.0.0.1'],
      ['https://169.254.169.254', '169.254.169.254'],
      ['https://[fd00::1]', '[fd00::1]'],
    ];
    for (const [label, host] of literals) {
      hostile(`an IP-literal host ${label}: 400, private network, no lookup`, async (seen) => {
        const clientId = at(freshPath(), host);
        trap(clientId);
        await refused(clientId, PRIVATE_NETWORK);
        expect(seen.resolved()).toEqual([]);
        expect(seen.fetched()).toEqual([]);
      });
    }

    hostile('a name that does not resolve: 400, nothing fetched', async (seen) => {
      const clientId = at(freshPath(), 'missing.test');
      await refused(clientId, notRetrieved('its host name does not resolve'));
      expect(seen.resolved()).toEqual(['missing.test']);
      expect(seen.fetched()).toEqual([]);
    });
    hostile('a name the resolver answers with no address: 400, nothing fetched', async (seen) => {
      const clientId = at(freshPath(), 'nothing.test');
      await refused(clientId, notRetrieved('its host name does not resolve'));
      expect(seen.resolved()).toEqual(['nothing.test']);
      expect(seen.fetched()).toEqual([]);
    });

    hostile(
      'a resolver that answers loopback once, then 10.0.0.1: resolved once, the connection goes to the checked answer',
      async (seen) => {
        let calls = 0;
        zone.set('cimd.localhost', () => (++calls === 1 ? LOOPBACK : [v4('10.0.0.1')]));
        const { clientId, path } = published();
        const connections = jail.connectedTo.length;
        expectAccepted(await authorize(clientId));
        expect(seen.resolved()).toEqual(['cimd.localhost']);
        expect(seen.fetched()).toEqual([path]);
        expect(
          jail.connectedTo.slice(connections).filter((target) => target.startsWith('cimd.')),
        ).toEqual([`cimd.localhost=127.0.0.1:${docs.port}`]);
        // Any later fetch resolves again, and that answer is refused.
        await expireCachedCopy(clientId);
        await refused(clientId, PRIVATE_NETWORK);
        expect(seen.resolved()).toEqual(['cimd.localhost', 'cimd.localhost']);
        expect(seen.fetched()).toEqual([path]);
      },
      // The document is valid: it is cached, and the first request started an interaction.
      { clients: added(), requests: added() },
    );
  });

  // ------------------------------------------------------------------------------------------
  describe('hostile document servers: refused, nothing stored', () => {
    hostile('a 302 redirect to a valid document: not followed', async (seen) => {
      const target = published();
      const path = freshPath();
      docs.route(path, (_request, response) => {
        response.writeHead(302, { location: target.clientId });
        response.end();
      });
      await refused(at(path), REDIRECTS);
      expect(seen.fetched()).toEqual([path]);
    });
    hostile('a 308 redirect: not followed', async (seen) => {
      const path = freshPath();
      docs.route(path, (_request, response) => {
        response.writeHead(308, { location: at(freshPath()) });
        response.end();
      });
      await refused(at(path), REDIRECTS);
      expect(seen.fetched()).toEqual([path]);
    });
    hostile('an HTTP 500 answer', async () => {
      const path = freshPath();
      serve(path, 500, { 'content-type': 'application/json' }, '{"error":"boom"}');
      await refused(at(path), notRetrieved('it answered HTTP 500'));
    });
    hostile('a 1 MB body with its Content-Length', async (seen) => {
      const path = freshPath();
      const clientId = at(path);
      const body = JSON.stringify(documentFor(clientId, { padding: 'p'.repeat(1024 * 1024) }));
      serve(path, 200, { 'content-type': 'application/json' }, body);
      await refused(clientId, TOO_LARGE);
      expect(seen.fetched()).toEqual([path]);
    });
    hostile('a 1 MB body streamed without a Content-Length', async (seen) => {
      const path = freshPath();
      const clientId = at(path);
      let written = 0;
      docs.route(path, (_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        const chunk = ' '.repeat(16 * 1024);
        const pump = () => {
          while (written < 1024 * 1024 && !response.destroyed) {
            written += chunk.length;
            if (!response.write(chunk)) {
              response.once('drain', pump);
              return;
            }
          }
          if (!response.destroyed) response.end(JSON.stringify(documentFor(clientId)));
        };
        pump();
      });
      await refused(clientId, TOO_LARGE);
      expect(seen.fetched()).toEqual([path]);
    });
    hostile(
      'headers, then a body that never ends (timeoutMs 500): 400 within the limit, the connection closed',
      async (seen) => {
        const path = freshPath();
        let closed!: Promise<number>;
        docs.route(path, (request: IncomingMessage, response: ServerResponse) => {
          closed = new Promise((resolve) => request.socket.on('close', () => resolve(Date.now())));
          response.writeHead(200, { 'content-type': 'application/json' });
          response.write('{"client_id":');
        });
        const started = Date.now();
        await refused(at(path), notRetrieved('it took too long'), {}, impatient);
        const elapsed = Date.now() - started;
        expect(elapsed).toBeGreaterThanOrEqual(450);
        expect(elapsed).toBeLessThan(3000);
        // The fetcher hung up: the server saw its connection close, not left dangling.
        const closedAt = await Promise.race([closed, sleep(2000).then(() => undefined)]);
        expect(closedAt).toEqual(expect.any(Number));
        expect(seen.fetched()).toEqual([path]);
      },
    );
    hostile(
      'a body dripped one byte every 100 ms (timeoutMs 500): a total limit, not an idle one',
      async (seen) => {
        const path = freshPath();
        docs.route(path, (_request, response) => {
          response.writeHead(200, { 'content-type': 'application/json' });
          const drip = setInterval(() => response.write(' '), 100);
          response.on('close', () => clearInterval(drip));
        });
        const started = Date.now();
        await refused(at(path), notRetrieved('it took too long'), {}, impatient);
        expect(Date.now() - started).toBeLessThan(3000);
        expect(seen.fetched()).toEqual([path]);
      },
    );
    hostile('invalid JSON (its content never shown or logged)', async () => {
      const path = freshPath();
      const body = `{"client_id":"${at(path)}","client_name":"${bodyMarker()}",`;
      serve(path, 200, { 'content-type': 'application/json' }, body);
      const response = await refused(at(path), NOT_JSON);
      expect(secrets.foundIn(response.text)).toEqual([]);
    });
    hostile('a JSON array holding a valid document', async () => {
      const path = freshPath();
      const body = JSON.stringify([documentFor(at(path), { client_name: bodyMarker() })]);
      serve(path, 200, { 'content-type': 'application/json' }, body);
      await refused(at(path), NOT_JSON);
    });
    hostile('a JSON string', async () => {
      const path = freshPath();
      serve(path, 200, { 'content-type': 'application/json' }, JSON.stringify(bodyMarker()));
      await refused(at(path), NOT_JSON);
    });
    for (const [label, headers] of [
      ['Content-Type text/html', { 'content-type': 'text/html' }],
      ['Content-Type text/plain', { 'content-type': 'text/plain; charset=utf-8' }],
      ['no Content-Type', {}],
      ['a UTF-16 charset', { 'content-type': 'application/json; charset=utf-16' }],
      ['Content-Encoding gzip', { 'content-type': 'application/json', 'content-encoding': 'gzip' }],
    ] as const) {
      hostile(`a valid document with ${label}`, async (seen) => {
        const path = freshPath();
        serve(path, 200, headers, JSON.stringify(documentFor(at(path))));
        await refused(at(path), NOT_JSON);
        expect(seen.fetched()).toEqual([path]);
      });
    }
  });

  // ------------------------------------------------------------------------------------------
  describe('invalid documents: refused, never written to the client table', () => {
    const invalid: [string, (clientId: string) => Record<string, unknown>, string][] = [
      [
        'a client_id naming another document',
        (id) => documentFor(id, { client_id: at(freshPath()) }),
        'its client_id is not exactly the URL it was fetched from',
      ],
      [
        'a client_id differing only by the case of the path',
        (id) => documentFor(id, { client_id: id.replace('client.json', 'Client.json') }),
        'its client_id is not exactly the URL it was fetched from',
      ],
      [
        'a client_id differing only by the case of the host',
        (id) => documentFor(id, { client_id: id.replace('cimd.localhost', 'CIMD.localhost') }),
        'its client_id is not exactly the URL it was fetched from',
      ],
      [
        'a client_id with a trailing slash added',
        (id) => documentFor(id, { client_id: `${id}/` }),
        'its client_id is not exactly the URL it was fetched from',
      ],
      [
        'no client_id',
        (id) => ({ ...documentFor(id), client_id: undefined }),
        'its client_id is not exactly the URL it was fetched from',
      ],
      [
        'no client_name',
        (id) => ({ ...documentFor(id), client_name: undefined }),
        'it has no client_name',
      ],
      [
        'a blank client_name',
        (id) => documentFor(id, { client_name: '   ' }),
        'it has no client_name',
      ],
      [
        'no redirect_uris',
        (id) => ({ ...documentFor(id), redirect_uris: undefined }),
        'it has no redirect_uris',
      ],
      [
        'token_endpoint_auth_method client_secret_basic',
        (id) => documentFor(id, { token_endpoint_auth_method: 'client_secret_basic' }),
        'token_endpoint_auth_method client_secret_basic relies on a shared secret, which a metadata document cannot hold',
      ],
      [
        'token_endpoint_auth_method client_secret_post',
        (id) => documentFor(id, { token_endpoint_auth_method: 'client_secret_post' }),
        'token_endpoint_auth_method client_secret_post relies on a shared secret, which a metadata document cannot hold',
      ],
      [
        'a client_secret (never stored, shown or logged)',
        (id) => {
          const secret = `cimd-secret-${Math.random().toString(36).slice(2)}-0123456789`;
          secrets.add('client_secret', secret);
          return documentFor(id, { client_secret: secret });
        },
        'it contains client_secret; a public document cannot',
      ],
      [
        'private_key_jwt without jwks or jwks_uri',
        (id) => documentFor(id, { token_endpoint_auth_method: 'private_key_jwt' }),
        'private_key_jwt needs exactly one of jwks and jwks_uri',
      ],
      [
        'private_key_jwt with an empty key set',
        (id) =>
          documentFor(id, { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [] } }),
        'jwks must be a JWK Set with a keys list',
      ],
    ];
    for (const [label, documentOf, reason] of invalid) {
      hostile(`${label}: 400, "${reason}"`, async (seen) => {
        const path = freshPath();
        const clientId = at(path);
        docs.publish(path, documentOf(clientId));
        const response = await refused(clientId, notValid(reason));
        expect(secrets.foundIn(response.text)).toEqual([]);
        expect(seen.fetched()).toEqual([path]);
        expect(await clientRows(clientId)).toBe(0);
      });
    }

    hostile(
      'the client_id presented with an upper-case host, the document naming the lower-case URL',
      async (seen) => {
        const path = freshPath();
        docs.publish(path, documentFor(at(path)));
        await refused(
          at(path, 'CIMD.localhost'),
          notValid('its client_id is not exactly the URL it was fetched from'),
        );
        expect(seen.resolved()).toEqual(['cimd.localhost']);
      },
    );

    hostile(
      'the client_id presented with a trailing slash, the document naming it without',
      async (seen) => {
        const path = `${freshPath('client')}/`;
        docs.publish(path, documentFor(at(path.slice(0, -1))));
        await refused(
          at(path),
          notValid('its client_id is not exactly the URL it was fetched from'),
        );
        expect(seen.fetched()).toEqual([path]);
      },
    );

    hostile(
      'a redirect_uri not in the document, fetched now: the valid document is cached, the request stores nothing',
      async (seen) => {
        const { clientId, path } = published();
        await refused(clientId, 'The redirect_uri is not registered for this client.', {
          redirect_uri: 'http://127.0.0.1:8976/other',
        });
        expect(seen.fetched()).toEqual([path]);
      },
      { clients: added() },
    );

    let cachedClient = '';
    hostile(
      'a redirect_uri not in the document, from the cache: nothing fetched, nothing stored',
      async (seen) => {
        await refused(cachedClient, 'The redirect_uri is not registered for this client.', {
          redirect_uri: WEB_REDIRECT_URI,
        });
        expect(seen.fetched()).toEqual([]);
      },
      NO_CHANGE,
      async () => {
        cachedClient = published({}, { 'cache-control': 'max-age=600' }).clientId;
        expectAccepted(await authorize(cachedClient));
      },
    );
  });

  // ------------------------------------------------------------------------------------------
  describe("the operator's hooks", () => {
    hostile(
      'a urlPolicy allow-list: another host is refused before any lookup or fetch',
      async (seen) => {
        urlPolicy = (url) =>
          url.hostname === 'cimd.localhost'
            ? { ok: true }
            : { ok: false, reason: `${url.hostname} is not on the allow-list` };
        const clientId = at(freshPath(), 'cimd.test');
        trap(clientId);
        await refused(clientId, POLICY);
        expect(seen.resolved()).toEqual([]);
        expect(seen.fetched()).toEqual([]);
        expect(logs!.logger.lines.join('\n')).toContain('cimd.test is not on the allow-list');
      },
    );
    hostile('a urlPolicy that throws: refused, nothing resolved or fetched', async (seen) => {
      urlPolicy = () => {
        throw new Error('allow-list unavailable');
      };
      const { clientId } = published();
      await refused(clientId, POLICY);
      expect(seen.resolved()).toEqual([]);
      expect(seen.fetched()).toEqual([]);
    });
    hostile('a urlPolicy that rejects asynchronously: refused, nothing fetched', async (seen) => {
      urlPolicy = () => Promise.reject(new Error('allow-list lookup failed'));
      const { clientId } = published();
      await refused(clientId, POLICY);
      expect(seen.fetched()).toEqual([]);
    });
    hostile('a documentPolicy refusing the document: not cached', async (seen) => {
      documentPolicy = (document, { url }) =>
        typeof document.client_uri === 'string' && new URL(document.client_uri).host !== url.host
          ? { ok: false, reason: 'client_uri is on another host' }
          : { ok: true };
      const { clientId, path } = published({ client_uri: 'https://bank.example/' });
      await refused(clientId, POLICY);
      expect(seen.fetched()).toEqual([path]);
      expect(await clientRows(clientId)).toBe(0);
    });
    hostile('a documentPolicy that throws: refused, not cached', async (seen) => {
      documentPolicy = () => {
        throw new Error('policy service down');
      };
      const { clientId, path } = published();
      await refused(clientId, POLICY);
      expect(seen.fetched()).toEqual([path]);
    });
  });

  // ------------------------------------------------------------------------------------------
  describe('failures are never cached', () => {
    hostile(
      'an HTTP 503, then the document is fixed: the very next /authorize fetches again and succeeds',
      async (seen) => {
        const path = freshPath();
        const clientId = at(path);
        serve(
          path,
          503,
          { 'content-type': 'application/json', 'cache-control': 'max-age=3600' },
          '{}',
        );
        expect(
          await changesOf(t.db.dataSource, async () => {
            await refused(clientId, notRetrieved('it answered HTTP 503'));
          }),
        ).toEqual(NO_CHANGE);
        docs.publish(path, documentFor(clientId));
        expectAccepted(await authorize(clientId));
        expect(seen.fetched()).toEqual([path, path]);
      },
      { clients: added(), requests: added() },
    );
    hostile(
      'an invalid document with a long max-age, then fixed: the next /authorize fetches again and succeeds',
      async (seen) => {
        const path = freshPath();
        const clientId = at(path);
        docs.publish(path, documentFor(clientId, { client_name: undefined }), {
          'cache-control': 'max-age=86400',
        });
        expect(
          await changesOf(t.db.dataSource, async () => {
            await refused(clientId, notValid('it has no client_name'));
            await refused(clientId, notValid('it has no client_name'));
          }),
        ).toEqual(NO_CHANGE);
        docs.publish(path, documentFor(clientId));
        expectAccepted(await authorize(clientId));
        expect(seen.fetched()).toEqual([path, path, path]);
      },
      { clients: added(), requests: added() },
    );

    let staleClient = '';
    hostile(
      'a stale cached copy whose document became invalid: refused, the row neither updated nor removed',
      async (seen) => {
        const path = new URL(staleClient).pathname;
        docs.publish(path, documentFor(staleClient, { redirect_uris: undefined }));
        await refused(staleClient, notValid('it has no redirect_uris'));
        expect(seen.fetched()).toEqual([path]);
        expect(await clientRows(staleClient)).toBe(1);
      },
      NO_CHANGE,
      async () => {
        staleClient = published().clientId;
        expectAccepted(await authorize(staleClient));
        await expireCachedCopy(staleClient);
      },
    );
  });

  // ------------------------------------------------------------------------------------------
  describe('concurrency', () => {
    hostile(
      '10 concurrent /authorize for one fresh document: one lookup, one fetch, one client row',
      async (seen) => {
        const path = freshPath();
        const clientId = at(path);
        const body = JSON.stringify(documentFor(clientId));
        docs.route(path, (_request, response) => {
          setTimeout(() => {
            response.writeHead(200, { 'content-type': 'application/json' });
            response.end(body);
          }, 300);
        });
        const responses = await Promise.all(Array.from({ length: 10 }, () => authorize(clientId)));
        for (const response of responses) expectAccepted(response);
        expect(seen.resolved()).toEqual(['cimd.localhost']);
        expect(seen.fetched()).toEqual([path]);
        expect(await clientRows(clientId)).toBe(1);
      },
      { clients: added(), requests: added(10) },
    );
    hostile(
      '10 concurrent /authorize for one invalid document: one fetch, ten clear refusals, nothing stored',
      async (seen) => {
        const path = freshPath();
        const clientId = at(path);
        const body = JSON.stringify(documentFor(clientId, { redirect_uris: undefined }));
        docs.route(path, (_request, response) => {
          setTimeout(() => {
            response.writeHead(200, { 'content-type': 'application/json' });
            response.end(body);
          }, 300);
        });
        const responses = await Promise.all(Array.from({ length: 10 }, () => authorize(clientId)));
        for (const response of responses) {
          expectRefusal(response, notValid('it has no redirect_uris'));
        }
        expect(seen.fetched()).toEqual([path]);
      },
    );
  });

  // ------------------------------------------------------------------------------------------
  describe('the token, revocation and introspection endpoints never fetch', () => {
    const endpoints: [string, (clientId: string) => Promise<RawResponse>][] = [
      [
        '/token (authorization_code)',
        (clientId) =>
          http(t.url, '/token', {
            form: {
              grant_type: 'authorization_code',
              client_id: clientId,
              code: 'c'.repeat(43),
              code_verifier: 'v'.repeat(43),
              redirect_uri: CALLBACK,
            },
          }),
      ],
      [
        '/token (refresh_token)',
        (clientId) =>
          http(t.url, '/token', {
            form: {
              grant_type: 'refresh_token',
              client_id: clientId,
              refresh_token: 'r'.repeat(43),
            },
          }),
      ],
      [
        '/revoke',
        (clientId) =>
          http(t.url, '/revoke', { form: { client_id: clientId, token: 'r'.repeat(43) } }),
      ],
      [
        '/introspect',
        (clientId) =>
          http(t.url, '/introspect', { form: { client_id: clientId, token: 'r'.repeat(43) } }),
      ],
    ];
    for (const [label, send] of endpoints) {
      hostile(
        `${label} with the URL client_id of a published document never authorized here: invalid_client, nothing fetched`,
        async (seen) => {
          const { clientId } = published();
          expectOAuthJson(await send(clientId), 401, 'invalid_client');
          expect(seen.resolved()).toEqual([]);
          expect(seen.fetched()).toEqual([]);
        },
      );
    }
  });

  // ------------------------------------------------------------------------------------------
  describe('secrets at rest, in pages and in logs; no traffic beyond loopback', () => {
    const cimdClient: Client = { clientId: '', method: 'none', redirectUris: [CALLBACK] };

    it('a metadata-document client completes a flow and a refresh; no mcp_auth_ table holds a token, code, secret or document body in clear', async () => {
      cimdClient.clientId = published().clientId;
      const obtained = await obtainCode(t, cimdClient, secrets);
      const tokens = recordTokens(secrets, (await redeem(t, cimdClient, obtained)).json);
      expect(tokens.refresh_token).toEqual(expect.any(String));
      const refreshed = await refreshWith(t, cimdClient, tokens.refresh_token!);
      expect(refreshed.status).toBe(200);
      recordTokens(secrets, refreshed.json);
      expect(
        secrets.kindsNotSeen([
          'access_token',
          'refresh_token',
          'code',
          'client_secret',
          'csrf_token',
          'browser_cookie',
          'interaction_id',
          'code_verifier',
          'document_body',
        ]),
      ).toEqual([]);
      const dump = await dumpModuleTables(t.db.dataSource);
      expect(dump).toContain(cimdClient.clientId);
      expect(secrets.foundIn(dump)).toEqual([]);
    });

    it('no error page the suite received holds a secret or a document body', () => {
      expect(pages.length).toBeGreaterThan(100);
      expect(secrets.foundIn(pages.join('\n'))).toEqual([]);
    });

    it('the log output names the refusals and holds none of those secrets or bodies', () => {
      const output = logs!.logger.lines.join('\n');
      for (const reason of [
        'invalid_url',
        'forbidden_address',
        'dns',
        'redirect',
        'http_status',
        'too_large',
        'timeout',
        'not_json',
        'policy',
      ]) {
        expect(output).toContain(` refused (${reason}): `);
      }
      expect(output).toContain('is invalid: it contains client_secret');
      expect(secrets.foundIn(output)).toEqual([]);
      // The password of a userinfo client_id is blanked out of the refusal line.
      expect(output).toContain('[userinfo]@cimd.localhost');
      expect(output).not.toContain('agent:pass');
      expect(output).not.toContain('alice-password');
    });

    it('every outbound connection of the suite went to loopback; none was refused by the jail', () => {
      expect(jail.blocked).toEqual([]);
      // The jail saw the server's fetches (the host name, through the pinned answer).
      expect(jail.connectedTo).toContain(`cimd.localhost=127.0.0.1:${docs.port}`);
    });

    it(`ran ${EXPECTED_CASES} distinct hostile cases`, () => {
      expect(cases).toBe(EXPECTED_CASES);
    });
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
