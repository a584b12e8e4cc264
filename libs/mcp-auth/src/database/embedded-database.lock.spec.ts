import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { MigrationInterface } from 'typeorm';
import {
  exitedOrReady,
  startChild,
  type RunningChild,
} from '../../../../test/clients/support/child-process';
import { createPostgresDataSource } from './data-source.factory';
import { openEmbeddedDatabase } from './embedded-database';
import {
  EMBEDDED_LOCK_FILE,
  EmbeddedDatabaseLockedError,
  lockEmbeddedDataDir,
} from './embedded-database.lock';

jest.setTimeout(120_000);

const WORKSPACE = resolve(__dirname, '../../../..');

let scratch: string;
beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'mcp-auth-lock-'));
});
afterEach(() => {
  rmSync(scratch, { recursive: true, force: true });
});

const lockFileOf = (dir: string): string => join(dir, EMBEDDED_LOCK_FILE);
const lockOwner = (dir: string): { pid: number; hostname: string } =>
  JSON.parse(readFileSync(lockFileOf(dir), 'utf8')) as { pid: number; hostname: string };
const writeLock = (dir: string, owner: object): void =>
  writeFileSync(lockFileOf(dir), JSON.stringify(owner));

/** The pid of a process that has ended (and been reaped), so nothing runs under it now. */
async function goneProcessPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((done) => child.once('exit', done));
  return child.pid as number;
}

describe('lockEmbeddedDataDir', () => {
  it('creates a lock file holding this pid, refuses a second open in this process, and releases', () => {
    const lock = lockEmbeddedDataDir(scratch);
    expect(lock.file).toBe(lockFileOf(scratch));
    expect(lockOwner(scratch)).toMatchObject({ pid: process.pid, hostname: hostname() });

    expect(() => lockEmbeddedDataDir(scratch)).toThrow(
      new RegExp(`${scratch}.*already open in this process \\(pid ${process.pid}\\)`),
    );

    lock.release();
    expect(existsSync(lockFileOf(scratch))).toBe(false);
    lock.release(); // idempotent
    lockEmbeddedDataDir(scratch).release();
  });

  it('refuses a second open in this process through another spelling of the directory', () => {
    const link = join(scratch, 'link');
    symlinkSync(scratch, link);
    const lock = lockEmbeddedDataDir(scratch);
    expect(() => lockEmbeddedDataDir(`${link}/`)).toThrow(/already open in this process/);
    lock.release();
  });

  it('refuses a lock held by a running process, naming the directory and its pid', async () => {
    const holder = startChild(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
      timeoutMs: 60_000,
    });
    try {
      const pid = holder.child.pid as number;
      writeLock(scratch, { pid, hostname: hostname(), since: 'earlier' });
      let refusal: unknown;
      try {
        lockEmbeddedDataDir(scratch);
      } catch (error) {
        refusal = error;
      }
      expect(refusal).toBeInstanceOf(EmbeddedDatabaseLockedError);
      expect((refusal as EmbeddedDatabaseLockedError).ownerPid).toBe(pid);
      expect((refusal as Error).message).toContain(`Embedded database ${scratch} is in use`);
      expect((refusal as Error).message).toContain(`pid ${pid}`);
      // The refusal leaves the other process's lock alone.
      expect(lockOwner(scratch).pid).toBe(pid);
    } finally {
      await holder.stop();
    }
  });

  it('takes over a lock whose process is gone', async () => {
    writeLock(scratch, { pid: await goneProcessPid(), hostname: hostname(), since: 'earlier' });
    const lock = lockEmbeddedDataDir(scratch);
    expect(lockOwner(scratch).pid).toBe(process.pid);
    lock.release();
  });

  it('takes over a lock naming this pid that this process does not hold (a restarted container)', () => {
    writeLock(scratch, { pid: process.pid, hostname: hostname(), since: 'before the restart' });
    const lock = lockEmbeddedDataDir(scratch);
    expect(lockOwner(scratch)).toMatchObject({ pid: process.pid });
    expect(() => lockEmbeddedDataDir(scratch)).toThrow(/already open in this process/);
    lock.release();
  });

  it('honours a lock from another host, whose process cannot be checked', async () => {
    writeLock(scratch, { pid: await goneProcessPid(), hostname: 'other-host', since: 'earlier' });
    expect(() => lockEmbeddedDataDir(scratch)).toThrow(
      /in use by a process on host other-host \(pid \d+.*If no such process uses it, delete/s,
    );
  });

  it('refuses while a lock file is being written, and takes over one left half-written long ago', () => {
    writeFileSync(lockFileOf(scratch), '');
    expect(() => lockEmbeddedDataDir(scratch)).toThrow(/creating its lock/);

    const longAgo = new Date(Date.now() - 60_000);
    utimesSync(lockFileOf(scratch), longAgo, longAgo);
    const lock = lockEmbeddedDataDir(scratch);
    expect(lockOwner(scratch).pid).toBe(process.pid);
    lock.release();
  });

  it('does not delete a lock that another process has taken over since', () => {
    const lock = lockEmbeddedDataDir(scratch);
    writeLock(scratch, { pid: 1, hostname: 'other-host', since: 'later' });
    lock.release();
    expect(lockOwner(scratch).hostname).toBe('other-host');
  });
});

