import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEmbeddedDatabase } from './embedded-database';

// A cold PGlite start runs initdb in WASM: tens of seconds on a busy machine.
jest.setTimeout(180_000);

let scratch: string;
beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'mcp-auth-embedded-'));
});
afterEach(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('openEmbeddedDatabase', () => {
  it('starts with the small buffer pool, on the command line only', async () => {
    const db = await openEmbeddedDatabase('memory://');
    try {
      const pglite = db.pglite as unknown as {
        query<T>(sql: string): Promise<{ rows: T[] }>;
      };
      const { rows } = await pglite.query<{ shared_buffers: string }>('SHOW shared_buffers');
      expect(rows[0].shared_buffers).toBe('16MB');
    } finally {
      await db.close();
    }
  });

  it('opens a data directory created with PGlite’s own defaults, and it stays readable by them', async () => {
    const { PGlite } = await import('@electric-sql/pglite');
    const dataDir = join(scratch, 'data');
    const older = await PGlite.create(dataDir);
    await older.exec(`CREATE TABLE kept (v text); INSERT INTO kept VALUES ('before')`);
    await older.close();

    const db = await openEmbeddedDatabase(dataDir);
    const pglite = db.pglite as unknown as {
      query<T>(sql: string): Promise<{ rows: T[] }>;
    };
    expect((await pglite.query<{ v: string }>('SELECT v FROM kept')).rows).toEqual([
      { v: 'before' },
    ]);
    await pglite.query(`INSERT INTO kept VALUES ('after')`);
    await db.close();

    const again = await PGlite.create(dataDir);
    expect((await again.query<{ v: string }>('SELECT v FROM kept ORDER BY v')).rows).toEqual([
      { v: 'after' },
      { v: 'before' },
    ]);
    await again.close();
  });
});
