/** Anything that runs SQL the way TypeORM's DataSource and EntityManager do. */
export interface SqlRunner {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

/**
 * Runs parameterised SQL and returns its rows. TypeORM's postgres driver answers a bare
 * UPDATE or DELETE with `[rows, rowCount]` but a SELECT (or a CTE) with `rows`; this hides it.
 */
export async function queryRows<Row>(
  runner: SqlRunner,
  sql: string,
  parameters: unknown[] = [],
): Promise<Row[]> {
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
