import { Logger } from '@nestjs/common';
import type { TestApp } from '../support/test-app';
import { describeOnPostgres } from '../support/skip';
import {
  authorizeUrl,
  expectOAuthJson,
  fullFlow,
  http,
  introspect,
  pkce,
  register,
  REDIRECT_URI,
  SecretRegistry,
  type Client,
  type RawResponse,
  createSecurityApp,
  resourceServer,
} from './support/harness';
import { openProxiedDatabase, type ProxiedDatabase } from './support/proxied-database';
import type { TcpProxy } from './support/tcp-proxy';

/**
 * Postgres outage during a load run. The app reaches Postgres through a TCP proxy
 * this test owns; cutting the proxy is the outage. Asserted: while it lasts every request
 * that needs the database fails fast with 503 and an OAuth-shaped `temporarily_unavailable`
 * body (an HTML page on browser endpoints) and `Retry-After`, never a 500; the process keeps
 * answering what needs no database; once the proxy is back the app serves again within
 * seconds, with no restart.
 *
 * Needs a real Postgres: the embedded database runs in-process and cannot be cut.
 */

interface Sample {
  kind: string;
  startedAt: number;
  elapsed: number;
  response: RawResponse;
}

describeOnPostgres('Security: Postgres outage under load', () => {
  let database: ProxiedDatabase;
  let proxy: TcpProxy;
  let t: TestApp;
  const secrets = new SecretRegistry();
  let client: Client;
  let confidential: Client;

  beforeAll(async () => {
    database = await openProxiedDatabase();
    proxy = database.proxy;
    t = await createSecurityApp({ db: database.db });
    Logger.overrideLogger(['error']);
    client = await register(t, secrets, 'none');
    confidential = resourceServer(secrets);
  });

  afterAll(async () => {
    await t?.close();
    await database?.close();
  });

  /** One request of each kind that needs the database. */
  const requests: Record<string, () => Promise<RawResponse>> = {
    register: () =>
      http(t.url, '/register', {
        jsonBody: {
          redirect_uris: [REDIRECT_URI],
          token_endpoint_auth_method: 'none',
          application_type: 'native',
        },
      }),
    token: () =>
      http(t.url, '/token', {
        form: {
          grant_type: 'authorization_code',
          code: 'C'.repeat(43),
          code_verifier: 'v'.repeat(43),
          redirect_uri: REDIRECT_URI,
          client_id: client.clientId,
        },
      }),
    introspect: () =>
      http(t.url, '/introspect', {
        form: { token: 'x'.repeat(43) },
        headers: {
          authorization: `Basic ${Buffer.from(`${confidential.clientId}:${confidential.secret}`).toString('base64')}`,
        },
      }),
    authorize: () =>
      http(t.url, authorizeUrl(t, client, { code_challenge: pkce().challenge }).replace(t.url, '')),
    interaction: () => http(t.url, `/interaction/${'A'.repeat(43)}`),
  };

  async function loadRun(until: () => boolean, samples: Sample[]): Promise<void> {
    const kinds = Object.keys(requests);
    await Promise.all(
      Array.from({ length: 6 }, async (_, worker) => {
        for (let i = worker; !until(); i++) {
          const kind = kinds[i % kinds.length];
          const startedAt = Date.now();
          const response = await requests[kind]();
          samples.push({ kind, startedAt, elapsed: Date.now() - startedAt, response });
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }),
    );
  }

  function expectUnavailable(sample: Sample): void {
    const { response } = sample;
    expect({ kind: sample.kind, status: response.status }).toEqual({
      kind: sample.kind,
      status: 503,
    });
    expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
    if (sample.kind === 'authorize' || sample.kind === 'interaction') {
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(response.location).toBeNull();
      expect(response.text).toContain('Temporarily unavailable');
    } else {
      expectOAuthJson(response, 503, 'temporarily_unavailable');
    }
    // Fail fast: no request waits on a database that is not there.
    expect(sample.elapsed).toBeLessThan(2500);
  }

  it('fails fast with 503 temporarily_unavailable during the outage and recovers without a restart', async () => {
    const tokens = await fullFlow(t, client, secrets);
    const samples: Sample[] = [];
    let phase: 'before' | 'down' | 'after' = 'before';
    let cutAt = 0;
    let restoredAt = 0;
    let recoveredAt = 0;

    const run = loadRun(
      () => phase === 'after' && recoveredAt > 0 && Date.now() - recoveredAt > 300,
      samples,
    );

    await new Promise((resolve) => setTimeout(resolve, 400));
    await proxy.cut();
    cutAt = Date.now();
    phase = 'down';
    await new Promise((resolve) => setTimeout(resolve, 2000));

    // The process is up: what needs no database still answers during the outage.
    const metadata = await http(t.url, '/.well-known/oauth-authorization-server');
    expect(metadata.status).toBe(200);
    const jwks = await http(t.url, '/.well-known/jwks.json');
    expect(jwks.status).toBe(200);

    await proxy.restore();
    restoredAt = Date.now();
    phase = 'after';
    const deadline = restoredAt + 10_000;
    while (Date.now() < deadline) {
      const probe = await requests.token();
      if (probe.status !== 503) {
        recoveredAt = Date.now();
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await run;

    // No request ever got a 500 or leaked internals.
    for (const sample of samples) {
      expect({ kind: sample.kind, status: sample.response.status }).not.toMatchObject({
        status: 500,
      });
      expect(sample.response.text).not.toMatch(/\n\s+at\s|QueryFailedError|ECONNREFUSED/);
    }
    // Requests that started well inside the outage all got the 503 answer.
    const during = samples.filter(
      (s) => s.startedAt >= cutAt + 100 && s.startedAt + s.elapsed < restoredAt,
    );
    expect(during.length).toBeGreaterThan(20);
    for (const kind of Object.keys(requests)) {
      expect(during.some((sample) => sample.kind === kind)).toBe(true);
    }
    for (const sample of during) expectUnavailable(sample);

    // Serving again within seconds of Postgres coming back.
    expect(recoveredAt).toBeGreaterThan(0);
    expect(recoveredAt - restoredAt).toBeLessThan(5000);
    const afterwards = samples.filter((s) => s.startedAt >= recoveredAt);
    expect(afterwards.every((s) => s.response.status !== 503)).toBe(true);

    // And fully: the tokens from before the outage, a refresh and a new authorization work.
    expect(await introspect(t, confidential, tokens.access_token)).toMatchObject({ active: true });
    const refreshed = await http(t.url, '/token', {
      form: {
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token!,
        client_id: client.clientId,
      },
    });
    expect(refreshed.status).toBe(200);
    await fullFlow(t, client, secrets);
  });

  it('a database that accepts connections but never answers also fails fast (pool timeout)', async () => {
    // Exhaust nothing, just hang: a proxy port that accepts and forwards nothing.
    const { createServer } = await import('node:net');
    const held: import('node:net').Socket[] = [];
    await proxy.cut();
    const blackhole = createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) =>
      blackhole.listen(proxy.port, '127.0.0.1', () => resolve()),
    );
    try {
      // The first requests may meet pooled connections the cut killed; later ones must open
      // a connection, which hangs until connectionTimeoutMillis.
      const elapsed: number[] = [];
      for (let i = 0; i < 4; i++) {
        const started = Date.now();
        expectOAuthJson(await requests.register(), 503, 'temporarily_unavailable');
        elapsed.push(Date.now() - started);
      }
      expect(Math.max(...elapsed)).toBeLessThan(3000);
      expect(Math.max(...elapsed)).toBeGreaterThanOrEqual(900);
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise<void>((resolve) => blackhole.close(() => resolve()));
      await proxy.restore();
    }
    const deadline = Date.now() + 10_000;
    let status = 503;
    while (status === 503 && Date.now() < deadline) {
      status = (await requests.register()).status;
      if (status === 503) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe(201);
  });
});
