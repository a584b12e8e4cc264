import { DataSource, type DataSourceOptions } from 'typeorm';
import { openEmbeddedDatabase } from './embedded-database';

export { EmbeddedDatabaseLockedError } from './embedded-database.lock';

/** Where the database is: a Postgres URL, or an embedded PGlite directory. */
export interface DatabaseLocation {
  /** `postgres://…`. When absent the embedded database is used. */
  url?: string;
  /** PGlite data directory (or `memory://`) used when `url` is absent. Default `.data/pglite`. */
  embeddedDataDir?: string;
  /** Pool size for a real Postgres. Default 10. */
  poolSize?: number;
}

export const DEFAULT_EMBEDDED_DATA_DIR = '.data/pglite';

/** Postgres options shared by both kinds of database. */
export type PostgresDataSourceOptions = Omit<
  Extract<DataSourceOptions, { type: 'postgres' }>,
  'type' | 'url' | 'host' | 'port' | 'username' | 'password' | 'database' | 'extra'
>;

/**
 * A DataSource whose `destroy()` also closes the embedded database it owns, so that
 * `app.close()` (TypeOrmModule's shutdown hook) leaves no handle open.
 */
class EmbeddedDataSource extends DataSource {
  constructor(
    options: DataSourceOptions,
    private readonly closeEmbedded: () => Promise<void>,
  ) {
    super(options);
  }

  /**
   * A failed initialization closes the embedded database (and releases its lock): callers
   * such as TypeOrmModule retry by creating a new DataSource on the same data directory.
   */
  override async initialize(): Promise<this> {
    try {
      return await super.initialize();
    } catch (error) {
      await this.closeEmbedded().catch(() => undefined);
      throw error;
    }
  }

  override async destroy(): Promise<void> {
    try {
      if (this.isInitialized) await super.destroy();
    } finally {
      await this.closeEmbedded();
    }
  }
}

/**
 * Creates (not yet initialized) a DataSource for a real Postgres when `location.url` is set,
 * otherwise for the embedded PGlite database with a pool of one connection, which is what
 * serializes concurrent transactions correctly on PGlite's single session.
 *
 * An embedded data directory is locked while open: PGlite supports one process per directory,
 * so a second opener gets `EmbeddedDatabaseLockedError` naming the directory and the other
 * process. `memory://` is never locked.
 * @publicApi
 */
export async function createPostgresDataSource(
  location: DatabaseLocation,
  options: PostgresDataSourceOptions,
): Promise<DataSource> {
  if (location.url) {
    return new DataSource({
      ...options,
      type: 'postgres',
      url: location.url,
      extra: { max: location.poolSize ?? 10 },
    });
  }
  const embedded = await openEmbeddedDatabase(
    location.embeddedDataDir ?? DEFAULT_EMBEDDED_DATA_DIR,
  );
  return new EmbeddedDataSource(
    {
      ...options,
      type: 'postgres',
      // The PGlite adapter implements node-postgres' connection; TypeORM passes `extra` to the Pool.
      extra: { ...embedded.pgConfig, max: 1 },
    },
    () => embedded.close(),
  );
}
