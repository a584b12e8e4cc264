import { mkdirSync } from 'node:fs';

/** An open embedded database plus the node-postgres config that TypeORM's driver uses. */
export interface EmbeddedDatabase {
  pglite: { close(): Promise<void> };
  /** node-postgres client options whose `connection` talks to PGlite in-process. */
  pgConfig: object;
}

/**
 * Opens PGlite (Postgres compiled to WASM) at `dataDir`, or in memory for `memory://`.
 * Loaded lazily so that hosts on a real Postgres never load the WASM build.
 */
export async function openEmbeddedDatabase(dataDir: string): Promise<EmbeddedDatabase> {
  // Sequential on purpose: jest's ESM loader fails on parallel imports sharing chunks.
  const { PGlite } = await import('@electric-sql/pglite');
  const { createPgConfig } = await import('@electric-sql/pglite/node-postgres');
  if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
  const pglite = await PGlite.create(dataDir);
  return { pglite, pgConfig: createPgConfig(pglite) };
}
