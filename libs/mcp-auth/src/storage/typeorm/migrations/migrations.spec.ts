import { DATABASE_TARGETS, openTestDatabase } from '../../../../../../test/support/test-database';
import { MCP_AUTH_MIGRATIONS } from '.';

/**
 * The schema check CI relies on: after the hand-written migrations run on an empty database,
 * TypeORM must find nothing to change to reach the entities (what `migration:generate --check`
 * does). Any drift between entities and migrations fails here with the SQL that is missing.
 */
describe.each(DATABASE_TARGETS)('migrations ($name)', (target) => {
  it('produce exactly the schema the entities describe', async () => {
    const db = await openTestDatabase(target);
    try {
      const pending = await db.dataSource.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).toEqual([]);
      const tables: { table_name: string }[] = await db.dataSource.query(
        `SELECT table_name FROM information_schema.tables
         WHERE table_schema = 'public' AND table_name LIKE 'mcp_auth_%' ORDER BY 1`,
      );
      expect(tables.map((t) => t.table_name)).toEqual([
        'mcp_auth_authorization_codes',
        'mcp_auth_authorization_requests',
        'mcp_auth_clients',
        'mcp_auth_consents',
        'mcp_auth_federation_states',
        'mcp_auth_grants',
        'mcp_auth_rate_limits',
        'mcp_auth_refresh_tokens',
        'mcp_auth_revoked_access_tokens',
        'mcp_auth_signing_keys',
        'mcp_auth_upstream_tokens',
        'mcp_auth_used_jtis',
      ]);
      // Counters skip the WAL (see the migration); the entities cannot say so.
      const unlogged: { relname: string }[] = await db.dataSource.query(
        `SELECT relname FROM pg_class WHERE relname LIKE 'mcp_auth_%' AND relkind = 'r'
           AND relpersistence = 'u' ORDER BY 1`,
      );
      expect(unlogged.map((t) => t.relname)).toEqual(['mcp_auth_rate_limits']);
    } finally {
      await db.close();
    }
  });

  it('can be reverted completely', async () => {
    const db = await openTestDatabase(target);
    try {
      for (let left = MCP_AUTH_MIGRATIONS.length; left > 0; left--) {
        await db.dataSource.undoLastMigration();
      }
      const tables: unknown[] = await db.dataSource.query(
        `SELECT 1 FROM information_schema.tables WHERE table_name LIKE 'mcp_auth_%'`,
      );
      expect(tables).toEqual([]);
    } finally {
      await db.close();
    }
  });
});
