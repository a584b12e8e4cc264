import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { makeTestCertificates } from '../../../../test/support/metadata-document-server';
import type { HostResolver, ResolvedAddress } from './host.resolver';
import { DEFAULT_USER_AGENT, JsonDocumentFetcher } from './json-document.fetcher';
import type { JsonDocumentFetcherOptions } from './json-document.fetcher';
import { OutboundFetchError } from './outbound-fetch.error';
import type { OutboundFetchErrorReason } from './outbound-fetch.error';

const DOCUMENT = { client_id: 'https://cimd.test/client', client_name: 'Test client' };
const SECRET_BODY = 'SECRET-BODY-CONTENT';

describe('JsonDocumentFetcher', () => {
  let ca: string;
  let server: Server;
  let port: number;
  const requests: { path: string; headers: IncomingHttpHeaders; remoteAddress?: string }[] = [];
  const closed: string[] = [];

  const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
    '/ok': (_req, res) => {
      res.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'max-age=600',
      });
      res.end(JSON.stringify(DOCUMENT));
    },
    '/jwks': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/jwk-set+json' });
      res.end('{"keys":[]}');
    },
    '/redirect': (_req, res) => {
      res.writeHead(302, { location: 'https://127.0.0.1/ok' });
      res.end();
    },
    '/big': (_req, res) => {
      // 1 MB, chunked (no Content-Length): the cap must hold while streaming.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"padding":"');
      const chunk = 'x'.repeat(64 * 1024);
      for (let i = 0; i < 16; i += 1) res.write(chunk);
      res.end('"}');
    },
    '/big-declared': (_req, res) => {
      const body = JSON.stringify({ padding: 'x'.repeat(1024 * 1024) });
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
    },
    '/hang': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"client_id":');
      // never ends
    },
    '/invalid-json': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`{"client_id": ${SECRET_BODY}`);
    },
    '/array': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('[1,2,3]');
    },
    '/text': (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(JSON.stringify(DOCUMENT));
    },
    '/no-type': (_req, res) => {
      res.writeHead(200);
      res.end(JSON.stringify(DOCUMENT));
    },
    '/gzip': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end('not really gzip');
    },
    '/error': (_req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(`{"error":"${SECRET_BODY}"}`);
    },
  };

  beforeAll(async () => {
    const material = makeTestCertificates();
    ca = material.ca;
    server = createServer({ key: material.key, cert: material.cert }, (req, res) => {
      const path = req.url ?? '';
      requests.push({ path, headers: req.headers, remoteAddress: req.socket.remoteAddress });
      req.socket.on('close', () => closed.push(path));
      const route = routes[path];
      if (route) {
        route(req, res);
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    requests.length = 0;
    closed.length = 0;
  });

  /** A resolver answering from a table, counting its calls. */
  function tableResolver(table: Record<string, ResolvedAddress[]>) {
    const calls: string[] = [];
    const resolver: HostResolver = async (hostname) => {
      calls.push(hostname);
      const answers = table[hostname];
      if (!answers) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
      return answers;
    };
    return { resolver, calls };
  }

  const loopback4: ResolvedAddress = { address: '127.0.0.1', family: 4 };

  function localFetcher(options: JsonDocumentFetcherOptions = {}) {
    const { resolver, calls } = tableResolver({ localhost: [loopback4], 'cimd.test': [loopback4] });
    const fetcher = new JsonDocumentFetcher({
      resolver,
      ca,
      allowLoopbackHosts: ['localhost', 'cimd.test', '127.0.0.1'],
      timeoutMs: 2_000,
      ...options,
    });
    return { fetcher, calls };
  }

  async function reasonOf(promise: Promise<unknown>): Promise<OutboundFetchErrorReason> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OutboundFetchError);
    return (error as OutboundFetchError).reason;
  }

  describe('happy path against a local HTTPS server (test CA, loopback allowed)', () => {
    it('fetches a JSON object, sends no credentials, and reports the cache headers', async () => {
      const { fetcher, calls } = localFetcher();
      const result = await fetcher.fetch(`https://localhost:${port}/ok`);
      expect(result.document).toEqual(DOCUMENT);
      expect(result.address).toBe('127.0.0.1');
      expect(result.cacheHeaders.cacheControl).toBe('max-age=600');
      expect(calls).toEqual(['localhost']);
      expect(requests).toHaveLength(1);
      const { headers } = requests[0];
      expect(headers.accept).toBe('application/json');
      expect(headers['user-agent']).toBe(DEFAULT_USER_AGENT);
      expect(headers.authorization).toBeUndefined();
      expect(headers.cookie).toBeUndefined();
      expect(Object.keys(headers).sort()).toEqual(['accept', 'connection', 'host', 'user-agent']);
    });

    it('accepts +json media types (a JWK Set)', async () => {
      const { fetcher } = localFetcher();
      await expect(fetcher.fetch(`https://localhost:${port}/jwks`)).resolves.toMatchObject({
        document: { keys: [] },
      });
    });

    it('fetches an IP-literal URL without calling the resolver', async () => {
      const { fetcher, calls } = localFetcher();
      const result = await fetcher.fetch(`https://127.0.0.1:${port}/ok`);
      expect(result.document).toEqual(DOCUMENT);
      expect(calls).toEqual([]);
    });

    it('connects to the checked address: the resolver is asked once, a second answer is never used', async () => {
      // cimd.test does not exist in real DNS: the connection can only succeed through the
      // pinned answer. A rebinding resolver would answer 10.0.0.1 on a second call.
      let count = 0;
      const resolver: HostResolver = async () => {
        count += 1;
        return count === 1 ? [loopback4] : [{ address: '10.0.0.1', family: 4 }];
      };
      const { fetcher } = localFetcher({ resolver });
      const result = await fetcher.fetch(`https://cimd.test:${port}/ok`);
      expect(result.document).toEqual(DOCUMENT);
      expect(count).toBe(1);
      expect(requests.map((r) => r.remoteAddress)).toEqual(['127.0.0.1']);
      expect(requests[0].headers.host).toBe(`cimd.test:${port}`);
    });

    it('still verifies the certificate against the host name (TLS)', async () => {
      const { fetcher } = localFetcher({
        resolver: async () => [loopback4],
        allowLoopbackHosts: ['other.test'],
      });
      await expect(reasonOf(fetcher.fetch(`https://other.test:${port}/ok`))).resolves.toBe(
        'connection',
      );
      expect(requests).toHaveLength(0);
    });

    it('trusts the test CA only in the fetcher given it', async () => {
      const { fetcher } = localFetcher({ ca: undefined });
      const error = await fetcher.fetch(`https://localhost:${port}/ok`).catch((e: unknown) => e);
      expect((error as OutboundFetchError).reason).toBe('connection');
      expect(requests).toHaveLength(0);
    });

    it('runs the document hook with the document and the address', async () => {
      const documentPolicy = jest.fn(() => ({ ok: false as const, reason: 'client_id mismatch' }));
      const { fetcher } = localFetcher({ documentPolicy });
      const error = await fetcher.fetch(`https://localhost:${port}/ok`).catch((e: unknown) => e);
      expect((error as OutboundFetchError).reason).toBe('policy');
      expect((error as Error).message).toContain('client_id mismatch');
      expect(documentPolicy).toHaveBeenCalledWith(DOCUMENT, {
        url: new URL(`https://localhost:${port}/ok`),
        address: '127.0.0.1',
      });
    });

    it('accepts an async document hook that allows', async () => {
      const { fetcher } = localFetcher({ documentPolicy: async () => ({ ok: true }) });
      await expect(fetcher.fetch(`https://localhost:${port}/ok`)).resolves.toMatchObject({
        document: DOCUMENT,
      });
    });
  });

  describe('refused responses', () => {
    it.each<[string, OutboundFetchErrorReason]>([
      ['/redirect', 'redirect'],
      ['/error', 'http_status'],
      ['/missing', 'http_status'],
      ['/big', 'too_large'],
      ['/big-declared', 'too_large'],
      ['/invalid-json', 'not_json'],
      ['/array', 'not_json'],
      ['/text', 'not_json'],
      ['/no-type', 'not_json'],
      ['/gzip', 'not_json'],
    ])('%s → %s, and the message carries no body', async (path, reason) => {
      const { fetcher } = localFetcher();
      const error = await fetcher
        .fetch(`https://localhost:${port}${path}`)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OutboundFetchError);
      expect((error as OutboundFetchError).reason).toBe(reason);
      expect((error as Error).message).not.toContain(SECRET_BODY);
      // No cause either (a JSON.parse error would quote the body).
      expect((error as Error).cause).toBeUndefined();
      expect(requests.map((r) => r.path)).toEqual([path]);
    });

    it('does not follow a redirect', async () => {
      const { fetcher } = localFetcher();
      await fetcher.fetch(`https://localhost:${port}/redirect`).catch(() => undefined);
      expect(requests.map((r) => r.path)).toEqual(['/redirect']);
    });

    it('stops reading a 1 MB body at the cap and destroys the socket', async () => {
      const { fetcher } = localFetcher({ maxBodyBytes: 5 * 1024 });
      await expect(reasonOf(fetcher.fetch(`https://localhost:${port}/big`))).resolves.toBe(
        'too_large',
      );
      await waitFor(() => closed.includes('/big'));
    });

    it('gives up on a body that never ends (timeout) and closes the connection', async () => {
      const { fetcher } = localFetcher({ timeoutMs: 300 });
      const started = Date.now();
      await expect(reasonOf(fetcher.fetch(`https://localhost:${port}/hang`))).resolves.toBe(
        'timeout',
      );
      expect(Date.now() - started).toBeLessThan(2_000);
      await waitFor(() => closed.includes('/hang'));
    });

    it('counts resolution in the time limit', async () => {
      const fetcher = new JsonDocumentFetcher({
        resolver: () => new Promise<ResolvedAddress[]>(() => undefined),
        timeoutMs: 100,
      });
      await expect(reasonOf(fetcher.fetch('https://slow.example/client'))).resolves.toBe('timeout');
    });
  });

  describe('refused before any connection', () => {
    it.each([
      'http://localhost/client',
      'https://localhost/client#fragment',
      'https://user:pass@localhost/client',
      'https://user@localhost/client',
      'not a url',
      'ftp://example.com/client',
    ])('%s → invalid_url', async (url) => {
      const { fetcher, calls } = localFetcher();
      await expect(reasonOf(fetcher.fetch(url))).resolves.toBe('invalid_url');
      expect(calls).toEqual([]);
    });

    it.each<[string, ResolvedAddress[]]>([
      ['127.0.0.1', [{ address: '127.0.0.1', family: 4 }]],
      ['10.x', [{ address: '10.1.2.3', family: 4 }]],
      ['cloud metadata', [{ address: '169.254.169.254', family: 4 }]],
      ['::1', [{ address: '::1', family: 6 }]],
      ['fd00::/8', [{ address: 'fd00::1', family: 6 }]],
      ['IPv4-mapped private', [{ address: '::ffff:10.0.0.1', family: 6 }]],
      ['IPv4-mapped loopback (hex)', [{ address: '::ffff:7f00:1', family: 6 }]],
      ['NAT64 of a private v4', [{ address: '64:ff9b::a00:1', family: 6 }]],
      [
        'public first, private second',
        [
          { address: '93.184.216.34', family: 4 },
          { address: '10.0.0.1', family: 4 },
        ],
      ],
      [
        'public v6 first, loopback second',
        [
          { address: '2606:4700::1111', family: 6 },
          { address: '::1', family: 6 },
        ],
      ],
    ])('a host resolving to %s → forbidden_address', async (_label, answers) => {
      const fetcher = new JsonDocumentFetcher({ resolver: async () => answers });
      await expect(reasonOf(fetcher.fetch('https://client.example/metadata'))).resolves.toBe(
        'forbidden_address',
      );
      expect(requests).toHaveLength(0);
    });

    it.each(['https://127.0.0.1/client', 'https://[::1]/client', 'https://[::ffff:a00:1]/client'])(
      'an IP-literal URL %s → forbidden_address',
      async (url) => {
        const fetcher = new JsonDocumentFetcher();
        await expect(reasonOf(fetcher.fetch(url))).resolves.toBe('forbidden_address');
      },
    );

    it('allows loopback only for the named hosts, and no other private range for them', async () => {
      const loopbackFor = (allowLoopbackHosts: string[], answer: ResolvedAddress) =>
        new JsonDocumentFetcher({
          resolver: async () => [answer],
          allowLoopbackHosts,
          timeoutMs: 500,
        });
      await expect(
        reasonOf(loopbackFor(['localhost'], loopback4).fetch(`https://other.test:${port}/ok`)),
      ).resolves.toBe('forbidden_address');
      await expect(
        reasonOf(
          loopbackFor(['localhost'], { address: '10.0.0.1', family: 4 }).fetch(
            `https://localhost:${port}/ok`,
          ),
        ),
      ).resolves.toBe('forbidden_address');
      expect(requests).toHaveLength(0);
    });

    it('maps resolver failures and empty answers to dns', async () => {
      const { fetcher } = localFetcher();
      await expect(reasonOf(fetcher.fetch('https://unknown.test/client'))).resolves.toBe('dns');
      const empty = new JsonDocumentFetcher({ resolver: async () => [] });
      await expect(reasonOf(empty.fetch('https://empty.test/client'))).resolves.toBe('dns');
    });

    it('runs the URL hook before resolving: a refusal stops everything', async () => {
      const { fetcher, calls } = localFetcher({
        urlPolicy: (url) =>
          url.hostname.endsWith('.trusted.example')
            ? { ok: true }
            : { ok: false, reason: 'domain not allowed' },
      });
      const error = await fetcher.fetch(`https://localhost:${port}/ok`).catch((e: unknown) => e);
      expect((error as OutboundFetchError).reason).toBe('policy');
      expect((error as Error).message).toContain('domain not allowed');
      expect(calls).toEqual([]);
      expect(requests).toHaveLength(0);
    });

    it('treats a throwing hook as a policy refusal', async () => {
      const { fetcher } = localFetcher({
        urlPolicy: async () => {
          throw new Error('boom');
        },
      });
      await expect(reasonOf(fetcher.fetch(`https://localhost:${port}/ok`))).resolves.toBe('policy');
    });

    it('passes URLs the hook allows', async () => {
      const { fetcher } = localFetcher({ urlPolicy: async () => ({ ok: true }) });
      await expect(fetcher.fetch(`https://localhost:${port}/ok`)).resolves.toMatchObject({
        document: DOCUMENT,
      });
    });
  });
});

async function waitFor(condition: () => boolean, ms = 2_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
