import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

/**
 * With BENCH_PROFILE_DIR set, SIGUSR2 starts a V8 CPU profile and the next SIGUSR2 writes it
 * to that directory (`<name>-<time>.cpuprofile`): the benchmark profiles only the measured
 * load, not start-up or minting.
 */
export function installSignalProfiler(name: string): void {
  const dir = process.env.BENCH_PROFILE_DIR;
  if (!dir) return;
  const session = new Session();
  session.connect();
  let running = false;
  process.on('SIGUSR2', () => {
    if (!running) {
      running = true;
      session.post('Profiler.enable', () =>
        session.post('Profiler.setSamplingInterval', { interval: 100 }, () =>
          session.post('Profiler.start'),
        ),
      );
      return;
    }
    running = false;
    session.post('Profiler.stop', (error, result) => {
      if (error) throw error;
      const file = join(dir, `${name}-${Date.now()}.cpuprofile`);
      writeFileSync(file, JSON.stringify(result.profile));
      process.stdout.write(`BENCH_PROFILE ${file}\n`);
    });
  });
}