/** A second process that opens `dataDir` with the library's own code, as an app would. */
function startOpener(dataDir: string): RunningChild {
  const script = `
    const { openEmbeddedDatabase } = require(${JSON.stringify(join(__dirname, 'embedded-database.ts'))});
    openEmbeddedDatabase(process.env.DATA_DIR).then(
      (db) => {
        process.stdout.write('OPENED\\n');
        process.once('SIGTERM', () => db.close().then(() => process.exit(0)));
        setInterval(() => {}, 1000);
      },
      (error) => {
        process.stderr.write(error.name + ': ' + error.message + '\\n');
        process.exit(3);
      },
    );`;
  return startChild(
    process.execPath,
    ['-r', './test/clients/support/swc-register.cjs', '-e', script],
    { cwd: WORKSPACE, env: { ...process.env, DATA_DIR: dataDir }, timeoutMs: 90_000 },
  );
}

describe('an embedded data directory opened by two processes', () => {
  it('refuses the second process with a message naming the directory and the first one’s pid', async () => {
    const dataDir = join(scratch, 'pglite');
    const first = await openEmbeddedDatabase(dataDir);
    try {
      const second = startOpener(dataDir);
      expect(await exitedOrReady(second, /OPENED/, 60_000)).toBe(3);
      expect(second.stderr()).toContain(
        `EmbeddedDatabaseLockedError: Embedded database ${dataDir} is in use by another process (pid ${process.pid},`,
      );
    } finally {
      await first.close();
    }
    expect(existsSync(lockFileOf(dataDir))).toBe(false);
  });

  it('takes over the lock of a process that was killed, and the database opens', async () => {
    const dataDir = join(scratch, 'pglite');
    const crashed = startOpener(dataDir);
    await crashed.waitFor(/OPENED/, 60_000);
    const pid = crashed.child.pid as number;
    expect(lockOwner(dataDir).pid).toBe(pid);
    crashed.child.kill('SIGKILL');
    await crashed.exited;
    expect(lockOwner(dataDir).pid).toBe(pid); // left behind: no exit handler runs on SIGKILL

    const reopened = await openEmbeddedDatabase(dataDir);
    try {
      expect(lockOwner(dataDir).pid).toBe(process.pid);
      const pglite = reopened.pglite as unknown as {
        query(sql: string): Promise<{ rows: unknown[] }>;
      };
      expect((await pglite.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await reopened.close();
    }
    expect(existsSync(lockFileOf(dataDir))).toBe(false);
  });
});

describe('createPostgresDataSource on an embedded data directory', () => {
  afterEach(() => jest.restoreAllMocks());

  it('refuses a second DataSource on a directory in use, and releases the lock on destroy', async () => {
    const dataDir = join(scratch, 'pglite');
    const first = await createPostgresDataSource({ embeddedDataDir: dataDir }, {});
    await first.initialize();
    const second = await createPostgresDataSource({ embeddedDataDir: dataDir }, {}).then(
      (opened) => opened.destroy(),
      (error: unknown) => error,
    );
    await first.destroy();
    expect(second).toBeInstanceOf(EmbeddedDatabaseLockedError);
    expect(existsSync(lockFileOf(dataDir))).toBe(false);
  });

  it('releases the lock when initialization fails, so that a retry can open the directory', async () => {
    const dataDir = join(scratch, 'pglite');
    class FailingMigration implements MigrationInterface {
      name = 'FailingMigration1700000000000';
      async up(): Promise<void> {
        throw new Error('migration failed');
      }
      async down(): Promise<void> {}
    }
    jest.spyOn(console, 'log').mockImplementation(() => undefined); // TypeORM reports the failure
    const failing = await createPostgresDataSource(
      { embeddedDataDir: dataDir },
      { migrations: [FailingMigration], migrationsRun: true, logging: false },
    );
    await expect(failing.initialize()).rejects.toThrow('migration failed');
    expect(existsSync(lockFileOf(dataDir))).toBe(false);

    const retry = await createPostgresDataSource({ embeddedDataDir: dataDir }, {});
    await retry.initialize();
    await retry.destroy();
  });

  it('releases the lock when initialization fails before connecting', async () => {
    const dataDir = join(scratch, 'pglite');
    const failing = await createPostgresDataSource(
      { embeddedDataDir: dataDir },
      { isolationLevel: 'NO SUCH LEVEL' as never },
    );
    await expect(failing.initialize()).rejects.toThrow(/isolation level is not supported/);
    expect(existsSync(lockFileOf(dataDir))).toBe(false);
  });

  it('never locks an in-memory database', async () => {
    const [one, two] = [
      await createPostgresDataSource({ embeddedDataDir: 'memory://' }, {}),
      await createPostgresDataSource({ embeddedDataDir: 'memory://' }, {}),
    ];
    await one.destroy();
    await two.destroy();
  });
});
