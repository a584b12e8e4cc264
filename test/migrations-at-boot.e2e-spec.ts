import { MCP_AUTH_ENTITIES } from '@app/mcp-auth';
import { DATABASE_TARGETS, openTestDatabase } from './support/test-database';
import { createTestApp } from './support/test-app';

describe.each(DATABASE_TARGETS)('migrationsRun at boot ($name)', (target) => {
  it('creates the schema on an empty database, also on a pool of one connection', async () => {
    const db = await openTestDatabase(target, { migrate: false, poolSize: 1 });
    try {
      const t = await createTestApp({ db, auth: () => ({ migrationsRun: true }) });
      try {
        const tables = await db.dataSource.query(
          `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name LIKE 'mcp_auth_%'`,
        );
        // One table per entity.
        expect(tables[0].n).toBe(MCP_AUTH_ENTITIES.length);
      } finally {
        // A failed expectation must not leave the app (and its timers) running.
        await t.close();
      }
      // A second boot finds nothing left to do.
      const again = await createTestApp({ db, auth: () => ({ migrationsRun: true }) });
      await again.close();
    } finally {
      await db.close();
    }
  });
});
