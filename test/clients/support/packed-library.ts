import { join, resolve } from 'node:path';
import { childNpmEnvironment, run } from './child-process';

const WORKSPACE = resolve(__dirname, '../../..');

/** Runs one step of work; a caller may wrap it, e.g. to time it. */
export type StepRunner = <T>(step: string, work: () => Promise<T>) => Promise<T>;

const untimed: StepRunner = (_step, work) => work();

export interface PackedLibrary {
  /** Absolute path of `nestjs-mcp-auth-<version>.tgz`. */
  tarball: string;
  /** The tarball's entries (`package/…`), as `tar -tzf` lists them. */
  files: string[];
}

/**
 * Builds the library like a release (`nest build mcp-auth`), packs it (`npm pack`) into
 * `destination`, and lists the tarball. The steps run through `step` as
 * 'nest build mcp-auth' and 'npm pack'.
 */
export async function buildAndPackLibrary(
  destination: string,
  step: StepRunner = untimed,
): Promise<PackedLibrary> {
  await step('nest build mcp-auth', () =>
    run(
      process.execPath,
      [join(WORKSPACE, 'node_modules/@nestjs/cli/bin/nest.js'), 'build', 'mcp-auth'],
      {
        cwd: WORKSPACE,
        timeoutMs: 180_000,
      },
    ),
  );
  const { stdout } = await step('npm pack', () =>
    run('npm', ['pack', '--pack-destination', destination, '--loglevel=error'], {
      cwd: join(WORKSPACE, 'libs/mcp-auth'),
      env: childNpmEnvironment(),
      timeoutMs: 60_000,
    }),
  );
  const tarball = join(destination, stdout.trim().split('\n').at(-1) as string);
  const { stdout: listing } = await run('tar', ['-tzf', tarball], { timeoutMs: 30_000 });
  return { tarball, files: listing.split('\n') };
}
