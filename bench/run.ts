/**
 * `npm run bench`: every scenario against the real app in child processes on
 * loopback, real Postgres, autocannon in this process. Writes bench/results/latest.md and
 * bench/results/explain.md. Select scenarios with BENCH_ONLY=1,4 (see bench/README.md).
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  backendPids,
  databaseUrl,
  dropDatabase,
  freshDatabase,
  serverVersion,
  transactionCount,
} from './lib/database';
import { explainHotQueries } from './lib/explain';
import {
  codeBody,
  FORM_HEADERS,
  isToolResult,
  MCP_HEADERS,
  mint,
  mintRefreshBodies,
  REDIRECT_URI,
  refreshBody,
  registerClient,
  rotateKeys,
  TOOL_CALL,
} from './lib/fixtures';
import { median, runLoad, type RunResult } from './lib/load';
import {
  productionSecrets,
  startApp,
  startBenchAppOn,
  ROOT,
  type AppProcess,
} from './lib/processes';
import { renderReport, type ScenarioReport } from './lib/report';
import { alternate, log, SETTINGS, type Variant } from './lib/scenario';
import { npmStartScenario } from './npm-start.scenario';
import { rateLimitStorageScenario } from './rate-limit-storage.scenario';

const ONLY = new Set(
  (process.env.BENCH_ONLY ?? '1,2,3,4,5,6,7')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);
const DB_MAIN = 'mcp_auth_bench';
const DB_KEYS = 'mcp_auth_bench_keys';
const DB_ONE_KEY = 'mcp_auth_bench_one_key';
const DB_START = 'mcp_auth_bench_start';

/** A bench app (sample AppModule + BenchController) on its own scratch database. */
async function startBenchApp(name: string, database: string): Promise<AppProcess> {
  return startBenchAppOn(name, await freshDatabase(database));
}

interface Authorized {
  clientId: string;
  token: string;
  authorization: Record<string, string>;
}

async function authorize(app: AppProcess): Promise<Authorized> {
  const clientId = await registerClient(app.url);
  const [minted] = await mint(app.url, {
    kind: 'refresh_tokens',
    count: 1,
    clientId,
    redirectUri: REDIRECT_URI,
  });
  return {
    clientId,
    token: minted.accessToken,
    authorization: { authorization: `Bearer ${minted.accessToken}` },
  };
}

