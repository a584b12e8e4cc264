import { ThrottlerStorageService } from '@nestjs/throttler';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { types } from 'node:util';
import {
  DATABASE_TARGETS,
  openTestDatabase,
  type TestDatabase,
} from '../../../../../../test/support/test-database';
import { openProxiedDatabase } from '../../../../../../test/security/support/proxied-database';
import { describeOnPostgres } from '../../../../../../test/support/skip';
import { isDatabaseUnavailableError } from '../../../oauth/database-unavailable';
import { ExpiredRecordsPurger } from './expired-records.purger';
import { TypeOrmThrottlerStorage } from './typeorm-throttler.storage';

const ISSUER = 'https://as.example.com';
const NAME = 'token';

type Answer = Awaited<ReturnType<TypeOrmThrottlerStorage['increment']>>;
interface Call {
  ttl: number;
  limit: number;
  blockDuration: number;
}

const newKey = (): string => randomBytes(32).toString('hex');

/**
 * Times are whole seconds rounded up from two clocks (the database's and this process's) read
 * a few milliseconds apart: equal within one second. A time in the past (`timeToBlockExpire`
 * of a key never blocked is minus the epoch) only needs to be in the past on both.
 */
function expectSameAnswer(actual: Answer, expected: Answer): void {
  expect({ totalHits: actual.totalHits, isBlocked: actual.isBlocked }).toEqual({
    totalHits: expected.totalHits,
    isBlocked: expected.isBlocked,
  });
  for (const field of ['timeToExpire', 'timeToBlockExpire'] as const) {
    if (expected[field] < -1_000_000) {
      expect(actual[field]).toBeLessThan(-1_000_000);
    } else {
      expect(Math.abs(actual[field] - expected[field])).toBeLessThanOrEqual(1);
    }
  }
}

