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
  const pglite = await PGlite.create(dataDir).catch((error: unknown) => {
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
