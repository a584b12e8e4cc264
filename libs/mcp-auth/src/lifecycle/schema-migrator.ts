import { Logger } from '@nestjs/common';
import { type DataSource, MigrationExecutor } from 'typeorm';
import { MCP_AUTH_MIGRATIONS } from '../storage/typeorm/migrations';

/** Arbitrary constant: the advisory lock that serializes migrations across instances. */
const MIGRATION_LOCK_KEY = 7_214_630_117;

/**
 * Applies the module's migrations to the host DataSource at boot (the `migrationsRun` option).
 * Instances starting together take a Postgres advisory lock, so exactly one applies them and
 * the rest find them done.
 */
export async function runMcpAuthMigrations(dataSource: DataSource): Promise<string[]> {
  const logger = new Logger('McpAuthMigrations');
  // TypeORM runs the migrations registered on the DataSource; add ours if the host did not.
  const registered = dataSource.migrations;
  const known = new Set(registered.map((m) => m.name ?? m.constructor.name));
  for (const Migration of MCP_AUTH_MIGRATIONS) {
    if (!known.has(Migration.name)) registered.push(new Migration());
  }
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      // On the runner that holds the lock: the embedded database has one connection only.
      const executor = new MigrationExecutor(dataSource, runner);
      executor.transaction = 'each';
      const applied = await executor.executePendingMigrations();
      // One line however many there are: a first start applies them all.
      if (applied.length) {
        const names = applied.map((migration) => migration.name).join(', ');
        logger.log(`applied ${applied.length} migration(s): ${names}`);
      }
      return applied.map((migration) => migration.name);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}
