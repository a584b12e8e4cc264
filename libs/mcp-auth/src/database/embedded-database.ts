import { mkdirSync } from 'node:fs';
import { lockEmbeddedDataDir } from './embedded-database.lock';

/** An open embedded database plus the node-postgres config that TypeORM's driver uses. */
export interface EmbeddedDatabase {
  pglite: { close(): Promise<void> };
  /** node-postgres client options whose `connection` talks to PGlite in-process. */
  pgConfig: object;
  /** Closes PGlite, then releases the data directory's lock. */
  close(): Promise<void>;
}

/**
 * Server settings on top of PGlite's own start parameters (`PGlite.defaultStartParams`).
 *
 * `shared_buffers`: PGlite keeps initdb's 128 MB, and the buffer pool lives in the WASM heap,
 * touched at start, so it was about a third of the app's resident memory (a warm open alone:
 * 290 MiB at 128 MB, 164 MiB at 16 MB). Pages the pool does not hold are read through the
 * process's file system cache, and the module's working set (live codes, tokens, counters) is
 * small. `wal_buffers` follows it (1/32 of it). Command-line settings only: nothing is written
 * into the data directory, so existing directories open as before and back.
 */
export const EMBEDDED_SERVER_SETTINGS: readonly string[] = ['-c', 'shared_buffers=16MB'];

/**
 * Opens PGlite (Postgres compiled to WASM) at `dataDir`, or in memory for `memory://`.
 * Loaded lazily so that hosts on a real Postgres never load the WASM build.
 *
 * A data directory is locked for as long as it is open (see `lockEmbeddedDataDir`): a second
 * process, or a second open in this one, is refused with `EmbeddedDatabaseLockedError`.
 */
export async function openEmbeddedDatabase(dataDir: string): Promise<EmbeddedDatabase> {
  // Sequential on purpose: jest's ESM loader fails on parallel imports sharing chunks.
  const { PGlite } = await import('@electric-sql/pglite');
  const { createPgConfig } = await import('@electric-sql/pglite/node-postgres');
  const inMemory = dataDir.startsWith('memory://');
  if (!inMemory) mkdirSync(dataDir, { recursive: true });
  // An in-memory database belongs to this open alone: nothing to lock.
  const lock = inMemory ? undefined : lockEmbeddedDataDir(dataDir);
  const pglite = await PGlite.create(dataDir, {
    startParams: [...PGlite.defaultStartParams, ...EMBEDDED_SERVER_SETTINGS],
  }).catch((error: unknown) => {
    lock?.release();
    throw error;
  });
  let closing: Promise<void> | undefined;
  return {
    pglite,
    pgConfig: createPgConfig(pglite),
    close: () =>
      (closing ??= (async () => {
        try {
          await pglite.close();
        } finally {
          lock?.release();
        }
      })()),
  };
}
