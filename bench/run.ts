/**
 * `npm run bench`: the scenarios of bench/scenarios against the real app in child processes on
 * loopback, real Postgres, autocannon in this process. Writes bench/results/latest.md (and
 * scenario 4 bench/results/explain.md).
 *
 *   npm run bench                            every scenario, in the order below
 *   npm run bench -- 1 token-endpoint        some, by id or name (BENCH_ONLY=1,token-endpoint too)
 *   node dist/bench/bench/run.js --list      the ids and names
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { serverVersion } from './lib/database';
import { ROOT } from './lib/processes';
import { renderReport, type ScenarioReport } from './lib/report';
import { log, SETTINGS, type Scenario } from './lib/scenario';
import { startSharedApp, stopSharedApp, type SharedApp } from './lib/shared-app';
import { fastifyScenario } from './scenarios/fastify.scenario';
import { growthCleanupScenario } from './scenarios/growth-cleanup.scenario';
import { growthDenyListScenario } from './scenarios/growth-deny-list.scenario';
import { growthTokenEndpointScenario } from './scenarios/growth-token-endpoint.scenario';
import { guardMcpScenario } from './scenarios/guard-mcp.scenario';
import { guardTrivialScenario } from './scenarios/guard-trivial.scenario';
import { npmStartScenario } from './scenarios/npm-start.scenario';
import { peerSdkScenario } from './scenarios/peer-sdk.scenario';
import { rateLimitStorageScenario } from './scenarios/rate-limit-storage.scenario';
import { startupScenario } from './scenarios/startup.scenario';
import { tokenEndpointScenario } from './scenarios/token-endpoint.scenario';
import { verificationKeysScenario } from './scenarios/verification-keys.scenario';

/** Every scenario, in the order they run and appear in the report. */
const SCENARIOS: readonly Scenario[] = [
  guardTrivialScenario,
  guardMcpScenario,
  peerSdkScenario,
  tokenEndpointScenario,
  verificationKeysScenario,
  startupScenario,
  npmStartScenario,
  rateLimitStorageScenario,
  fastifyScenario,
  growthTokenEndpointScenario,
  growthDenyListScenario,
  growthCleanupScenario,
];

/**
 * The scenarios the command line (or else BENCH_ONLY, comma-separated) names, by id or name;
 * a bare number also selects its lettered parts (6: 6 and 6b). None named: all of them.
 */
function select(args: readonly string[]): Scenario[] {
  const wanted = (args.length ? args : (process.env.BENCH_ONLY ?? '').split(','))
    .flatMap((arg) => arg.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  if (!wanted.length) return [...SCENARIOS];
  const matches = (scenario: Scenario, selector: string): boolean =>
    selector === scenario.id ||
    selector === scenario.name ||
    selector === scenario.id.replace(/[a-z]+$/, '');
  const unknown = wanted.filter((selector) => !SCENARIOS.some((s) => matches(s, selector)));
  if (unknown.length) {
    throw new Error(`unknown scenario ${unknown.join(', ')}; known:\n${listing()}`);
  }
  return SCENARIOS.filter((scenario) => wanted.some((selector) => matches(scenario, selector)));
}

function listing(): string {
  return SCENARIOS.map((s) => `  ${s.id.padEnd(3)} ${s.name.padEnd(20)} ${s.description}`).join(
    '\n',
  );
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--list')) {
    log(listing());
    return;
  }
  const selected = select(args);
  const startedAt = new Date();
  const reports: ScenarioReport[] = [];
  log(
    `bench: ${cpus().length} CPUs, Node ${process.version}, ${SETTINGS.rounds} rounds × ` +
      `${SETTINGS.duration} s (scenarios 4-6: ${SETTINGS.longRounds} rounds), ` +
      `${SETTINGS.connections} connections; scenarios ${selected.map((s) => s.id).join(', ')}`,
  );

  // The shared bench app lives from the first scenario that uses it to the last.
  let lastShared = -1;
  selected.forEach((scenario, i) => {
    if (scenario.sharedApp) lastShared = i;
  });
  let shared: SharedApp | undefined;
  try {
    for (const [i, scenario] of selected.entries()) {
      log(`Scenario ${scenario.id} (${scenario.name}): ${scenario.description}`);
      if (scenario.sharedApp) {
        shared ??= await startSharedApp();
        reports.push(await scenario.run(shared));
      } else {
        reports.push(await scenario.run());
      }
      if (i === lastShared && shared) {
        const done = shared;
        shared = undefined;
        await stopSharedApp(done);
      }
    }
  } finally {
    if (shared) await stopSharedApp(shared);
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

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
