import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

/** A child process whose output is collected, with a way to wait for a line to appear. */
export interface RunningChild {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stdout + stderr (checked as output arrives). */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or the signal name) once the process has ended. */
  exited: Promise<number | string>;
  /** Ends the process (SIGTERM, then SIGKILL after a grace period) and waits for it. */
  stop(): Promise<void>;
}

export function startChild(
  command: string,
  args: string[],
  options: SpawnOptions & { timeoutMs: number },
): RunningChild {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let ended = false;
  const watchers = new Set<() => void>();
  const notify = () => watchers.forEach((watch) => watch());
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    notify();
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
    notify();
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once('error', (error) => {
      err += `\n[spawn error] ${error.message}`;
      ended = true;
      notify();
      resolve(-1);
    });
    child.once('close', (code, signal) => {
      ended = true;
      notify();
      resolve(code ?? signal ?? -1);
    });
  });
  // A hard limit: nothing this suite starts may outlive its test.
  const killer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
  killer.unref();
  void exited.then(() => clearTimeout(killer));

  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = (out + err).match(pattern);
          if (match) {
            cleanup();
            resolve(match);
          } else if (ended) {
            cleanup();
            reject(new Error(`process ended before ${pattern} appeared\n${describe()}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`${pattern} did not appear within ${timeoutMs} ms\n${describe()}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          watchers.delete(check);
        };
        watchers.add(check);
        check();
      });
    },
    async stop() {
      if (ended) return;
      child.kill('SIGTERM');
      const grace = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(grace);
    },
  };

  function describe(): string {
    return `--- ${command} ${args.join(' ')}\n--- stdout:\n${out.slice(-4000)}\n--- stderr:\n${err.slice(-4000)}`;
  }
}

/** Runs a command to the end; rejects (with its output) when it fails or takes too long. */
export async function run(
  command: string,
  args: string[],
  options: SpawnOptions & { timeoutMs: number },
): Promise<{ stdout: string; stderr: string }> {
  const started = startChild(command, args, options);
  const code = await started.exited;
  if (code !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited with ${code}\n--- stdout:\n${started
        .stdout()
        .slice(-6000)}\n--- stderr:\n${started.stderr().slice(-6000)}`,
    );
  }
  return { stdout: started.stdout(), stderr: started.stderr() };
}

/**
 * The environment for a child `npm`: ours, without what `npm test` exports for its own
 * lifecycle (a child npm would read `npm_config_local_prefix` & co. as its own settings and
 * could install into the workspace).
 */
export function childNpmEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_(lifecycle_|package_|command$|execpath$|node_execpath$)/i.test(key)) continue;
    if (/^npm_config_(local_prefix|prefix|global_prefix|workspaces?|allow_scripts)$/i.test(key)) {
      continue;
    }
    env[key] = value;
  }
  return env;
}

/**
 * For a process expected to end by itself (e.g. to refuse to start): its exit code, or
 * 'ready' (after stopping it) if `ready` appears in its output first.
 */
export async function exitedOrReady(
  running: RunningChild,
  ready: RegExp,
  timeoutMs: number,
): Promise<number | string> {
  const seen = running.waitFor(ready, timeoutMs).then(
    () => 'ready',
    () => undefined,
  );
  const outcome = await Promise.race([running.exited, seen.then((s) => s ?? running.exited)]);
  if (outcome === 'ready') await running.stop();
  return outcome;
}
