import { createHash } from 'node:crypto';

/** Anything that runs SQL the way TypeORM's DataSource and EntityManager do. */
export interface SqlRunner {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

/** node-postgres' Pool (TypeORM's `driver.master` for the postgres driver), as used here. */
interface PgPool {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

/** How the stores run their SQL (the module's `storage` option). */
export interface SqlOptions {
  /**
   * Named prepared statements straight on the pg Pool. Default true; turn off behind a
   * PgBouncer in transaction mode older than 1.21 (or with `max_prepared_statements = 0`),
   * which cannot keep named statements.
   */
  preparedStatements?: boolean;
}

/**
 * What a store passes to {@link queryRows}: the DataSource itself, or, with prepared statements
 * off, a wrapper that {@link queryRows} does not recognize as a DataSource, so TypeORM runs
 * every statement.
 */
export function sqlRunner(dataSource: SqlRunner, options: SqlOptions = {}): SqlRunner {
  if (options.preparedStatements !== false) return dataSource;
  return { query: (sql, parameters) => dataSource.query(sql, parameters) };
}

const names = new Map<string, string>();

/** A stable name per SQL text: the stores' statements are a small fixed set. */
function statementName(sql: string): string {
  let name = names.get(sql);
  if (name === undefined) {
    name = `mcp_auth_${createHash('sha256').update(sql).digest('base64url').slice(0, 22)}`;
    names.set(sql, name);
  }
  return name;
}

/** The pg Pool behind an initialized TypeORM DataSource; undefined for anything else. */
function poolOf(runner: SqlRunner): PgPool | undefined {
  const source = runner as { isInitialized?: unknown; driver?: { master?: unknown } };
  if (source.isInitialized !== true) return undefined;
  const pool = source.driver?.master as Partial<PgPool> | undefined;
  return typeof pool?.query === 'function' ? (pool as PgPool) : undefined;
}

/**
 * Runs parameterised SQL and returns its rows.
 *
 * On a DataSource (not inside a transaction) the statement goes straight to node-postgres as a
 * named prepared statement: Postgres parses and plans it once per connection instead of on
 * every call, and TypeORM's per-query runner is skipped. On the token endpoint that halved the
 * database's CPU per grant (see bench/README.md). Errors are then node-postgres' own
 * (`DatabaseError`), not TypeORM's `QueryFailedError`, and TypeORM's query logging does not
 * see these statements.
 *
 * Otherwise (an EntityManager in a transaction) TypeORM runs it: its postgres driver answers
 * a bare UPDATE or DELETE with `[rows, rowCount]` but a SELECT (or a CTE) with `rows`; this
 * hides the difference.
 */
export async function queryRows<Row>(
  runner: SqlRunner,
  sql: string,
  parameters: unknown[] = [],
): Promise<Row[]> {
  const pool = poolOf(runner);
  if (pool) {
    const result = await pool.query({ name: statementName(sql), text: sql, values: parameters });
    return result.rows as Row[];
  }
  const result = await runner.query(sql, parameters);
  if (
    Array.isArray(result) &&
    result.length === 2 &&
    Array.isArray(result[0]) &&
    typeof result[1] === 'number'
  ) {
    return result[0] as Row[];
  }
  return result as Row[];
}
