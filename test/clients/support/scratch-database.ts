import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/**
 * A database for one app under test: a fresh, empty database on the DATABASE_URL server
 * (created here, dropped on `drop()`, as test/support/test-database.ts does), or nothing when
 * DATABASE_URL is unset, so the app runs on the embedded database in memory.
 */
export interface ScratchDatabase {
  /** `postgres://…/mcp_auth_clients_…`, or undefined for the embedded database. */
  url: string | undefined;
  drop(): Promise<void>;
}

function serverUrl(database: string): string {
  const url = new URL(process.env.DATABASE_URL as string);
  url.pathname = `/${database}`;
  return url.toString();
}

async function admin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: serverUrl('postgres') });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function createScratchDatabase(): Promise<ScratchDatabase> {
  if (!process.env.DATABASE_URL?.trim()) {
    return { url: undefined, drop: async () => undefined };
  }
  const name = `mcp_auth_clients_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE "${name}"`));
  return {
    url: serverUrl(name),
    drop: async () => {
      await admin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}
