/**
 * Scenario 9: the token endpoint as stored data grows. The same app and database with 1
 * thousand, 100 thousand and 1 million grants, each with a live refresh token, written by set-based
 * SQL (bench/lib/seed.ts) and analysed; at each size refresh grants and code exchanges, each
 * consuming a distinct credential (also written by SQL, for the bench's registered client). Every hot statement is a primary-key or index
 * lookup, so throughput should stay flat; the EXPLAIN at the largest size checks the plans
 * (written to bench/results/explain-growth.md).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { backendPids, dropDatabase, freshDatabase } from '../lib/database';
import { explainHotQueries } from '../lib/explain';
import { codeBody, FORM_HEADERS, refreshBody, registerClient } from '../lib/fixtures';
import { median, runLoad, type RunResult } from '../lib/load';
import { ROOT, startBenchAppOn } from '../lib/processes';
import { renderTable, type ReportTable } from '../lib/report';
import { log, SETTINGS, type Scenario } from '../lib/scenario';
import { Seeder } from '../lib/seed';

const DB = 'mcp_auth_bench_growth';
/** Seeded grants (each with one refresh token) at each step. */
const SIZES = [1_000, 100_000, 1_000_000];
/** Throughput at the largest size, against the smallest. */
const MIN_RATIO = 0.8;
const ROUNDS = Number(process.env.BENCH_GROWTH_ROUNDS ?? 2);

interface Step {
  size: number;
  grants: number;
  refreshTokens: number;
  refresh: RunResult[];
  code: RunResult[];
}

const fmt = (n: number): string =>
  Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a';
const cost = (runs: RunResult[]): string =>
  `${fmt(median(runs.map((r) => r.cpuUs)))} + ${fmt(median(runs.map((r) => r.extraCpuUs)))}`;
const rps = (runs: RunResult[]): number => median(runs.map((r) => r.rps));
const totalCpu = (runs: RunResult[]): number =>
  median(runs.map((r) => r.cpuUs + (Number.isFinite(r.extraCpuUs) ? r.extraCpuUs : 0)));
const errors = (step: Step): number =>
  [...step.refresh, ...step.code].reduce((sum, r) => sum + r.errors, 0);

