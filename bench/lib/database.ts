import { Client } from 'pg';

/**
 * The Postgres server the benchmark uses: `DATABASE_URL` (its database is only used to connect;
 * the benchmark creates and drops its own scratch databases there, so the user needs CREATEDB),
 * else the local server.
 */
export const SERVER_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** URL of database `name` on the same server. */
export function databaseUrl(name: string): string {
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withAdmin<T>(task: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: SERVER_URL });
  await client.connect();
  try {
    return await task(client);
  } finally {
    await client.end();
  }
}

/** Drops (if present) and creates an empty scratch database; returns its URL. */
export async function freshDatabase(name: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
  await withAdmin(async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${name}`);
  });
  return databaseUrl(name);
}

export async function dropDatabase(name: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
  await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

/** The server's version string, for the report. */
export function serverVersion(): Promise<string> {
  return withAdmin(async (client) => {
    const { rows } = await client.query<{ server_version: string }>(`SHOW server_version`);
    return rows[0].server_version;
  });
}

/** Process ids of the server backends connected to database `name` (same machine only). */
export function backendPids(name: string): Promise<number[]> {
  return withAdmin(async (client) => {
    const { rows } = await client.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = $1`,
      [name],
    );
    return rows.map((row) => row.pid);
  });
}

/** Transactions committed or rolled back in database `name` so far (pg_stat_database). */
export function transactionCount(name: string): Promise<number> {
  return withAdmin(async (client) => {
    // Pending statistics of other backends are flushed at least once a second.
    const { rows } = await client.query<{ n: string }>(
      `SELECT (xact_commit + xact_rollback)::text AS n FROM pg_stat_database WHERE datname = $1`,
      [name],
    );
    return Number(rows[0]?.n ?? Number.NaN);
  });
}
