import {
  Controller,
  HttpCode,
  type INestApplication,
  Logger,
  Post,
  UseGuards,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Client as PgClient } from 'pg';
import { BearerGuard, McpAuthModule, ResourceOwnerAuthenticator } from '@app/mcp-auth';
import { createHttpApplication, defaultAuthOptions, freePort } from './support/test-app';
import { DATABASE_TARGETS, openTestDatabase, type TestDatabase } from './support/test-database';
import { TestAuthenticator } from './support/test-authenticator';
import {
  CapturingLogger,
  http,
  obtainCode,
  recordTokens,
  redeem,
  refreshWith,
  register,
  SecretRegistry,
  type Client,
  type RawResponse,
  type Tokens,
} from './security/support/harness';

/**
 * Graceful shutdown: with `enableShutdownHooks()`, `app.close()` lets the
 * token requests in flight finish with their full answer, stops accepting new ones, closes the
 * revocation listener and every database connection, stops the module's timers, and logs no
 * error. The requests are held in flight by the database itself: a transaction of the test
 * locks their grants, so rotating their refresh tokens waits on the row lock.
 */

@Controller()
@UseGuards(BearerGuard)
class McpEndpoint {
  @Post('mcp')
  @HttpCode(200)
  call() {
    return { jsonrpc: '2.0', id: 1, result: {} };
  }
}

const IN_FLIGHT = 4;
const onPostgres = DATABASE_TARGETS[DATABASE_TARGETS.length - 1].name === 'postgres';

/** Timers and sockets Node holds open, by kind. */
function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

async function waitFor(probe: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

(onPostgres ? describe : describe.skip)('graceful shutdown', () => {
  let db: TestDatabase;
  let admin: PgClient;
  let app: INestApplication | undefined;
  let url: string;
  let logger: CapturingLogger;
  let timersBefore: number;

  /** Backends of the app's database, other than the test's own connections. */
  async function appBackends(): Promise<
    { application_name: string; query: string; wait_event_type: string | null }[]
  > {
    const result = await admin.query<{
      application_name: string;
      query: string;
      wait_event_type: string | null;
    }>(
      `SELECT application_name, query, wait_event_type FROM pg_stat_activity
       WHERE datname = current_database() AND pid <> pg_backend_pid()
         AND application_name <> 'graceful-shutdown-test'`,
    );
    return result.rows;
  }

  beforeAll(async () => {
    Logger.overrideLogger(['error']);
    timersBefore = activeResources().Timeout ?? 0;
    db = await openTestDatabase(DATABASE_TARGETS[DATABASE_TARGETS.length - 1]);
    admin = new PgClient({ connectionString: db.url, application_name: 'graceful-shutdown-test' });
    await admin.connect();

    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({ type: 'postgres' }),
          dataSourceFactory: async () => db.dataSource,
        }),
        McpAuthModule.forRoot({
          ...defaultAuthOptions(url),
          extraProviders: [{ provide: ResourceOwnerAuthenticator, useClass: TestAuthenticator }],
          // The module's timers run: clean-up and the deny-list's poll, every second.
          cleanupInterval: 1,
        }),
      ],
      controllers: [McpEndpoint],
    }).compile();
    app = createHttpApplication(moduleRef);
    logger = new CapturingLogger();
    app.useLogger(logger);
    app.enableShutdownHooks();
    await app.listen(port, '127.0.0.1');
  });

  afterAll(async () => {
    // A failed run may leave the grants locked: release them, or close would wait forever.
    await admin?.query('ROLLBACK').catch(() => undefined);
    await app?.close().catch(() => undefined);
    await admin?.end().catch(() => undefined);
    // The app's shutdown destroyed the DataSource it was given; only the database is left.
    if (db && !db.dataSource.isInitialized) db.dataSource.destroy = async () => undefined;
    await db?.close();
    Logger.overrideLogger(['error', 'warn']);
  });

  it('finishes the token requests in flight, refuses new ones, then releases everything', async () => {
    const secrets = new SecretRegistry();
    const t = { url };
    const client: Client = await register(t, secrets, 'client_secret_basic');
    const tokens: Tokens[] = [];
    for (let i = 0; i < IN_FLIGHT; i += 1) {
      const response = await redeem(t, client, await obtainCode(t, client, secrets));
      expect(response.status).toBe(200);
      tokens.push(recordTokens(secrets, response.json));
    }
    // The guard works, and the revocation listener is up.
    const guarded = await http(url, '/mcp', {
      jsonBody: { jsonrpc: '2.0', id: 1, method: 'ping' },
      headers: { authorization: `Bearer ${tokens[0].access_token}` },
    });
    expect(guarded.status).toBe(200);
    expect((await appBackends()).map((row) => row.application_name)).toContain(
      'mcp-auth revocations',
    );

    // Hold every grant: the refreshes wait on the lock, inside the app.
    await admin.query('BEGIN');
    await admin.query('SELECT id FROM mcp_auth_grants WHERE client_id = $1 FOR UPDATE', [
      client.clientId,
    ]);
    let settled = 0;
    const inFlight: Promise<RawResponse>[] = tokens.map((pair) =>
      refreshWith(t, client, pair.refresh_token!).finally(() => {
        settled += 1;
      }),
    );
    await waitFor(
      async () => (await appBackends()).some((row) => row.wait_event_type === 'Lock'),
      'a refresh to wait on the lock',
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(settled).toBe(0);

    let closed = false;
    const closing = app!.close().then(() => {
      closed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Still draining: the server waits for the requests in flight.
    expect(closed).toBe(false);
    expect(settled).toBe(0);
    // A new request is not served (the listener is closed, or Fastify answers 503).
    const late = await http(url, '/.well-known/oauth-authorization-server').then(
      (response) => response.status,
      () => 'refused',
    );
    expect(late === 'refused' || late === 503).toBe(true);

    await admin.query('COMMIT');
    const answers = await Promise.all(inFlight);
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.json).toMatchObject({
        access_token: expect.any(String),
        refresh_token: expect.any(String),
        token_type: 'Bearer',
      });
    }
    const answered = Date.now();
    await closing;
    // Done once the answers are out: not after a keep-alive timeout (5 s Express, 72 s Fastify).
    expect(Date.now() - answered).toBeLessThan(2_000);
    app = undefined;

    // No connection of the app is left: not the pool's, not the LISTEN connection. A backend
    // leaves pg_stat_activity a moment after its client said goodbye.
    await waitFor(async () => (await appBackends()).length === 0, 'the backends to exit').catch(
      () => undefined,
    );
    expect(await appBackends()).toEqual([]);
    expect(db.dataSource.isInitialized).toBe(false);
    // The module's timers (clean-up and deny-list poll, every second here) are stopped: one
    // still running would fail on the destroyed DataSource and log it.
    const linesAtClose = logger.lines.length;
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(logger.lines.slice(linesAtClose)).toEqual([]);
    // Nothing keeps the process alive: no timer or socket more than before the app existed.
    expect(activeResources().Timeout ?? 0).toBeLessThanOrEqual(timersBefore);
    expect(activeResources().TCPServerWrap ?? 0).toBe(0);
    // Nothing at error level, during the requests or the shutdown.
    expect(logger.lines.filter((line) => /^\[(error|fatal)\]/.test(line))).toEqual([]);
  });
});
