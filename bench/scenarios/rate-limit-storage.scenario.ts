/**
 * Scenario 7: the token endpoint (refresh grants) with the token rate limit counted in memory,
 * in PostgreSQL (the module's default) and in Redis, plus the same app without limits. Each
 * runs in its own app process on its own database.
 */
import Redis from 'ioredis';
import { BENCH_CLIENT_HEADER, type BenchRateLimitStorage } from '../apps/bench-rate-limit';
import { backendPids, dropDatabase, freshDatabase } from '../lib/database';
import { FORM_HEADERS, mintRefreshBodies, registerClient } from '../lib/fixtures';
import { runLoad } from '../lib/load';
import { startBenchAppOn, type AppProcess } from '../lib/processes';
import type { RowCheck, ScenarioReport } from '../lib/report';
import {
  alternate,
  log,
  SETTINGS,
  type Scenario,
  type Variant,
  type VariantSummary,
} from '../lib/scenario';

/** Each app its own database, so its Postgres backends are exactly the ones it uses. */
const database = (variant: StorageVariant): string =>
  `mcp_auth_bench_rl_${variant.storage ?? 'off'}`;
/** Simulated client addresses the load is spread over (one counter each). */
const CLIENTS = 1000;
const CLIENT_HEADERS = Array.from({ length: CLIENTS }, (_, i) => ({
  [BENCH_CLIENT_HEADER]: `198.18.${Math.floor(i / 256)}.${i % 256}`,
}));

interface StorageVariant {
  label: string;
  storage: BenchRateLimitStorage | undefined;
}

const VARIANTS: StorageVariant[] = [
  { label: 'refresh grant, token limit counted in memory (per process)', storage: 'memory' },
  { label: 'refresh grant, counted in PostgreSQL (default)', storage: 'postgres' },
  { label: 'refresh grant, counted in Redis', storage: 'redis' },
  { label: 'refresh grant, no rate limit (rateLimit: false)', storage: undefined },
];

/** The local Redis server's pid (its CPU is part of a Redis-counted grant), if it answers. */
async function redisServerPid(url: string): Promise<number | undefined> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  try {
    await client.connect();
    const match = /process_id:(\d+)/.exec(await client.info('server'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

/** A shared counter storage's whole CPU per grant, at most this times the in-memory one's. */
const MAX_STORAGE_COST = 1.1;

/** CPU per grant: the app, its Postgres backends and the Redis server. */
const grantCost = (s: VariantSummary): number =>
  s.cpuUs + (Number.isFinite(s.dbCpuUs) ? s.dbCpuUs : 0);

/** Total CPU per grant (app + Postgres backends + Redis server) and its ratio to the first. */
function costNotes(summaries: VariantSummary[]): string[] {
  const total = grantCost;
  const base = total(summaries[0]);
  return [
    'Cost per grant, CPU of the app + its Postgres backends + the Redis server (medians): ' +
      summaries
        .map(
          (s) =>
            `${s.label.replace(/^refresh grant, /, '')}: ${total(s).toFixed(0)} µs (${(total(s) / base).toFixed(2)}×)`,
        )
        .join('; ') +
      `. The load is spread over ${CLIENTS} simulated client addresses (one counter each).`,
  ];
}

async function run(): Promise<ScenarioReport> {
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redisPid = await redisServerPid(redisUrl);
  const variants = VARIANTS.filter((v) => v.storage !== 'redis' || redisPid !== undefined);
  if (redisPid === undefined) {
    const where = new URL(redisUrl);
    log(`  S7 | no Redis answers at ${where.hostname}:${where.port || 6379}: Redis row skipped`);
  }
  const apps: AppProcess[] = [];
  try {
    for (const variant of variants) {
      apps.push(
        await startBenchAppOn(
          `bench-app-${variant.storage ?? 'no-limit'}`,
          await freshDatabase(database(variant)),
          {
            BENCH_RATE_LIMIT_STORAGE: variant.storage,
            REDIS_URL: redisUrl,
          },
        ),
      );
    }
    const n = SETTINGS.tokenRequests;
    const runs: Variant[] = await Promise.all(
      variants.map(async (variant, i) => {
        const app = apps[i];
        const clientId = await registerClient(app.url);
        const mintBodies = (count: number): Promise<string[]> =>
          mintRefreshBodies(app.url, clientId, count);
        const load = async (bodies: string[], measured: boolean) =>
          runLoad({
            url: `${app.url}/token`,
            method: 'POST',
            headers: FORM_HEADERS,
            bodies,
            headerSets: CLIENT_HEADERS,
            connections: SETTINGS.connections,
            ...(measured
              ? {
                  pid: app.pid,
                  extraPids: [
                    ...(await backendPids(database(variant))),
                    ...(redisPid ? [redisPid] : []),
                  ],
                }
              : {}),
          });
        let bodies: string[] = [];
        return {
          label: variant.label,
          warmup: async () => load(await mintBodies(Math.min(500, n)), false),
          prepare: async () => {
            bodies = await mintBodies(n);
          },
          run: () => load(bodies, true),
        };
      }),
    );
    const summaries = await alternate('S7', runs, SETTINGS.longRounds);
    const notes = costNotes(summaries);
    for (const note of notes) log(`  S7 | ${note}`);
    // A shared storage may add at most 10 % to the CPU of a grant counted in memory.
    const checks: Record<number, RowCheck> = {};
    variants.forEach((variant, i) => {
      if (variant.storage !== 'postgres' && variant.storage !== 'redis') return;
      const ratio = grantCost(summaries[i]) / grantCost(summaries[0]);
      checks[i] = {
        text: `CPU per grant ≤ 1.10× in memory (${ratio.toFixed(2)}×)`,
        met: ratio <= MAX_STORAGE_COST,
      };
    });
    return {
      id: '7',
      title:
        'Rate-limit storage on the token endpoint (refresh grants; token limit on, never reached)',
      summaries,
      notes,
      checks,
      target: { text: 'zero errors; ratio against the in-memory storage', zeroErrors: true },
    };
  } finally {
    for (const app of apps) await app.stop();
    for (const variant of variants) await dropDatabase(database(variant));
  }
}

export const rateLimitStorageScenario: Scenario = {
  id: '7',
  name: 'rate-limit-storage',
  description: 'rate-limit storage on the token endpoint, memory vs PostgreSQL vs Redis',
  run,
};
