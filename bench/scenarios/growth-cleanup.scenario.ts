/**
 * Scenario 11: the clean-up of 1 million expired rows while the token endpoint is under load.
 * Set-based SQL writes 250,000 expired grants with their 250,000 refresh tokens, 250,000 used
 * codes past their retention and 250,000 expired revoked `jti`s (1 million rows), next to
 * 100,000 live grants; then refresh grants run before and while the app's own purger
 * (bench/apps/bench-admin.ts: the scheduled clean-up's purger and options) deletes them.
 * `pg_stat_activity` and `pg_locks` are sampled every 50 ms meanwhile: a hot statement waiting
 * on a lock would show there.
 */
import { Client } from 'pg';
import { backendPids, dropDatabase, freshDatabase } from '../lib/database';
import { FORM_HEADERS, refreshBody, registerClient } from '../lib/fixtures';
import { median, runLoad, type RunResult } from '../lib/load';
import { startBenchAppOn } from '../lib/processes';
import { renderTable, type ReportTable } from '../lib/report';
import { log, SETTINGS, type Scenario } from '../lib/scenario';
import { Seeder } from '../lib/seed';

const DB = 'mcp_auth_bench_cleanup';
const EXPIRED_PER_KIND = 250_000;
const LIVE_GRANTS = 100_000;
/** Token throughput while the purge runs, against before it. */
const MIN_RATIO = 0.5;
/** Seconds the purge of 1 million rows may take on a loaded 2-core machine. */
const MAX_PURGE_SECONDS = 120;
/** Runs of refresh grants minted for the time the purge takes (each `n` requests). */
const MAX_DURING_RUNS = 6;

interface LockSamples {
  samples: number;
  /** Samples in which a backend of the database (other than the purge) waited on a lock. */
  hotLockWaits: number;
  /** Samples in which any backend of the database waited on a lock. */
  anyLockWaits: number;
  /** Most ungranted entries of pg_locks seen in one sample. */
  maxUngranted: number;
}

