/** `storage` module option: how the Postgres stores run their SQL. */
export interface StorageOptions {
  /**
   * Run the stores' statements as named prepared statements on the pg Pool. Default true;
   * false behind a PgBouncer in transaction mode older than 1.21 (or with
   * `max_prepared_statements = 0`), which cannot keep named statements.
   */
  preparedStatements?: boolean;
}

/** Problems with a `storage` option, worded like the module's other option errors. */
export function validateStorageOptions(options: StorageOptions | undefined): string[] {
  const preparedStatements = options?.preparedStatements;
  if (preparedStatements !== undefined && typeof preparedStatements !== 'boolean') {
    return ['storage.preparedStatements must be true or false'];
  }
  return [];
}