export const growthTokenEndpointScenario: Scenario = {
  id: '9',
  name: 'growth-token-endpoint',
  description: 'token endpoint with 1k, 100k and 1M stored grants and refresh tokens',
  async run() {
    const url = await freshDatabase(DB);
    const app = await startBenchAppOn('bench-growth', url);
    const seeder = await Seeder.connect(url, app.url);
    try {
      const clientId = await registerClient(app.url);
      // Half scenario 4's runs: the bench's own rows stay near the smallest size.
      const n = Math.min(SETTINGS.tokenRequests, 2000);
      const load = async (bodies: string[]): Promise<RunResult> =>
        runLoad({
          url: `${app.url}/token`,
          method: 'POST',
          headers: FORM_HEADERS,
          bodies,
          connections: SETTINGS.connections,
          pid: app.pid,
          extraPids: await backendPids(DB),
        });
      // Credentials written by SQL like the rest (bench/lib/seed.ts), not minted through the
      // API: minting thousands per step would take longer than measuring them.
      let batch = 0;
      const refreshBodies = async (count: number): Promise<string[]> =>
        (await seeder.refreshTokensFor(clientId, `r${batch++}`, count)).map((token) =>
          refreshBody(clientId, token),
        );
      const codeBodies = async (count: number): Promise<string[]> =>
        (await seeder.codesFor(clientId, `c${batch++}`, count)).map((minted) =>
          codeBody(clientId, minted),
        );
      await load(await refreshBodies(500));
      await load(await codeBodies(500));

      const steps: Step[] = [];
      let seeded = 0;
      for (const size of SIZES) {
        const started = performance.now();
        // In slices, so no single statement holds a huge transaction.
        for (let from = seeded; from < size; from += 250_000) {
          await seeder.grantsWithRefreshTokens({ from, to: Math.min(size, from + 250_000) });
        }
        seeded = size;
        await seeder.analyze();
        // Unmeasured: the app's pool may have closed idle connections while the rows were
        // written, and the CPU of the backends is counted per process id.
        await load(await refreshBodies(300));
        const step: Step = {
          size,
          grants: await seeder.count('mcp_auth_grants'),
          refreshTokens: await seeder.count('mcp_auth_refresh_tokens'),
          refresh: [],
          code: [],
        };
        log(
          `  S9 | ${fmt(step.grants)} grants, ${fmt(step.refreshTokens)} refresh tokens ` +
            `(seeded in ${((performance.now() - started) / 1000).toFixed(1)} s)`,
        );
        for (let round = 0; round < ROUNDS; round += 1) {
          step.refresh.push(await load(await refreshBodies(n)));
          // Codes live 60 s: written right before their run.
          step.code.push(await load(await codeBodies(n)));
          log(
            `  S9 | ${fmt(size)} | round ${round + 1}: refresh ${fmt(step.refresh[round].rps)}/s ` +
              `(${cost([step.refresh[round]])} µs), code ${fmt(step.code[round].rps)}/s ` +
              `(${cost([step.code[round]])} µs)`,
          );
        }
        steps.push(step);
      }

      const plans = await explainHotQueries(url, app.url, clientId).catch((error: unknown) => {
        log(`  S9 | EXPLAIN failed: ${(error as Error).message}`);
        return undefined;
      });
      if (plans) {
        await writeFile(join(ROOT, 'bench', 'results', 'explain-growth.md'), plans);
      }
      // The grown tables only: a tiny one (the one client) may rightly be scanned.
      const seqScans = (plans?.match(/Seq Scan on mcp_auth_(grants|refresh_tokens)\b/g) ?? [])
        .length;
      const base = steps[0];
      const table: ReportTable = {
        title:
          'Token endpoint as stored data grows (medians; CPU per request: app + its Postgres backends, µs)',
        columns: [
          'seeded grants',
          'grants / refresh tokens in the tables',
          'refresh grants/s',
          'CPU',
          'code exchanges/s',
          'CPU',
          'by CPU, refresh / code, to the smallest',
          'errors',
        ],
        rows: steps.map((step, i) => {
          // Judged on CPU per request (app + Postgres), which another load on the machine
          // moves far less than req/s: cost at the smallest size ÷ cost here is the
          // throughput ratio a machine of its own would see. req/s ratios are shown too.
          const ratios = [
            totalCpu(base.refresh) / totalCpu(step.refresh),
            totalCpu(base.code) / totalCpu(step.code),
          ];
          const rpsRatios = [
            rps(step.refresh) / rps(base.refresh),
            rps(step.code) / rps(base.code),
          ];
          const last = i === steps.length - 1;
          const pct = (r: number) => `${Math.round(r * 100)} %`;
          return {
            cells: [
              fmt(step.size),
              `${fmt(step.grants)} / ${fmt(step.refreshTokens)}`,
              fmt(rps(step.refresh)),
              cost(step.refresh),
              fmt(rps(step.code)),
              cost(step.code),
              i === 0
                ? 'baseline'
                : `${ratios.map(pct).join(' / ')} (req/s: ${rpsRatios.map(pct).join(' / ')})`,
              String(errors(step)),
            ],
            target: last
              ? `both ≥ ${MIN_RATIO * 100} % of the smallest, 0 errors`
              : i === 0
                ? 'baseline'
                : 'report only',
            met: last ? ratios.every((r) => r >= MIN_RATIO) && errors(step) === 0 : undefined,
          };
        }),
      };
      // An index scan on the wrong index is a scan too: the rows it reads and throws away.
      const removed = Math.max(
        0,
        ...[...(plans ?? '').matchAll(/Rows Removed by Filter: (\d+)/g)].map((m) => Number(m[1])),
      );
      table.rows.push({
        cells: [
          fmt(SIZES[SIZES.length - 1]),
          'EXPLAIN (ANALYZE) of the hot statements',
          plans
            ? `${seqScans} sequential scans of grants or refresh tokens; at most ` +
              `${fmt(removed)} rows removed by a filter`
            : 'EXPLAIN failed',
          '',
          '',
          '',
          '',
          '',
        ],
        target: 'index scans only, none filtering out more than 100 rows',
        met: plans ? seqScans === 0 && removed <= 100 : undefined,
      });
      log(renderTable('9', table).join('\n'));
      return {
        id: '9',
        title: 'Cost as data grows: the token endpoint with 1k, 100k and 1M stored grants',
        tables: [table],
        notes: [
          `Scenario 9 seeds with set-based SQL (one INSERT … SELECT generate_series per 250,000 ` +
            `rows), then VACUUM ANALYZE; ${ROUNDS} rounds of ${n.toLocaleString('en-US')} ` +
            `requests per kind and size (sizes run one after another, so drift of a shared ` +
            `machine is not cancelled out as in the alternating scenarios: compare the CPU too).`,
        ],
        target: { text: `refresh and code at 1M ≥ ${MIN_RATIO * 100} % of at 1k (by CPU)` },
      };
    } finally {
      await seeder.close();
      await app.stop();
      await dropDatabase(DB);
    }
  },
};
