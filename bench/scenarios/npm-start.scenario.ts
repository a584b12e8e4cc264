/**
 * Scenario 6b: `npm start` as someone trying the sample runs it (development mode, embedded
 * database), from the command to the first 200 of the metadata endpoint: build and boot. First
 * start: no dist/sample-mcp-server and an empty data directory; restart: the same again with
 * nothing changed. Stopped with SIGINT to the whole process group, as Ctrl-C does.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median } from '../lib/load';
import { freePort, ROOT, rssOf } from '../lib/processes';
import type { ScenarioReport } from '../lib/report';
import { log, SETTINGS, type Scenario } from '../lib/scenario';

interface Start {
  ms: number;
  rss: number;
  /** What the build step reported, in ms. */
  buildMs: number;
}

/** Our environment without npm's own variables (they would describe `npm run bench`). */
function npmStartEnvironment(port: number, dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(name)) env[name] = value;
  }
  for (const name of ['NODE_ENV', 'DATABASE_URL', 'ISSUER_URL', 'DEMO_PASSWORD']) delete env[name];
  return { ...env, PORT: String(port), HOST: '127.0.0.1', EMBEDDED_DATA_DIR: dataDir };
}

async function npmStart(label: string, dataDir: string): Promise<Start> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn('npm', ['start'], {
    cwd: ROOT,
    env: npmStartEnvironment(port, dataDir),
    // Its own process group: npm, the shell and the app are stopped together.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  let ended = false;
  void closed.then(() => (ended = true));
  try {
    for (;;) {
      if (ended) throw new Error(`npm start (${label}) exited:\n${output}`);
      if (performance.now() - started > 180_000) throw new Error(`npm start (${label}) timed out`);
      const ready = await fetch(`http://127.0.0.1:${port}/.well-known/oauth-authorization-server`)
        .then((response) => response.ok)
        .catch(() => false);
      if (ready) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const ms = performance.now() - started;
    // The app's pid is in Nest's log prefix; npm's own would say nothing about the app.
    const appPid = Number(/\[Nest\] (\d+)/.exec(output)?.[1]);
    const buildMs = Number(/^build: .* (\d+) ms\)?$/m.exec(output)?.[1]);
    const result = { ms, rss: rssOf(appPid), buildMs };
    log(
      `  S6b | ${label}: ready in ${ms.toFixed(0)} ms (build ${buildMs} ms), ` +
        `RSS ${result.rss.toFixed(0)} MiB`,
    );
    return result;
  } finally {
    if (!ended) process.kill(-(child.pid as number), 'SIGINT');
    // Closed once every process of the group has let go of the pipes: the app has exited.
    await closed;
  }
}

async function run(): Promise<ScenarioReport> {
  const first: Start[] = [];
  const restart: Start[] = [];
  for (let round = 0; round < SETTINGS.longRounds; round += 1) {
    const dataDir = await mkdtemp(join(tmpdir(), 'mcp-auth-bench-npm-start-'));
    try {
      await rm(join(ROOT, 'dist', 'sample-mcp-server'), { recursive: true, force: true });
      first.push(await npmStart('first start', dataDir));
      restart.push(await npmStart('restart, no change', dataDir));
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }
  const row = (label: string, starts: Start[]) => ({
    label,
    ms: median(starts.map((s) => s.ms)),
    rssMb: median(starts.map((s) => s.rss)),
  });
  const buildMs = (starts: Start[]) => median(starts.map((s) => s.buildMs));
  return {
    id: '6b',
    title: '`npm start` (build and start, development mode, embedded database)',
    startup: [
      row('first start: no dist/sample-mcp-server, empty data dir', first),
      row('restart: nothing changed', restart),
    ],
    // Only a build that reports itself (apps/sample-mcp-server/build.mjs) can be timed apart.
    notes: Number.isFinite(buildMs(first))
      ? [
          `Build step of \`npm start\` (median): ${buildMs(first).toFixed(0)} ms on the first ` +
            `start, ${buildMs(restart).toFixed(0)} ms on a restart with nothing changed.`,
        ]
      : [],
    target: {
      text: 'first start well under 30 s; a restart with no change spends no time building',
    },
  };
}

export const npmStartScenario: Scenario = {
  id: '6b',
  name: 'npm-start',
  description: '`npm start`, first start and restart',
  run,
};