describe.each(DATABASE_TARGETS)('TypeOrmThrottlerStorage contract ($name)', (target) => {
  let db: TestDatabase;
  let storage: TypeOrmThrottlerStorage;
  let reference: ThrottlerStorageService;

  beforeAll(async () => {
    db = await openTestDatabase(target);
    storage = new TypeOrmThrottlerStorage(db.dataSource, ISSUER);
  });
  beforeEach(() => {
    reference = new ThrottlerStorageService();
  });
  afterEach(() => reference.onApplicationShutdown());
  afterAll(() => db.close());

  /**
   * Runs the same script on @nestjs/throttler's in-memory storage and on this one, each call
   * on both at the same moment, and expects the same answers. Returns this storage's answers.
   */
  async function sideBySide(call: Call, script: (number | 'hit')[]): Promise<Answer[]> {
    const key = newKey();
    const answers: Answer[] = [];
    for (const step of script) {
      if (step !== 'hit') {
        await sleep(step);
        continue;
      }
      const [actual, expected] = await Promise.all([
        storage.increment(key, call.ttl, call.limit, call.blockDuration, NAME),
        reference.increment(key, call.ttl, call.limit, call.blockDuration, NAME),
      ]);
      expectSameAnswer(actual, expected);
      answers.push(actual);
    }
    return answers;
  }

  it('counts hits, blocks the hit past the limit for blockDuration, and does not count refused hits', async () => {
    const answers = await sideBySide({ ttl: 60_000, limit: 3, blockDuration: 30_000 }, [
      'hit',
      'hit',
      'hit',
      'hit',
      'hit',
      'hit',
    ]);
    expect(answers.map((a) => [a.totalHits, a.isBlocked])).toEqual([
      [1, false],
      [2, false],
      [3, false],
      [4, true],
      [4, true],
      [4, true],
    ]);
    expect(answers[0].timeToExpire).toBe(60);
    expect(answers[3].timeToBlockExpire).toBe(30);
  });

  it('is a sliding window: each hit leaves the count ttl after it was counted', async () => {
    const answers = await sideBySide({ ttl: 1000, limit: 10, blockDuration: 1000 }, [
      'hit',
      600,
      'hit',
      550,
      'hit',
    ]);
    // The first hit has left the window, the second has not; the window itself renewed.
    expect(answers.map((a) => a.totalHits)).toEqual([1, 2, 2]);
    expect(answers[2].timeToExpire).toBe(1);
  });

  it('resets after the window: a quiet key starts from one', async () => {
    const answers = await sideBySide({ ttl: 500, limit: 2, blockDuration: 500 }, [
      'hit',
      'hit',
      650,
      'hit',
    ]);
    expect(answers.map((a) => [a.totalHits, a.isBlocked])).toEqual([
      [1, false],
      [2, false],
      [1, false],
    ]);
  });

  it('lifts a block once blockDuration has passed, even while the window lasts', async () => {
    const answers = await sideBySide({ ttl: 60_000, limit: 2, blockDuration: 700 }, [
      'hit',
      'hit',
      'hit',
      'hit',
      850,
      'hit',
      'hit',
    ]);
    expect(answers.map((a) => [a.totalHits, a.isBlocked])).toEqual([
      [1, false],
      [2, false],
      [3, true],
      [3, true],
      [1, false],
      [2, false],
    ]);
    expect(answers[2].timeToBlockExpire).toBe(1);
  });

  it('with blockDuration 0, refuses at the limit until the oldest hit leaves, without blocking', async () => {
    const answers = await sideBySide({ ttl: 60_000, limit: 2, blockDuration: 0 }, [
      'hit',
      'hit',
      'hit',
      'hit',
    ]);
    expect(answers.map((a) => [a.totalHits, a.isBlocked, a.timeToBlockExpire])).toEqual([
      [1, false, 0],
      [2, false, 0],
      [3, true, 60],
      [3, true, 60],
    ]);
  });

  it('keeps each issuer’s counters apart', async () => {
    const other = new TypeOrmThrottlerStorage(db.dataSource, 'https://other.example.com');
    const key = newKey();
    await storage.increment(key, 60_000, 1, 60_000, NAME);
    expect((await storage.increment(key, 60_000, 1, 60_000, NAME)).isBlocked).toBe(true);
    expect(await other.increment(key, 60_000, 1, 60_000, NAME)).toMatchObject({
      totalHits: 1,
      isBlocked: false,
    });
  });

  it('loses no hit under concurrency: 50 at once count 1 to 50', async () => {
    const key = newKey();
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => storage.increment(key, 60_000, 100, 60_000, NAME)),
    );
    expect(answers.map((a) => a.totalHits).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    expect(answers.every((a) => !a.isBlocked)).toBe(true);
    const [row] = await db.dataSource.query(
      `SELECT cardinality(hits) AS n FROM mcp_auth_rate_limits WHERE issuer = $1 AND "key" = $2`,
      [ISSUER, key],
    );
    expect(row.n).toBe(50);
  });

  it('lets exactly `limit` of 50 concurrent hits through', async () => {
    const key = newKey();
    const limit = 10;
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => storage.increment(key, 60_000, limit, 60_000, NAME)),
    );
    const passed = answers.filter((a) => !a.isBlocked);
    expect(passed.map((a) => a.totalHits).sort((a, b) => a - b)).toEqual(
      Array.from({ length: limit }, (_, i) => i + 1),
    );
    // Refused hits are not counted: the count stops at the one that blocked.
    expect(answers.filter((a) => a.isBlocked).every((a) => a.totalHits === limit + 1)).toBe(true);
  });

  it('leaves rows the clean-up deletes once nothing in them is live', async () => {
    const purge = () => new ExpiredRecordsPurger(db.dataSource).purge();
    const count = async (key: string): Promise<number> =>
      (
        await db.dataSource.query(
          `SELECT count(*)::int AS n FROM mcp_auth_rate_limits WHERE "key" = $1`,
          [key],
        )
      )[0].n;
    const [quiet, live, blocked] = [newKey(), newKey(), newKey()];
    await storage.increment(quiet, 200, 5, 200, NAME);
    await storage.increment(live, 60_000, 5, 60_000, NAME);
    // Hits and window end soon, the block does not.
    await storage.increment(blocked, 200, 1, 60_000, NAME);
    await storage.increment(blocked, 200, 1, 60_000, NAME);
    await sleep(350);
    await purge();
    expect([await count(quiet), await count(live), await count(blocked)]).toEqual([0, 1, 1]);
    expect((await storage.increment(blocked, 200, 1, 60_000, NAME)).isBlocked).toBe(true);
  });
});

describeOnPostgres('TypeOrmThrottlerStorage with the database gone', () => {
  it('fails with an error the module answers as 503 (database unavailable), not 500', async () => {
    const database = await openProxiedDatabase(2);
    try {
      const storage = new TypeOrmThrottlerStorage(database.db.dataSource, ISSUER);
      const key = newKey();
      expect((await storage.increment(key, 60_000, 5, 60_000, NAME)).totalHits).toBe(1);
      await database.proxy.cut();
      for (let i = 0; i < 2; i++) {
        const error: unknown = await storage.increment(key, 60_000, 5, 60_000, NAME).then(
          () => undefined,
          (failure: unknown) => failure,
        );
        // The driver's own error (pg's, from another realm under jest: no instanceof).
        expect(types.isNativeError(error)).toBe(true);
        expect(isDatabaseUnavailableError(error)).toBe(true);
      }
    } finally {
      await database.close();
    }
  });
});
