/**
 * Scenario 10: the guard as the revocation deny-list grows. Three apps, each on its own
 * database, whose deny-lists hold 0, 10 thousand and 100 thousand revoked entries (half revoked
 * grants, half revoked access-token `jti`s, written by set-based SQL and picked up by the list's
 * catch-up poll), measured in alternation on the guarded trivial route; and the deny-list's
 * memory per entry, from each app's heap after a full collection.
 */
import type { BenchMemory } from '../apps/bench-admin';
import { databaseUrl, dropDatabase, freshDatabase } from '../lib/database';
import { startBenchAppOn, type AppProcess } from '../lib/processes';
import { renderTable, type ReportTable } from '../lib/report';
import { alternate, log, SETTINGS, timed, type Scenario } from '../lib/scenario';
import { Seeder } from '../lib/seed';
import { authorize, distinctTokens } from '../lib/shared-app';

const SIZES = [0, 10_000, 100_000];
const database = (size: number): string => `mcp_auth_bench_deny_${size}`;
/** Guard throughput with the largest list, against the empty one. */
const MIN_RATIO = 0.9;
/** Heap per deny-list entry (a Map entry: the id string and its forget-at time). */
const MAX_BYTES_PER_ENTRY = 256;

async function memory(app: AppProcess): Promise<BenchMemory> {
  const response = await fetch(`${app.url}/bench/admin/memory`);
  if (!response.ok) throw new Error(`memory: ${response.status}`);
  return (await response.json()) as BenchMemory;
}

/** Waits until the app's deny-list holds `size` entries (its poll runs every second). */
async function untilListed(app: AppProcess, size: number): Promise<BenchMemory> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const now = await memory(app);
    if (now.revocations >= size) return now;
    if (Date.now() > deadline) throw new Error(`deny-list holds ${now.revocations} of ${size}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

export const growthDenyListScenario: Scenario = {
  id: '10',
  name: 'growth-deny-list',
  description: 'guard with 0, 10k and 100k revoked entries in the deny-list; its memory',
  async run() {
    const apps: AppProcess[] = [];
    try {
      for (const size of SIZES) {
        apps.push(await startBenchAppOn(`bench-deny-${size}`, await freshDatabase(database(size))));
      }
      const memories: BenchMemory[] = [];
      for (const [i, size] of SIZES.entries()) {
        const seeder = await Seeder.connect(databaseUrl(database(size)), apps[i].url);
        try {
          await seeder.revokedGrants({ from: 0, to: size / 2 });
          await seeder.revokedAccessTokens({ from: 0, to: size / 2 }, true);
          await seeder.analyze();
        } finally {
          await seeder.close();
        }
        memories.push(await untilListed(apps[i], size));
      }
      const auths = await Promise.all(apps.map((app) => authorize(app)));
      const tokens = await Promise.all(
        apps.map((app, i) => distinctTokens(app, auths[i].clientId, 20_000)),
      );
      const variants = apps.map((app, i) =>
        timed(
          `${SIZES[i].toLocaleString('en-US')} revoked: guarded GET /bench/guarded, same token`,
          {
            url: `${app.url}/bench/guarded`,
            headers: auths[i].authorization,
            connections: SETTINGS.connections,
            pid: app.pid,
          },
        ),
      );
      const distinct = apps.map((app, i) =>
        timed(`${SIZES[i].toLocaleString('en-US')} revoked: a new token every request`, {
          url: `${app.url}/bench/guarded`,
          headerSets: tokens[i],
          connections: SETTINGS.connections,
          pid: app.pid,
        }),
      );
      const same = await alternate('S10', variants);
      const fresh = await alternate('S10', distinct);
      const after = await Promise.all(apps.map((app) => memory(app)));
      const base = memories[0].heapUsed;
      const table: ReportTable = {
        title: 'Guard as the deny-list grows (medians of alternating rounds; heap after a full GC)',
        columns: [
          'revoked entries held',
          'req/s same token (ratio)',
          'app CPU µs/req',
          'req/s new token (ratio)',
          'app CPU µs/req',
          'heap MiB',
          'bytes per entry',
        ],
        rows: SIZES.map((size, i) => {
          const perEntry = size ? (memories[i].heapUsed - base) / size : Number.NaN;
          const last = i === SIZES.length - 1;
          const ratios = [same[i].ratio ?? 1, fresh[i].ratio ?? 1];
          const pct = (r: number) => `${Math.round(r * 100)} %`;
          return {
            cells: [
              memories[i].revocations.toLocaleString('en-US'),
              `${Math.round(same[i].rps).toLocaleString('en-US')} (${pct(ratios[0])})`,
              Math.round(same[i].cpuUs).toLocaleString('en-US'),
              `${Math.round(fresh[i].rps).toLocaleString('en-US')} (${pct(ratios[1])})`,
              Math.round(fresh[i].cpuUs).toLocaleString('en-US'),
              (memories[i].heapUsed / 1048576).toFixed(1),
              Number.isFinite(perEntry) ? Math.round(perEntry).toString() : '–',
            ],
            target: last
              ? `both ≥ ${MIN_RATIO * 100} % of 0; ≤ ${MAX_BYTES_PER_ENTRY} B per entry`
              : i === 0
                ? 'baseline'
                : 'report only',
            met: last
              ? ratios.every((r) => r >= MIN_RATIO) && perEntry <= MAX_BYTES_PER_ENTRY
              : undefined,
          };
        }),
      };
      log(renderTable('10', table).join('\n'));
      return {
        id: '10',
        title: 'Cost as data grows: the guard with 0, 10k and 100k revoked entries',
        tables: [table],
        notes: [
          'Scenario 10: each app on its own database; half the entries revoked grants ' +
            '(uuid ids), half revoked jtis, inserted in one statement each and picked up by ' +
            'the deny-list’s catch-up poll. Heap after the runs (MiB): ' +
            after.map((m) => (m.heapUsed / 1048576).toFixed(1)).join(', ') +
            '; bytes per entry are the difference to the empty list’s heap, divided by the entries.',
        ],
        target: { text: `guard at 100k ≥ ${MIN_RATIO * 100} % of at 0` },
      };
    } finally {
      for (const app of apps) await app.stop();
      for (const size of SIZES) await dropDatabase(database(size));
    }
  },
};