/** Samples lock waits of database `name` until `stop` resolves. */
async function sampleLocks(
  url: string,
  name: string,
  stop: Promise<unknown>,
): Promise<LockSamples> {
  const client = new Client({ connectionString: url });
  await client.connect();
  const result: LockSamples = { samples: 0, hotLockWaits: 0, anyLockWaits: 0, maxUngranted: 0 };
  let done = false;
  void stop.finally(() => {
    done = true;
  });
  try {
    while (!done) {
      const { rows } = await client.query<{ hot: string; any: string; ungranted: string }>(
        `SELECT
           (SELECT count(*) FROM pg_stat_activity
             WHERE datname = $1 AND wait_event_type = 'Lock'
               AND query NOT ILIKE 'DELETE FROM%')::text AS hot,
           (SELECT count(*) FROM pg_stat_activity
             WHERE datname = $1 AND wait_event_type = 'Lock')::text AS any,
           (SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
             WHERE d.datname = $1 AND NOT l.granted)::text AS ungranted`,
        [name],
      );
      result.samples += 1;
      if (Number(rows[0].hot) > 0) result.hotLockWaits += 1;
      if (Number(rows[0].any) > 0) result.anyLockWaits += 1;
      result.maxUngranted = Math.max(result.maxUngranted, Number(rows[0].ungranted));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await client.end();
  }
  return result;
}

export const growthCleanupScenario: Scenario = {
  id: '11',
  name: 'growth-cleanup',
  description: 'clean-up of 1M expired rows under token-endpoint load',
  async run() {
    const url = await freshDatabase(DB);
    const app = await startBenchAppOn('bench-cleanup', url);
    try {
      const clientId = await registerClient(app.url);
      const seeder = await Seeder.connect(url, app.url);
      const n = Math.min(SETTINGS.tokenRequests, 2000);
      let minted: string[] = [];
      const seedStarted = performance.now();
      try {
        await seeder.grantsWithRefreshTokens({ from: 0, to: LIVE_GRANTS });
        await seeder.grantsWithRefreshTokens({ from: 0, to: EXPIRED_PER_KIND }, true);
        await seeder.expiredCodes({ from: 0, to: EXPIRED_PER_KIND });
        await seeder.revokedAccessTokens({ from: 0, to: EXPIRED_PER_KIND }, false);
        // The load's refresh tokens (they live long), written before the purge starts.
        minted = (await seeder.refreshTokensFor(clientId, 'load', n * (3 + MAX_DURING_RUNS))).map(
          (token) => refreshBody(clientId, token),
        );
        await seeder.analyze();
      } finally {
        await seeder.close();
      }
      log(
        `  S11 | 1,000,000 expired rows seeded in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`,
      );

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
      const batch = (i: number): string[] => minted.slice(i * n, (i + 1) * n);
      await load(batch(0)); // warm-up
      const beforeRuns = [await load(batch(1)), await load(batch(2))];
      const beforeRps = median(beforeRuns.map((r) => r.rps));
      log(
        `  S11 | before the purge: ${beforeRuns.map((r) => r.rps.toFixed(0)).join(', ')} refresh grants/s`,
      );

      let purgeDone = false;
      const purge = fetch(`${app.url}/bench/admin/purge`, { method: 'POST' })
        .then(async (response) => {
          if (!response.ok) throw new Error(`purge: ${response.status} ${await response.text()}`);
          return (await response.json()) as { ms: number; deleted: Record<string, number> };
        })
        .finally(() => {
          purgeDone = true;
        });
      const locks = sampleLocks(
        url,
        DB,
        purge.catch(() => undefined),
      );
      const during: RunResult[] = [];
      for (let i = 0; i < MAX_DURING_RUNS && !purgeDone; i += 1) {
        const result = await load(batch(3 + i));
        // Only runs that ended before the purge did are "during" it.
        if (!purgeDone) during.push(result);
        log(
          `  S11 | during the purge: ${result.rps.toFixed(0)} refresh grants/s` +
            (purgeDone ? ' (purge ended meanwhile: not counted)' : ''),
        );
      }
      const report = await purge;
      const lockSamples = await locks;
      const deleted = Object.values(report.deleted).reduce((sum, k) => sum + k, 0);
      log(`  S11 | purge: ${deleted} rows in ${(report.ms / 1000).toFixed(1)} s`);

      const errorsBefore = beforeRuns.reduce((sum, r) => sum + r.errors, 0);
      const duringRps = median(during.map((r) => r.rps));
      const ratio = duringRps / beforeRps;
      const us = (r: RunResult[]): string =>
        `${Math.round(median(r.map((x) => x.cpuUs)))} + ${Math.round(median(r.map((x) => x.extraCpuUs)))}`;
      const table: ReportTable = {
        title: 'Clean-up of 1 million expired rows while refresh grants run',
        columns: ['measure', 'value'],
        rows: [
          {
            cells: [
              'refresh grants/s before the purge, median of 2 runs (app + Postgres CPU µs/grant)',
              `${Math.round(beforeRps)} (${us(beforeRuns)})`,
            ],
            target: 'baseline',
            met: undefined,
          },
          {
            cells: [
              `refresh grants/s during it, median of ${during.length} runs (ratio)`,
              during.length
                ? `${Math.round(duringRps)} (${us(during)}; ${Math.round(ratio * 100)} %)`
                : 'purge ended before a run did',
            ],
            target: `≥ ${MIN_RATIO * 100} % of before`,
            met: during.length ? ratio >= MIN_RATIO : undefined,
          },
          {
            cells: [
              'time to purge, rows deleted',
              `${(report.ms / 1000).toFixed(1)} s, ${deleted.toLocaleString('en-US')}`,
            ],
            target: `≤ ${MAX_PURGE_SECONDS} s, all ${(4 * EXPIRED_PER_KIND).toLocaleString('en-US')}`,
            met: report.ms <= MAX_PURGE_SECONDS * 1000 && deleted >= 4 * EXPIRED_PER_KIND,
          },
          {
            cells: [
              `lock waits of the hot statements (samples of ${lockSamples.samples})`,
              `${lockSamples.hotLockWaits} (any statement: ${lockSamples.anyLockWaits}; most ungranted locks at once: ${lockSamples.maxUngranted})`,
            ],
            target: '0',
            met: lockSamples.hotLockWaits === 0,
          },
          {
            cells: ['errors', String(errorsBefore + during.reduce((sum, r) => sum + r.errors, 0))],
            target: '0',
            met: errorsBefore + during.reduce((sum, r) => sum + r.errors, 0) === 0,
          },
        ],
      };
      log(renderTable('11', table).join('\n'));
      return {
        id: '11',
        title: 'Cost as data grows: clean-up of 1M expired rows under token-endpoint load',
        tables: [table],
        notes: [
          'Scenario 11 deleted per table: ' +
            Object.entries(report.deleted)
              .filter(([, count]) => count > 0)
              .map(([table, count]) => `${table} ${count.toLocaleString('en-US')}`)
              .join(', ') +
            '. The purger deletes in batches of 1,000 rows (`FOR UPDATE SKIP LOCKED`), each ' +
            'batch its own statement, so no lock is held for longer than one batch.',
        ],
        target: { text: `during ≥ ${MIN_RATIO * 100} % of before, no lock waits` },
      };
    } finally {
      await app.stop();
      await dropDatabase(DB);
    }
  },
};
