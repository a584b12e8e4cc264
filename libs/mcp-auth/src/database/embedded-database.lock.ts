import { Logger } from '@nestjs/common';
import {
  closeSync,
  openSync,
  readFileSync,
  realpathSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';

/** Name of the lock file inside an embedded data directory. */
export const EMBEDDED_LOCK_FILE = 'mcp-auth.lock';

/**
 * A lock file that cannot be parsed is being written by its creator for a moment at most;
 * older than this, its creator died between creating and writing it.
 */
const HALF_WRITTEN_GRACE_MS = 10_000;

/** What a lock file holds: enough to tell a live owner from a stale one. */
interface LockOwner {
  pid: number;
  hostname: string;
  since: string;
}

/** A held lock on an embedded data directory. */
export interface EmbeddedDatabaseLock {
  /** Absolute path of the lock file. */
  readonly file: string;
  /** Deletes the lock file if it is still ours; idempotent. */
  release(): void;
}

/** Thrown when another process (or this one) already has the data directory open. */
export class EmbeddedDatabaseLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly lockFile: string,
    readonly ownerPid: number | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'EmbeddedDatabaseLockedError';
  }
}

// Lock files this process holds. A lock naming our own pid that is not in here was left by an
// earlier process that had the same pid (a restarted container's pid 1, typically).
const held = new Set<string>();

/**
 * Takes the lock of an embedded (PGlite) data directory, which must exist. PGlite supports one
 * process per data directory: a second one writing the same files corrupts the database.
 *
 * The lock file is created with O_EXCL, so of two processes starting at once exactly one gets
 * it. A lock whose process is gone (same host, pid no longer running) is taken over. A lock
 * from another host (a shared volume) cannot be checked and is honoured.
 */
export function lockEmbeddedDataDir(dataDir: string): EmbeddedDatabaseLock {
  const directory = resolve(dataDir);
  // The real path, so that two spellings of one directory in this process meet in `held`.
  const file = join(realpathSync(directory), EMBEDDED_LOCK_FILE);
  const ours = `${JSON.stringify({
    pid: process.pid,
    hostname: hostname(),
    since: new Date().toISOString(),
  } satisfies LockOwner)}\n`;

  // A few rounds: a stale lock removed here may be re-created by a concurrent starter.
  for (let round = 0; round < 3; round += 1) {
    if (held.has(file)) {
      throw new EmbeddedDatabaseLockedError(
        directory,
        file,
        process.pid,
        `Embedded database ${directory} is already open in this process (pid ${process.pid}); ` +
          'PGlite allows one open per data directory: close the other DataSource first.',
      );
    }
    if (tryCreate(file, ours)) {
      held.add(file);
      return lockHandle(file, ours);
    }

    const existing = readLock(file);
    if (existing === undefined) continue; // released meanwhile
    const stale = staleReason(existing);
    if (stale === undefined) throw lockedBy(directory, file, existing);
    // Remove only the stale lock just read: if it changed meanwhile, someone else took it over.
    if (readLock(file)?.raw === existing.raw) {
      removeQuietly(file);
      new Logger('McpAuthEmbeddedDatabase').warn(
        `Took over the lock of embedded database ${directory} from ${
          existing.owner ? `pid ${existing.owner.pid}` : 'an unreadable lock file'
        } (${stale})`,
      );
    }
  }
  throw new EmbeddedDatabaseLockedError(
    directory,
    file,
    undefined,
    `Embedded database ${directory}: could not take the lock ${file}; another process keeps ` +
      'taking it. Start one process per data directory.',
  );
}

function tryCreate(file: string, content: string): boolean {
  let fd: number;
  try {
    // 'wx' is O_CREAT | O_EXCL: fails when the file exists, atomically.
    fd = openSync(file, 'wx', 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return true;
}

interface ExistingLock {
  raw: string;
  owner: LockOwner | undefined;
  modifiedMs: number;
}

function readLock(file: string): ExistingLock | undefined {
  try {
    const raw = readFileSync(file, 'utf8');
    const modifiedMs = statSync(file).mtimeMs;
    return { raw, owner: parseOwner(raw), modifiedMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function parseOwner(raw: string): LockOwner | undefined {
  try {
    const value = JSON.parse(raw) as Partial<LockOwner> | null;
    if (
      typeof value?.pid === 'number' &&
      Number.isSafeInteger(value.pid) &&
      value.pid > 0 &&
      typeof value.hostname === 'string'
    ) {
      return { pid: value.pid, hostname: value.hostname, since: String(value.since ?? '') };
    }
  } catch {
    // Half-written or not ours: judged by its age below.
  }
  return undefined;
}

/** Why an existing lock may be taken over, or undefined while its owner may still be running. */
function staleReason(lock: ExistingLock): string | undefined {
  const { owner } = lock;
  if (!owner) {
    return Date.now() - lock.modifiedMs > HALF_WRITTEN_GRACE_MS ? 'unreadable' : undefined;
  }
  if (owner.hostname !== hostname()) return undefined;
  if (owner.pid === process.pid) return 'left by an earlier process with this pid';
  return isRunning(owner.pid) ? undefined : 'process gone';
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: existence check only
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lockedBy(
  directory: string,
  file: string,
  lock: ExistingLock,
): EmbeddedDatabaseLockedError {
  const { owner } = lock;
  const who = !owner
    ? 'another process that is creating its lock'
    : owner.hostname === hostname()
      ? `another process (pid ${owner.pid}, since ${owner.since})`
      : `a process on host ${owner.hostname} (pid ${owner.pid}, since ${owner.since})`;
  return new EmbeddedDatabaseLockedError(
    directory,
    file,
    owner?.pid,
    `Embedded database ${directory} is in use by ${who}. PGlite allows one process per data ` +
      'directory; a second one would corrupt it. Stop that process, or give this one another ' +
      `data directory or a PostgreSQL server. If no such process uses it, delete ${file}.`,
  );
}

function lockHandle(file: string, content: string): EmbeddedDatabaseLock {
  // A process that exits without closing the database must not leave its lock behind.
  const onExit = (): void => release();
  process.once('exit', onExit);
  let released = false;
  function release(): void {
    if (released) return;
    released = true;
    process.removeListener('exit', onExit);
    held.delete(file);
    try {
      if (readLock(file)?.raw === content) removeQuietly(file);
    } catch {
      // Best effort: a lock left behind is judged stale by the next opener.
    }
  }
  return { file, release };
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
