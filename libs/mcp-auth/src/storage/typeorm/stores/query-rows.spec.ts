import { queryRows, sqlRunner, type SqlRunner } from './query-rows';

/** Looks like an initialized postgres DataSource: `driver.master` is the pg Pool. */
function fakeDataSource() {
  const pool = { query: jest.fn(async () => ({ rows: [{ via: 'pool' }] })) };
  const dataSource = {
    isInitialized: true,
    driver: { master: pool },
    query: jest.fn(async () => [{ via: 'typeorm' }]),
  };
  return { pool, dataSource: dataSource as SqlRunner & typeof dataSource };
}

describe('queryRows and the storage.preparedStatements option', () => {
  it('runs a named prepared statement on the pool by default', async () => {
    const { pool, dataSource } = fakeDataSource();
    const runner = sqlRunner(dataSource);
    expect(runner).toBe(dataSource);
    await expect(queryRows(runner, 'SELECT $1', [1])).resolves.toEqual([{ via: 'pool' }]);
    expect(pool.query).toHaveBeenCalledWith(
      expect.objectContaining({ name: expect.stringMatching(/^mcp_auth_/), text: 'SELECT $1' }),
    );
    expect(dataSource.query).not.toHaveBeenCalled();
  });

  it('lets TypeORM run every statement when turned off', async () => {
    const { pool, dataSource } = fakeDataSource();
    const runner = sqlRunner(dataSource, { preparedStatements: false });
    await expect(queryRows(runner, 'SELECT $1', [1])).resolves.toEqual([{ via: 'typeorm' }]);
    expect(dataSource.query).toHaveBeenCalledWith('SELECT $1', [1]);
    expect(pool.query).not.toHaveBeenCalled();
  });
});
