import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RateLimitOptions } from '@app/mcp-auth';
import { createTestApp, type TestApp } from '../support/test-app';
import { DATABASE_TARGETS, openTestDatabase, type TestDatabase } from '../support/test-database';
import { redisReachable, redisUrl } from '../support/test-redis';
import { describeIf, describeOnPostgres } from '../support/skip';
import { expectErrorPage, expectOAuthJson, http, type RawResponse } from './support/harness';
import { openProxiedDatabase, type ProxiedDatabase } from './support/proxied-database';

type Storage = Exclude<RateLimitOptions, false>['storage'];

/** Login attempts per address and window, across every instance of the issuer. */
const LOGIN_LIMIT = 6;
const LOGIN_ID = 'A'.repeat(43);

/** A password guess: refused for the unknown interaction, but counted like any other. */
const login = (app: { url: string }): Promise<RawResponse> =>
  http(app.url, `/interaction/${LOGIN_ID}/login`, { form: { username: 'a', password: 'b' } });

function expectCounted(response: RawResponse): void {
  expect(response.status).toBeGreaterThanOrEqual(400);
  expect(response.status).toBeLessThan(429);
}

function expectLimited(response: RawResponse): void {
  expectErrorPage(response, 429);
  expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
}

/**
 * Limits must hold across instances: two app instances of one issuer (as behind a load
 * balancer) share one login budget, whichever instance an attempt reaches. By default the
 * counters are in the module's database; Redis is the option for heavy traffic; `'memory'`
 * counts per process, which is what N instances must not do.
 */
describe('Security: rate limits shared by instances', () => {
  let db: TestDatabase;
  const apps: TestApp[] = [];

  beforeAll(async () => {
    db = await openTestDatabase(DATABASE_TARGETS[DATABASE_TARGETS.length - 1]);
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await db?.close();
  });

  /** Instances A and B of one issuer on the same database, each with its own `storage()`. */
  async function instances(storage: () => Storage): Promise<[TestApp, TestApp]> {
    const rateLimit = () => ({ interaction: { limit: LOGIN_LIMIT, ttl: 60 }, storage: storage() });
    const a = await createTestApp({ db, auth: () => ({ rateLimit: rateLimit() }) });
    apps.push(a);
    const b = await createTestApp({ db, auth: () => ({ issuer: a.url, rateLimit: rateLimit() }) });
    apps.push(b);
    Logger.overrideLogger(['error']);
    return [a, b];
  }

  /** 3 attempts on A, 3 on B: all counted; the 7th is refused on either instance. */
  async function expectOneBudget(a: TestApp, b: TestApp): Promise<void> {
    for (const app of [a, a, a, b, b, b]) expectCounted(await login(app));
    expectLimited(await login(a));
    expectLimited(await login(b));
  }

  it('by default (PostgreSQL) A and B count against one budget', async () => {
    const [a, b] = await instances(() => undefined);
    await expectOneBudget(a, b);
    // One counter row, in the issuer's partition.
    const rows: { issuer: string }[] = await db.dataSource.query(
      `SELECT issuer FROM mcp_auth_rate_limits WHERE issuer = $1`,
      [a.url],
    );
    expect(rows).toEqual([{ issuer: a.url }]);
  });

  it("with storage 'memory' each instance counts alone: twice the budget gets through", async () => {
    const [a, b] = await instances(() => 'memory');
    for (let i = 0; i < LOGIN_LIMIT; i++) expectCounted(await login(a));
    for (let i = 0; i < LOGIN_LIMIT; i++) expectCounted(await login(b));
    expectLimited(await login(a));
    expectLimited(await login(b));
  });

  const describeRedis = describeIf(
    redisReachable('rate-limit-shared-storage.e2e-spec'),
    'needs Redis: set REDIS_URL or start redis-server',
  );

  describeRedis('Redis storage (@nest-lab/throttler-storage-redis)', () => {
    it('A and B, each with its own Redis connection, count against one budget', async () => {
      const storages: ThrottlerStorageRedisService[] = [];
      const [a, b] = await instances(() => {
        // Given a URL, the storage owns its connection (one per instance, as separate
        // processes would have) and closes it when the application shuts down.
        const storage = new ThrottlerStorageRedisService(redisUrl(), { maxRetriesPerRequest: 1 });
        storages.push(storage);
        return storage;
      });
      await expectOneBudget(a, b);
      for (const app of [a, b]) {
        apps.splice(apps.indexOf(app), 1);
        await app.close();
      }
      // The disconnect completes asynchronously.
      const closed = () => storages.every((storage) => storage.redis.status === 'end');
      for (let wait = 0; wait < 20 && !closed(); wait++) await sleep(50);
      expect(storages.map((storage) => storage.redis.status)).toEqual(['end', 'end']);
    });
  });
});

describeOnPostgres('Security: rate-limit counters while the database is down', () => {
  let database: ProxiedDatabase;
  let t: TestApp;

  beforeAll(async () => {
    database = await openProxiedDatabase(4);
    t = await createTestApp({
      db: database.db,
      auth: () => ({
        rateLimit: { token: { limit: 100, ttl: 60 }, interaction: { limit: 100, ttl: 60 } },
      }),
    });
    Logger.overrideLogger(['error']);
  });
  afterAll(async () => {
    await t?.close();
    await database?.close();
  });

  const token = () =>
    http(t.url, '/token', {
      form: { grant_type: 'refresh_token', refresh_token: 'x', client_id: 'nobody' },
    });

  it('answers 503 with Retry-After (JSON on the token endpoint, a page on login), never 500, and recovers', async () => {
    expect((await token()).status).toBe(401);
    await database.proxy.cut();
    try {
      const json = await token();
      expectOAuthJson(json, 503, 'temporarily_unavailable');
      expect(Number(json.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      const page = await login(t);
      expectErrorPage(page, 503);
      expect(Number(page.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    } finally {
      await database.proxy.restore();
    }
    let status = 0;
    for (let attempt = 0; attempt < 20 && status !== 401; attempt++) {
      status = (await token()).status;
      if (status !== 401) await sleep(250);
    }
    expect(status).toBe(401);
  });
});
