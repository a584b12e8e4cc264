import { resolve } from 'node:path';
import { describeDataLocation } from './data-location';

const embedded = (embeddedDataDir: string) =>
  describeDataLocation({ databaseUrl: undefined, embeddedDataDir });
const postgres = (databaseUrl: string) =>
  describeDataLocation({ databaseUrl, embeddedDataDir: '.data/pglite' });

describe('describeDataLocation', () => {
  it('names the embedded data directory as an absolute path, or says it is in memory', () => {
    expect(embedded('.data/pglite')).toBe(
      `embedded PostgreSQL (PGlite) in ${resolve('.data/pglite')}`,
    );
    expect(embedded('memory://')).toMatch(/in memory: nothing is kept/);
  });

  it('shows a PostgreSQL URL without its password or query', () => {
    expect(postgres('postgres://postgres@127.0.0.1:5432/mcp_auth')).toBe(
      'PostgreSQL at postgres://postgres@127.0.0.1:5432/mcp_auth',
    );
    expect(postgres('postgresql://user:p%40ss@db:6543/app?sslmode=require&password=x')).toBe(
      'PostgreSQL at postgresql://user@db:6543/app',
    );
    expect(postgres('postgres://:only-a-password@db/app')).toBe('PostgreSQL at postgres://db/app');
  });

  it('never echoes a URL it cannot parse', () => {
    expect(postgres('postgres://user:secret@[bad')).toBe('PostgreSQL at (DATABASE_URL)');
  });
});
