import { median, runLoad, type RunResult } from './load';
import type { ScenarioReport } from './report';
import type { SharedApp } from './shared-app';

/** Settings of the whole run, from the environment. */
export const SETTINGS = {
  /** Rounds of the throughput comparisons (scenarios 1, 2, 3 and 5): short runs, many rounds. */
  rounds: Number(process.env.BENCH_ROUNDS ?? 7),
  /** Seconds of each timed run there. */
  duration: Number(process.env.BENCH_DURATION ?? 2),
  /** Rounds of the token endpoint (scenario 4) and starts per variant of scenario 6. */
  longRounds: Number(process.env.BENCH_LONG_ROUNDS ?? 3),
  /** Seconds of the unrecorded warm-up run of each variant. */
  warmup: Number(process.env.BENCH_WARMUP ?? 1.5),
  connections: Number(process.env.BENCH_CONNECTIONS ?? 32),
  /** Requests of each token-endpoint run (each consumes one pre-minted credential). */
  tokenRequests: Number(process.env.BENCH_TOKEN_REQUESTS ?? 4000),
};

interface ScenarioInfo {
  /** Its number in the report ('1', '6b', …). */
  id: string;
  /** Its name on the command line, also the file name: bench/scenarios/<name>.scenario.ts. */
  name: string;
  /** Logged when it starts. */
  description: string;
}

/**
 * One scenario of `npm run bench`. Those with `sharedApp` run against the bench app that the
 * runner starts once for all of them (bench/lib/shared-app.ts) and stops after the last.
 */
export type Scenario =
  | (ScenarioInfo & { sharedApp: true; run(shared: SharedApp): Promise<ScenarioReport> })
  | (ScenarioInfo & { sharedApp?: false; run(): Promise<ScenarioReport> });

export interface Variant {
  label: string;
  /** Recorded run. `round` counts from 0. */
  run(round: number): Promise<RunResult>;
  /** Unrecorded run before the first round (JIT, connection pools, caches). */
  warmup?(): Promise<unknown>;
  /** Called before each recorded run, untimed (e.g. minting single-use credentials). */
  prepare?(round: number): Promise<void>;
}

export interface VariantSummary {
  label: string;
  runs: RunResult[];
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** Median app CPU µs per request. */
  cpuUs: number;
  /** Median database CPU µs per request (token endpoint only). */
  dbCpuUs: number;
  /** Median database transactions per 1,000 requests, where counted. */
  dbTransactionsPer1k: number;
  /** Median over rounds of (this variant's req/s ÷ the baseline's in the same round). */
  ratio: number | undefined;
}

/**
 * Runs the variants in alternation: round 0 A B C, round 1 C B A, … so slow drift of a shared
 * machine hits every variant alike. The first variant is the baseline; each other variant's
 * ratio is the median of its per-round ratios against it.
 */
export async function alternate(
  title: string,
  variants: readonly Variant[],
  rounds = SETTINGS.rounds,
): Promise<VariantSummary[]> {
  for (const variant of variants) {
    if (variant.warmup) await variant.warmup();
  }
  const runs = variants.map(() => [] as RunResult[]);
  for (let round = 0; round < rounds; round += 1) {
    const order = variants.map((_, i) => i);
    if (round % 2 === 1) order.reverse();
    for (const i of order) {
      await variants[i].prepare?.(round);
      const result = await variants[i].run(round);
      runs[i][round] = result;
      log(
        `  ${title} | round ${round + 1} | ${variants[i].label}: ${result.rps.toFixed(0)} req/s, ` +
          `p50 ${result.p50} ms, p99 ${result.p99} ms, errors ${result.errors}, ` +
          `app CPU ${result.cpuUs.toFixed(0)} µs/req` +
          (Number.isNaN(result.extraCpuUs)
            ? ''
            : `, Postgres CPU ${result.extraCpuUs.toFixed(0)} µs/req`),
      );
    }
  }
  return variants.map((variant, i) => ({
    label: variant.label,
    runs: runs[i],
    rps: median(runs[i].map((r) => r.rps)),
    p50: median(runs[i].map((r) => r.p50)),
    p99: median(runs[i].map((r) => r.p99)),
    errors: runs[i].reduce((sum, r) => sum + r.errors, 0),
    cpuUs: median(runs[i].map((r) => r.cpuUs)),
    dbCpuUs: median(runs[i].map((r) => r.extraCpuUs)),
    dbTransactionsPer1k: median(runs[i].map((r) => r.dbTransactionsPer1k)),
    ratio: i === 0 ? undefined : median(runs[i].map((r, round) => r.rps / runs[0][round].rps)),
  }));
}

/** A timed run, plus a shorter unrecorded one for warm-up. */
export function timed(
  label: string,
  spec: Parameters<typeof runLoad>[0],
  duration = SETTINGS.duration,
): Variant {
  return {
    label,
    run: () => runLoad({ ...spec, duration }),
    warmup: () => runLoad({ ...spec, duration: SETTINGS.warmup }),
  };
}

export function log(message: string): void {
  process.stdout.write(`${message}\n`);
}
