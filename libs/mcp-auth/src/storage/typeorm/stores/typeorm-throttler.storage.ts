import type { ThrottlerStorage } from '@nestjs/throttler';
import type { DataSource } from 'typeorm';
import { queryRows, type SqlOptions, type SqlRunner, sqlRunner } from './query-rows';

/** `ThrottlerStorageRecord`, which `@nestjs/throttler` does not export from its root. */
type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

interface CounterRow {
  total_hits: number;
  time_to_expire: number;
  is_blocked: boolean;
  time_to_block_expire: number;
}

// $1 issuer, $2 key, $3 ttl (ms), $4 limit, $5 block duration (ms). The steps of
// ThrottlerStorageService.increment on the row the conflict has locked:
//   a: the hits still in the sliding window; the record's window, renewed once it has passed;
//   b: this hit is counted unless the key is blocked; counted past the limit, it blocks;
//   c: a block that has run out resets the count to this one hit.
// A block duration <= 0 is the storage's other mode: refuse at the limit, never block.
// OFFSET 0 keeps each step a single evaluation: inlined, the window filter ran once per use.
const INCREMENT = `
INSERT INTO mcp_auth_rate_limits AS r
  (issuer, "key", hits, window_expires_at, is_blocked, block_expires_at, refused, expires_at)
SELECT $1, $2, CASE WHEN n.counted THEN ARRAY[n.hit] ELSE '{}' END, n.hit, n.blocked,
       n.block_expires_at, n.blocked OR NOT n.counted, greatest(n.hit, n.block_expires_at)
FROM (
  SELECT h.hit, h.counted, h.blocked,
         CASE WHEN h.blocked THEN now() + $5::float8 * interval '1 millisecond' END
           AS block_expires_at
  FROM (SELECT now() + $3::float8 * interval '1 millisecond' AS hit,
               $5::float8 > 0 OR $4::float8 > 0 AS counted,
               $5::float8 > 0 AND 1 > $4::float8 AS blocked) h
) n
ON CONFLICT (issuer, "key") DO UPDATE SET
  (hits, window_expires_at, is_blocked, block_expires_at, refused, expires_at) = (
    SELECT CASE WHEN c.reset THEN ARRAY[a.hit]
                WHEN b.counted THEN a.live || a.hit
                ELSE a.live END,
           a.window_expires_at,
           CASE WHEN $5::float8 > 0 THEN c.blocked ELSE r.is_blocked END,
           b.block_expires_at,
           CASE WHEN $5::float8 > 0 THEN c.blocked ELSE NOT b.counted END,
           -- Never earlier than a live hit, window or block; a later value only delays clean-up.
           greatest(r.expires_at, a.window_expires_at, a.hit, b.block_expires_at)
    FROM (
      SELECT now() + $3::float8 * interval '1 millisecond' AS hit,
             ARRAY(SELECT e FROM unnest(r.hits) e WHERE e > now()) AS live,
             CASE WHEN r.window_expires_at <= now()
                  THEN now() + $3::float8 * interval '1 millisecond'
                  ELSE r.window_expires_at END AS window_expires_at
      OFFSET 0
    ) a
    CROSS JOIN LATERAL (
      SELECT x.counted, x.blocks,
             CASE WHEN x.blocks THEN now() + $5::float8 * interval '1 millisecond'
                  ELSE r.block_expires_at END AS block_expires_at
      FROM (
        SELECT y.counted,
               $5::float8 > 0 AND y.counted AND cardinality(a.live) + 1 > $4::float8 AS blocks
        FROM (
          SELECT CASE WHEN $5::float8 > 0 THEN NOT r.is_blocked
                      ELSE cardinality(a.live) < $4::float8 END AS counted
          OFFSET 0
        ) y
        OFFSET 0
      ) x
    ) b
    CROSS JOIN LATERAL (
      SELECT (r.is_blocked OR b.blocks) AND b.block_expires_at > now() AS blocked,
             $5::float8 > 0 AND (r.is_blocked OR b.blocks) AND b.block_expires_at <= now()
               AS reset
      OFFSET 0
    ) c
  )
RETURNING
  cardinality(hits) + CASE WHEN refused AND $5::float8 <= 0 THEN 1 ELSE 0 END AS total_hits,
  ceil(extract(epoch FROM window_expires_at - now()))::float8 AS time_to_expire,
  refused AS is_blocked,
  (CASE WHEN $5::float8 > 0
          THEN ceil(extract(epoch FROM coalesce(block_expires_at, 'epoch') - now()))
        WHEN NOT refused THEN 0
        WHEN cardinality(hits) > 0
          THEN ceil(extract(epoch FROM (SELECT min(e) FROM unnest(hits) e) - now()))
        ELSE ceil(extract(epoch FROM window_expires_at - now())) END)::float8
    AS time_to_block_expire`;

/**
 * `ThrottlerStorage` on the module's PostgreSQL, for one issuer: every instance on the database
 * counts against the same budget, where the in-memory storage gives each process its own.
 *
 * Answers exactly what `@nestjs/throttler`'s `ThrottlerStorageService` answers for the same
 * calls: each hit leaves the count `ttl` after it was counted (a sliding window); the hit that
 * takes the count past `limit` blocks the key for `blockDuration`, during which hits are
 * refused and not counted; the first hit after the block starts a new count. One statement
 * per hit, atomic under concurrency (the row lock of `ON CONFLICT DO UPDATE`), timed by the
 * database clock, so instances with skewed clocks still agree. Expired rows are deleted by the
 * module's clean-up (`ExpiredRecordsPurger`).
 *
 * One key is one throttler, as the module's guard and `ThrottlerGuard` build keys (the
 * throttler's name is hashed into the key), so the name is not stored.
 *
 * Database errors are not caught: an unreachable database fails the request with the driver's
 * error, which the module's exception filters answer with 503 and `Retry-After`.
 * @publicApi
 */
export class TypeOrmThrottlerStorage implements ThrottlerStorage {
  private readonly sql: SqlRunner;

  constructor(
    dataSource: DataSource,
    private readonly issuer: string,
    options: SqlOptions = {},
  ) {
    this.sql = sqlRunner(dataSource, options);
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    _throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const [row] = await queryRows<CounterRow>(this.sql, INCREMENT, [
      this.issuer,
      key,
      ttl,
      limit,
      blockDuration,
    ]);
    return {
      totalHits: row.total_hits,
      timeToExpire: row.time_to_expire,
      isBlocked: row.is_blocked,
      timeToBlockExpire: row.time_to_block_expire,
    };
  }
}
