import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { createPostgresDataSource, MCP_AUTH_ENTITIES, MCP_AUTH_MIGRATIONS } from '@app/mcp-auth';

/** A database the tests can run against: the real Postgres of DATABASE_URL, or PGlite. */
export interface DatabaseTarget {
  name: 'postgres' | 'embedded';
}

/** Every database kind available here: always the embedded one, Postgres when configured. */
export const DATABASE_TARGETS: DatabaseTarget[] = [
  { name: 'embedded' },
  ...(process.env.DATABASE_URL ? [{ name: 'postgres' as const }] : []),
];

export interface TestDatabase {
  dataSource: DataSource;
  /** URL of the fresh Postgres database, or undefined for the embedded one. */
  url: string | undefined;
  close(): Promise<void>;
}

/**
 * A fresh, empty database of the given kind: on Postgres a new database on the DATABASE_URL
 * server (dropped on close), embedded an in-memory PGlite. Migrations are applied unless
 * `migrate` is false.
 */
export async function openTestDatabase(
  target: DatabaseTarget,
  { migrate = true, poolSize = 10 }: { migrate?: boolean; poolSize?: number } = {},
): Promise<TestDatabase> {
  const url = target.name === 'postgres' ? await createScratchDatabase() : undefined;
  const dataSource = await createPostgresDataSource(
    { url: url?.toString(), embeddedDataDir: 'memory://', poolSize },
    {
      entities: [...MCP_AUTH_ENTITIES],
      migrations: [...MCP_AUTH_MIGRATIONS],
      migrationsRun: migrate,
    },
  );
  await dataSource.initialize();
  return {
    dataSource,
    url: url?.toString(),
    close: async () => {
      await dataSource.destroy();
      if (url) await dropScratchDatabase(url);
    },
  };
}

function adminUrl(): URL {
  const url = new URL(process.env.DATABASE_URL as string);
  url.pathname = '/postgres';
  return url;
}

async function createScratchDatabase(): Promise<URL> {
  const name = `mcp_auth_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl().toString() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(process.env.DATABASE_URL as string);
  url.pathname = `/${name}`;
  return url;
}

async function dropScratchDatabase(url: URL): Promise<void> {
  const admin = new Client({ connectionString: adminUrl().toString() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${url.pathname.slice(1)}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