/** A timed run, plus a shorter unrecorded one for warm-up. */
function timed(
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

async function distinctTokens(app: AppProcess, clientId: string, count: number) {
  const tokens = await mint(app.url, {
    kind: 'access_tokens',
    count,
    clientId,
    redirectUri: REDIRECT_URI,
  });
  return tokens.map((token) => ({ authorization: `Bearer ${token}` }));
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const reports: ScenarioReport[] = [];
  const c = SETTINGS.connections;
  log(
    `bench: ${cpus().length} CPUs, Node ${process.version}, ${SETTINGS.rounds} rounds × ` +
      `${SETTINGS.duration} s (scenarios 4-6: ${SETTINGS.longRounds} rounds), ${c} connections`,
  );

  let main: AppProcess | undefined;
  let auth: Authorized | undefined;
  const needMain = ['1', '2', '3', '4', '5'].some((s) => ONLY.has(s));
  try {
    if (needMain) {
      main = await startBenchApp('bench-app', DB_MAIN);
      log(`bench app on ${main.url} (pid ${main.pid})`);
      auth = await authorize(main);
    }

    if (ONLY.has('1') && main && auth) {
      log('Scenario 1: guard overhead, trivial JSON route');
      const app = main;
      const tokens = await distinctTokens(app, auth.clientId, 20_000);
      const pid = app.pid;
      const summaries = await alternate('S1', [
        // The same request as the guarded rows (token included): only the guard differs.
        timed('unguarded GET /bench/plain (same request, token ignored)', {
          url: `${app.url}/bench/plain`,
          headers: auth.authorization,
          connections: c,
          pid,
        }),
        timed('guarded GET /bench/guarded, same token every request', {
          url: `${app.url}/bench/guarded`,
          headers: auth.authorization,
          connections: c,
          pid,
          countTransactions: () => transactionCount(DB_MAIN),
        }),
        timed('guarded, a new token every request (signature checked each time)', {
          url: `${app.url}/bench/guarded`,
          headerSets: tokens,
          connections: c,
          pid,
        }),
        timed('unguarded, no Authorization header at all', {
          url: `${app.url}/bench/plain`,
          connections: c,
          pid,
        }),
      ]);
      reports.push({
        id: '1',
        title: 'Guard overhead, trivial JSON route',
        summaries,
        target: { text: 'guarded ≥ 85 % of unguarded', variant: 1, minRatio: 0.85 },
      });
    }

    if (ONLY.has('2') && main && auth) {
      log('Scenario 2: guard overhead, MCP tools/call');
      const app = main;
      const summaries = await alternate('S2', [
        timed('unguarded MCP, POST /bench/mcp-open (same request, token ignored)', {
          url: `${app.url}/bench/mcp-open`,
          method: 'POST',
          headers: { ...MCP_HEADERS, ...auth.authorization },
          body: TOOL_CALL,
          connections: c,
          verify: isToolResult,
          pid: app.pid,
        }),
        timed('guarded MCP, POST /mcp (the sample’s endpoint)', {
          url: `${app.url}/mcp`,
          method: 'POST',
          headers: { ...MCP_HEADERS, ...auth.authorization },
          body: TOOL_CALL,
          connections: c,
          verify: isToolResult,
          pid: app.pid,
        }),
      ]);
      reports.push({
        id: '2',
        title: 'Guard overhead, MCP tools/call (echo)',
        summaries,
        target: { text: 'guarded ≥ 95 % of unguarded', variant: 1, minRatio: 0.95 },
      });
    }

    if (ONLY.has('3') && main && auth) {
      log('Scenario 3: peer comparison with the MCP SDK’s Express stack');
      const app = main;
      const peer = await startApp({
        name: 'sdk-peer',
        script: 'bench/apps/sdk-peer.js',
        env: { ISSUER_URL: app.url, RESOURCE: `${app.url}/mcp`, NODE_ENV: 'production' },
      });
      try {
        const summaries = await alternate('S3', [
          timed('theirs: SDK Express + requireBearerAuth, jose ES256 (peer process)', {
            url: `${peer.url}/mcp`,
            method: 'POST',
            headers: { ...MCP_HEADERS, ...auth.authorization },
            body: TOOL_CALL,
            connections: c,
            verify: isToolResult,
            pid: peer.pid,
          }),
          timed('ours: Nest + BearerGuard, POST /mcp', {
            url: `${app.url}/mcp`,
            method: 'POST',
            headers: { ...MCP_HEADERS, ...auth.authorization },
            body: TOOL_CALL,
            connections: c,
            verify: isToolResult,
            pid: app.pid,
          }),
        ]);
        reports.push({
          id: '3',
          title: 'Peer: same tool, same token, MCP SDK requireBearerAuth on Express',
          summaries,
          target: { text: 'ours ≥ 1.0× theirs', variant: 1, minRatio: 1.0 },
        });
      } finally {
        await peer.stop();
      }
    }

    if (ONLY.has('4') && main && auth) {
      log('Scenario 4: token endpoint on Postgres');
      const app = main;
      const clientId = auth.clientId;
      const n = SETTINGS.tokenRequests;
      let refreshBodies: string[] = [];
      let codeBodies: string[] = [];
      const mintRefresh = (count: number): Promise<string[]> =>
        mintRefreshBodies(app.url, clientId, count);
      const mintCodes = async (count: number): Promise<string[]> =>
        (await mint(app.url, { kind: 'codes', count, clientId, redirectUri: REDIRECT_URI })).map(
          (m) => codeBody(clientId, m),
        );
      const tokenRun = (bodies: () => string[]) => async () =>
        runLoad({
          url: `${app.url}/token`,
          method: 'POST',
          headers: FORM_HEADERS,
          bodies: bodies(),
          connections: c,
          pid: app.pid,
          // The app's pool connections: the database's share of the CPU (same machine).
          extraPids: await backendPids(DB_MAIN),
        });
      const warmCount = Math.min(500, n);
      const summaries = await alternate(
        'S4',
        [
          {
            ...timed('baseline: POST /bench/form (same form, no database)', {
              url: `${app.url}/bench/form`,
              method: 'POST',
              headers: FORM_HEADERS,
              body: refreshBody(clientId, 'x'.repeat(43)),
              connections: c,
              pid: app.pid,
            }),
          },
          {
            label: 'refresh_token grant with rotation',
            warmup: async () =>
              runLoad({
                url: `${app.url}/token`,
                method: 'POST',
                headers: FORM_HEADERS,
                bodies: await mintRefresh(warmCount),
                connections: c,
              }),
            prepare: async () => {
              refreshBodies = await mintRefresh(n);
            },
            run: tokenRun(() => refreshBodies),
          },
          {
            label: 'authorization_code exchange (PKCE)',
            warmup: async () =>
              runLoad({
                url: `${app.url}/token`,
                method: 'POST',
                headers: FORM_HEADERS,
                bodies: await mintCodes(warmCount),
                connections: c,
              }),
            // Codes live 60 s: minted right before their run.
            prepare: async () => {
              codeBodies = await mintCodes(n);
            },
            run: tokenRun(() => codeBodies),
          },
        ],
        SETTINGS.longRounds,
      );
      reports.push({
        id: '4',
        title:
          'Token endpoint on Postgres (each request consumes a distinct pre-minted credential)',
        summaries,
        target: {
          text: '≥ 1,000 refresh grants/s and ≥ 800 code exchanges/s, zero errors',
          minRps: { 1: 1000, 2: 800 },
          zeroErrors: true,
        },
      });
      log('EXPLAIN (ANALYZE) of the hot queries');
      await mkdir(join(ROOT, 'bench', 'results'), { recursive: true });
      await writeFile(
        join(ROOT, 'bench', 'results', 'explain.md'),
        await explainHotQueries(databaseUrl(DB_MAIN), app.url, clientId),
      );
    }

    if (ONLY.has('5') && main && auth) {
      log('Scenario 5: verification cost by number of keys, local and remote JWKS');
      // Two fresh apps alike but for their key sets (the main app has run everything before).
      const one = await startBenchApp('bench-app-1-key', DB_ONE_KEY);
      const ten = await startBenchApp('bench-app-10-keys', DB_KEYS);
      let remote: AppProcess | undefined;
      try {
        const keyCount = await rotateKeys(ten.url, 9);
        const oneAuth = await authorize(one);
        const tenAuth = await authorize(ten);
        remote = await startApp({
          name: 'remote-jwks-rs',
          script: 'bench/apps/resource-server-app.js',
          env: { ISSUER_URL: ten.url, RESOURCE: `${ten.url}/mcp`, NODE_ENV: 'production' },
        });
        const oneTokens = await distinctTokens(one, oneAuth.clientId, 20_000);
        const tenTokens = await distinctTokens(ten, tenAuth.clientId, 20_000);
        const guarded = (
          app: AppProcess,
          headerSets: Record<string, string>[],
          database?: string,
        ) => ({
          url: `${app.url}/bench/guarded`,
          headerSets,
          connections: c,
          pid: app.pid,
          ...(database ? { countTransactions: () => transactionCount(database) } : {}),
        });
        const long = SETTINGS.duration;
        const summaries = await alternate(
          'S5',
          [
            timed('local verifier, 1 key in JWKS', guarded(one, oneTokens, DB_ONE_KEY), long),
            timed(
              `local verifier, ${keyCount} keys in JWKS`,
              guarded(ten, tenTokens, DB_KEYS),
              long,
            ),
            timed(
              `remote-JWKS verifier (forResourceServer), ${keyCount} keys cached`,
              guarded(remote, tenTokens),
              long,
            ),
          ],
          SETTINGS.rounds,
        );
        reports.push({
          id: '5',
          title: 'Verification cost by keys (guarded trivial route, a new token every request)',
          summaries,
          target: { text: 'no database or network round trip per request (see note)' },
        });
      } finally {
        await remote?.stop();
        await ten.stop();
        await one.stop();
        await dropDatabase(DB_KEYS);
        await dropDatabase(DB_ONE_KEY);
      }
    }
  } finally {
    await main?.stop();
    if (main) await dropDatabase(DB_MAIN);
  }

  if (ONLY.has('6')) {
    log('Scenario 6: start time and memory, embedded database vs Postgres');
    reports.push(await startupScenario());
    log('Scenario 6b: `npm start`, first start and restart');
    reports.push(await npmStartScenario());
  }

  if (ONLY.has('7')) {
    log('Scenario 7: rate-limit storage on the token endpoint, memory vs PostgreSQL vs Redis');
    reports.push(await rateLimitStorageScenario());
  }

  const report = renderReport({
    startedAt,
    finishedAt: new Date(),
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    postgres: await serverVersion(),
    settings: SETTINGS,
    reports,
  });
  await mkdir(join(ROOT, 'bench', 'results'), { recursive: true });
  await writeFile(join(ROOT, 'bench', 'results', 'latest.md'), report);
  log(`\n${report}`);
  log('bench: wrote bench/results/latest.md');
}

/** Scenario 6: the sample app's own main.js, timed from spawn to its first 200. */
async function startupScenario(): Promise<ScenarioReport> {
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
    startup: keys.map((label) => ({
      label,
      ms: median(rows[label].map((r) => r.ms)),
      rssMb: median(rows[label].map((r) => r.rss)),
    })),
    target: { text: 'report only' },
  };
}

export type { RunResult };

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
