/**
 * Scenario 6: the sample app's own main.js, timed from spawn to the first 200 of its metadata
 * endpoint, and its RSS then: embedded database (empty and existing data directory) and
 * PostgreSQL (empty and migrated database). Target: the warm embedded start within 2 s and
 * 300 MiB (PGlite's buffer pool is set in libs/mcp-auth/src/database/embedded-database.ts).
 */
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropDatabase, freshDatabase } from '../lib/database';
import { median } from '../lib/load';
import { productionSecrets, startApp } from '../lib/processes';
import { log, SETTINGS, type Scenario } from '../lib/scenario';

const DB_START = 'mcp_auth_bench_start';
/** Targets of a warm start on the embedded database (existing data directory). */
const WARM_EMBEDDED = { ms: 2000, rssMb: 300 };

export const startupScenario: Scenario = {
  id: '6',
  name: 'startup',
  description: 'start time and memory, embedded database vs Postgres',
  async run() {
    const dataDir = join(tmpdir(), `mcp-auth-bench-pglite-${process.pid}`);
    const startOnce = async (label: string, env: Record<string, string | undefined>) => {
      const app = await startApp({
        name: `start-${label}`,
        script: 'apps/sample-mcp-server/src/main.js',
        env: { ...productionSecrets(), ...env },
        readyPath: '/.well-known/oauth-authorization-server',
        timeoutMs: 120_000,
      });
      const rss = app.rssMb();
      await app.stop();
      log(`  S6 | ${label}: ready in ${app.startMs.toFixed(0)} ms, RSS ${rss.toFixed(0)} MiB`);
      return { ms: app.startMs, rss };
    };
    const rows: Record<string, { ms: number; rss: number }[]> = {
      'embedded, cold (empty data dir)': [],
      'embedded, warm (existing data dir)': [],
      'Postgres, cold (empty database)': [],
      'Postgres, warm (migrated database)': [],
    };
    const keys = Object.keys(rows);
    try {
      for (let round = 0; round < SETTINGS.longRounds; round += 1) {
        await rm(dataDir, { recursive: true, force: true });
        rows[keys[0]].push(
          await startOnce('embedded-cold', { DATABASE_URL: undefined, EMBEDDED_DATA_DIR: dataDir }),
        );
        rows[keys[1]].push(
          await startOnce('embedded-warm', { DATABASE_URL: undefined, EMBEDDED_DATA_DIR: dataDir }),
        );
        const url = await freshDatabase(DB_START);
        rows[keys[2]].push(await startOnce('postgres-cold', { DATABASE_URL: url }));
        rows[keys[3]].push(await startOnce('postgres-warm', { DATABASE_URL: url }));
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
      await dropDatabase(DB_START);
    }
    return {
      id: '6',
      title: 'Start time (spawn → first 200) and RSS after start, sample app',
      startup: keys.map((label) => {
        const ms = median(rows[label].map((r) => r.ms));
        const rssMb = median(rows[label].map((r) => r.rss));
        // The targets are on the warm embedded start; the others are reported.
        if (label !== keys[1]) return { label, ms, rssMb };
        return {
          label,
          ms,
          rssMb,
          target: `≤ ${WARM_EMBEDDED.ms.toLocaleString('en-US')} ms and ≤ ${WARM_EMBEDDED.rssMb} MiB`,
          met: ms <= WARM_EMBEDDED.ms && rssMb <= WARM_EMBEDDED.rssMb,
        };
      }),
      target: { text: 'embedded warm start ≤ 2 s, RSS ≤ 300 MiB' },
    };
  },
};
