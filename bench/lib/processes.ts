import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** Root of the compiled tree (dist/bench), whatever file imports this. */
export const DIST = join(__dirname, '..', '..');
/** The repository. */
export const ROOT = join(DIST, '..', '..');
/** Where CPU profiles go (outside dist/bench, which every build replaces). */
export const PROFILE_DIR = join(ROOT, 'dist', 'bench-profiles');

export interface AppProcess {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  /** Milliseconds from spawn to ready. */
  readonly startMs: number;
  /** Resident set size now, in MiB (from /proc). */
  rssMb(): number;
  /**
   * Starts (first call) or stops and writes (second call) a CPU profile, for apps started with
   * BENCH_PROFILE_DIR in their environment; the second call answers the profile's path.
   */
  toggleProfile(): Promise<string | undefined>;
  stop(): Promise<void>;
}

export interface StartOptions {
  name: string;
  /** Script relative to dist/bench. */
  script: string;
  env: Record<string, string | undefined>;
  port?: number;
  /**
   * How readiness is detected: the child printing `BENCH_READY`, or the first 2xx answer to a
   * GET of this path (what an orchestrator's readiness probe sees).
   */
  readyPath?: string;
  timeoutMs?: number;
}

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resident set size of a process, in MiB (NaN when it cannot be read). */
export function rssOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** The orchestrator's environment with `overrides` applied; undefined removes a variable. */
function childEnv(overrides: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

/** Spawns an app as a child process (never in the load generator's process) and waits for it. */
export async function startApp(options: StartOptions): Promise<AppProcess> {
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const child: ChildProcess = spawn(process.execPath, [join(DIST, options.script)], {
    cwd: ROOT,
    env: childEnv({ ...options.env, PORT: String(port), HOST: '127.0.0.1' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const timeoutMs = options.timeoutMs ?? 60_000;
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${options.name} not ready in ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${options.name} exited with ${code}:\n${output}`));
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      output += text;
      if (!options.readyPath && text.includes('BENCH_READY')) done();
    });
    if (options.readyPath) {
      const probe = (): void => {
        fetch(`${url}${options.readyPath}`)
          .then((response) => {
            if (response.ok) done();
            else setTimeout(probe, 10);
          })
          .catch(() => setTimeout(probe, 10));
      };
      probe();
    }
  });
  try {
    await ready;
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const startMs = performance.now() - started;
  // Keep draining output so a chatty child never blocks on a full pipe.
  let profileWritten: ((file: string) => void) | undefined;
  child.stdout?.on('data', (chunk: Buffer) => {
    const match = /BENCH_PROFILE (\S+)/.exec(chunk.toString());
    if (match) profileWritten?.(match[1]);
  });
  let profiling = false;
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (chunk: Buffer) => {
      if (process.env.BENCH_VERBOSE) process.stderr.write(`[${options.name}] ${chunk.toString()}`);
    });
  }
  const pid = child.pid as number;
  return {
    name: options.name,
    port,
    url,
    pid,
    startMs,
    rssMb: () => rssOf(pid),
    toggleProfile: () => {
      profiling = !profiling;
      child.kill('SIGUSR2');
      if (profiling) return new Promise((resolve) => setTimeout(() => resolve(undefined), 200));
      return new Promise((resolve) => {
        profileWritten = resolve;
      });
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** Production refuses the sample's public defaults; nobody signs in during a run. */
export function productionSecrets(): Record<string, string> {
  return {
    NODE_ENV: 'production',
    DEMO_PASSWORD: randomBytes(24).toString('base64url'),
    MCP_AUTH_KEY_ENCRYPTION_SECRET: randomBytes(32).toString('base64'),
  };
}

/**
 * The bench app (the sample's AppModule plus BenchController) on the database at
 * `databaseUrl`, its issuer its own origin; `env` adds to (or overrides) its environment.
 */
export async function startBenchAppOn(
  name: string,
  databaseUrl: string,
  env: Record<string, string | undefined> = {},
): Promise<AppProcess> {
  const port = await freePort();
  return startApp({
    name,
    script: 'bench/apps/bench-app.js',
    port,
    env: {
      DATABASE_URL: databaseUrl,
      ISSUER_URL: `http://127.0.0.1:${port}`,
      ...productionSecrets(),
      ...env,
    },
  });
}
