import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import Redis from 'ioredis';
import type { RateLimitOptions } from '@app/mcp-auth';

/** Request header carrying a simulated client address (see {@link benchRateLimit}). */
export const BENCH_CLIENT_HEADER = 'x-bench-client';

/** Counter storages the benchmark compares (BENCH_RATE_LIMIT_STORAGE). */
export type BenchRateLimitStorage = 'memory' | 'postgres' | 'redis';

/**
 * The `rateLimit` option of a bench app. Without BENCH_RATE_LIMIT_STORAGE, none: all the load
 * comes from one address, which the per-address limits exist to stop. With it, the token
 * endpoint is limited on that storage with a budget no run exhausts, keyed on
 * {@link BENCH_CLIENT_HEADER}, so the counters spread over many keys as with real clients.
 */
export function benchRateLimit(env: NodeJS.ProcessEnv): RateLimitOptions {
  const kind = env.BENCH_RATE_LIMIT_STORAGE as BenchRateLimitStorage | undefined;
  if (!kind) return false;
  const storage =
    kind === 'memory'
      ? ('memory' as const)
      : kind === 'redis'
        ? new ThrottlerStorageRedisService(
            new Redis(env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 }),
          )
        : undefined;
  return {
    token: { limit: 1_000_000_000, ttl: 60 },
    storage,
    getTracker: (request) => String(request.headers[BENCH_CLIENT_HEADER] ?? request.ip),
  };
}
