import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type {
  IncomingHttpHeaders,
  IncomingMessage,
  OutgoingHttpHeaders,
  ServerResponse,
} from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A test certificate authority and a server certificate it signed. */
export interface TestCertificates {
  /** PEM of the CA: trusted only where a test passes it explicitly. */
  ca: string;
  key: string;
  cert: string;
}

/**
 * Makes a throw-away CA (valid one day) and a server certificate for `localhost`, `cimd.test`,
 * `cimd.localhost` and 127.0.0.1, with openssl. Nothing outside the test process trusts it.
 */
export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-auth-test-ca-'));
  try {
    const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    run(
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '1',
      '-subj',
      '/CN=mcp-auth test CA',
    );
    run('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
    writeFileSync(
      join(dir, 'server.ext'),
      'subjectAltName=DNS:localhost,DNS:cimd.test,DNS:cimd.localhost,IP:127.0.0.1\n' +
        'extendedKeyUsage=serverAuth\n',
    );
    run(
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.pem',
      '-days',
      '1',
      '-extfile',
      'server.ext',
    );
    const read = (name: string) => readFileSync(join(dir, name), 'utf8');
    return { ca: read('ca.pem'), key: read('server.key'), cert: read('server.pem') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export type RouteHandler = (request: IncomingMessage, response: ServerResponse) => void;

/** One request the server received. */
export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
}

/**
 * A local HTTPS server (test CA) publishing Client ID Metadata Documents, so end-to-end tests
 * exercise the real fetch without leaving loopback. The module under test reaches it through
 * `clientMetadataDocuments: { allowLoopbackHosts: ['localhost'], ca }`.
 */
export interface MetadataDocumentServer {
  /** `https://localhost:<port>` */
  readonly origin: string;
  readonly port: number;
  /** The CA to trust for this server (pass as `clientMetadataDocuments.ca`). */
  readonly ca: string;
  /** Every request received, in order. */
  readonly requests: ReceivedRequest[];
  /** `origin + path` */
  url(path: string): string;
  /**
   * Publishes `document` as JSON at `path` (200, `application/json`) with extra headers,
   * e.g. `{ 'cache-control': 'max-age=600' }`. Replaces whatever was there.
   */
  publish(path: string, document: unknown, headers?: OutgoingHttpHeaders): void;
  /** Answers `path` with a handler of its own (redirects, slow bodies, errors...). */
  route(path: string, handler: RouteHandler): void;
  /** Stops answering `path` (404 from now on). */
  withdraw(path: string): void;
  /** How many requests `path` received. */
  hits(path: string): number;
  close(): Promise<void>;
}

export async function startMetadataDocumentServer(
  certificates: TestCertificates = makeTestCertificates(),
): Promise<MetadataDocumentServer> {
  const routes = new Map<string, RouteHandler>();
  const requests: ReceivedRequest[] = [];
  const server: Server = createServer(
    { key: certificates.key, cert: certificates.cert },
    (request, response) => {
      const path = request.url ?? '';
      requests.push({ path, headers: request.headers });
      const handler = routes.get(path);
      if (handler) {
        handler(request, response);
        return;
      }
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end('{"error":"not_found"}');
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const origin = `https://localhost:${port}`;
  return {
    origin,
    port,
    ca: certificates.ca,
    requests,
    url: (path) => `${origin}${path}`,
    publish(path, document, headers = {}) {
      const body = JSON.stringify(document);
      routes.set(path, (_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json', ...headers });
        response.end(body);
      });
    },
    route(path, handler) {
      routes.set(path, handler);
    },
    withdraw(path) {
      routes.delete(path);
    },
    hits: (path) => requests.filter((request) => request.path === path).length,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
