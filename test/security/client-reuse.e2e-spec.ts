import { ClientStore, type ClientStore as ClientStoreContract } from '@app/mcp-auth';
import { hashSecret } from '../support/secrets';
import { createTestApp, type TestApp } from '../support/test-app';
import {
  expectOAuthError,
  redeemCode,
  refresh,
  registerClient,
  seedCode,
  type TestClient,
} from '../support/token-endpoints';

/**
 * The code and refresh grants authenticate against a client read in the last 30 s (no round
 * trip for it) and confirm its row version in their own statement. Two instances on one
 * database: a client deleted, or a secret rotated, through one of them takes effect at once on
 * the other, whose copy of the client is stale.
 */
describe('Token endpoint: a recently read client (two instances, one database)', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    // The deny-list's catch-up poll (once a second by default) would run its own statement
    // during a counted request now and then; NOTIFY still brings revocations here at once.
    const quiet = { resourceServer: { revocationPollInterval: 3600 } };
    a = await createTestApp({ auth: () => quiet });
    b = await createTestApp({ db: a.db, auth: () => ({ ...quiet, issuer: a.url }) });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  const clients = () => a.app.get<symbol, ClientStoreContract>(ClientStore);

  /** A first refresh token for `client`, redeemed at `via` (which then remembers the client). */
  async function firstRefreshToken(via: TestApp, client: TestClient): Promise<string> {
    const redeemed = await redeemCode(via, client, await seedCode(a, client));
    expect(redeemed.status).toBe(200);
    return (redeemed.body as { refresh_token: string }).refresh_token;
  }

  /** Statements the app sends while `work` runs (pool and DataSource paths alike). */
  async function statementsDuring(work: () => Promise<void>): Promise<string[]> {
    const sent: string[] = [];
    const source = a.db.dataSource;
    const pool = (
      source.driver as unknown as { master: { query: (...args: unknown[]) => unknown } }
    ).master;
    const poolQuery = pool.query;
    const sourceQuery = source.query;
    pool.query = function (this: unknown, ...args: unknown[]) {
      const first = args[0] as string | { text: string };
      sent.push(typeof first === 'string' ? first : first.text);
      return poolQuery.apply(this, args);
    };
    source.query = function (this: unknown, sql: string, ...rest: unknown[]) {
      sent.push(sql);
      return (sourceQuery as (...args: unknown[]) => unknown).apply(this, [sql, ...rest]);
    } as typeof source.query;
    try {
      await work();
    } finally {
      pool.query = poolQuery;
      source.query = sourceQuery;
    }
    return sent;
  }

  it('a refresh and a code exchange are one statement each once the client was read', async () => {
    const client = await registerClient(a, 'none');
    const token = await firstRefreshToken(b, client);
    const code = await seedCode(a, client);
    let refreshed: { status: number } | undefined;
    const onRefresh = await statementsDuring(async () => {
      refreshed = await refresh(b, client, token);
    });
    expect(refreshed?.status).toBe(200);
    expect(onRefresh).toHaveLength(1);
    let redeemed: { status: number } | undefined;
    const onCode = await statementsDuring(async () => {
      redeemed = await redeemCode(b, client, code);
    });
    expect(redeemed?.status).toBe(200);
    expect(onCode).toHaveLength(1);
  });

  it('keeps working across refreshes on both instances', async () => {
    const client = await registerClient(a, 'client_secret_basic');
    let token = await firstRefreshToken(b, client);
    for (const via of [b, a, b, b]) {
      const response = await refresh(via, client, token);
      expect(response.status).toBe(200);
      token = (response.body as { refresh_token: string }).refresh_token;
    }
  });

  it('a client deleted on one instance stops working at once on the other', async () => {
    const client = await registerClient(a, 'none');
    const token = await firstRefreshToken(b, client);
    const code = await seedCode(a, client);
    // The grant of the refresh token and the grant of the unredeemed code.
    expect(await clients().delete(client.clientId)).toEqual({
      revokedGrantIds: [expect.any(String), expect.any(String)],
    });
    expectOAuthError(await refresh(b, client, token), 401, 'invalid_client');
    expectOAuthError(await redeemCode(b, client, code), 401, 'invalid_client');
  });

  it('a rotated secret takes effect at once: the old one is refused, the new one works', async () => {
    const client = await registerClient(a, 'client_secret_post');
    const token = await firstRefreshToken(b, client);
    const rotated = 'a-rotated-and-sufficiently-long-client-secret';
    const stored = await clients().findById(client.clientId);
    await clients().upsert({ ...stored!, clientSecretHash: hashSecret(rotated) });

    // b still holds the client with the old secret: its statement sees the new row version.
    expectOAuthError(await refresh(b, client, token), 401, 'invalid_client');
    const code = await seedCode(a, client);
    expectOAuthError(await redeemCode(b, client, code), 401, 'invalid_client');

    // Nothing was consumed by the refused requests: the same token and code still work.
    const withNew = { ...client, secret: rotated };
    expect((await refresh(b, withNew, token)).status).toBe(200);
    expect((await redeemCode(b, withNew, code)).status).toBe(200);
  });

  it('a grant type withdrawn on one instance is refused at once on the other', async () => {
    const client = await registerClient(a, 'none');
    const token = await firstRefreshToken(b, client);
    const stored = await clients().findById(client.clientId);
    await clients().upsert({ ...stored!, grantTypes: ['authorization_code'] });
    expectOAuthError(await refresh(b, client, token), 400, 'unauthorized_client');
  });
});
