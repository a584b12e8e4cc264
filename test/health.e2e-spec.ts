import { McpAuthHealth } from '@app/mcp-auth';
import { openProxiedDatabase, type ProxiedDatabase } from './security/support/proxied-database';
import { describeOnPostgres } from './support/skip';
import { createTestApp, type TestApp } from './support/test-app';

/**
 * The module's health indicator: what a host's `/health` (terminus) reports. Down when the
 * database does not answer or the revocation deny-list falls behind, up again when they recover.
 */
describeOnPostgres('McpAuthHealth', () => {
  let database: ProxiedDatabase;
  let t: TestApp;

  beforeAll(async () => {
    database = await openProxiedDatabase();
    t = await createTestApp({ db: database.db });
  });

  afterAll(async () => {
    await t?.close();
    await database?.close();
  });

  it('is up with the database answering, a signing key loaded and the deny-list listening', async () => {
    await expect(t.app.get(McpAuthHealth).check()).resolves.toEqual({
      'mcp-auth': {
        status: 'up',
        database: 'up',
        signingKey: 'present',
        revocations: 'listening',
      },
    });
  });

  it('names its result as asked, the way terminus keys indicators', async () => {
    const result = await t.app.get(McpAuthHealth).check('auth');
    expect(Object.keys(result)).toEqual(['auth']);
  });

  it('is down, saying why, while the database is cut off, and up again after', async () => {
    const health = t.app.get(McpAuthHealth);
    await database.proxy.cut();
    const down = await health.check();
    expect(down['mcp-auth']).toMatchObject({
      status: 'down',
      database: 'down',
      reason: expect.stringContaining('the database does not answer'),
    });
    // The LISTEN connection is gone too: the deny-list is catching up by polling, not listening.
    expect(down['mcp-auth'].revocations).not.toBe('listening');
    await database.proxy.restore();
    await expect(health.check()).resolves.toMatchObject({
      'mcp-auth': { status: 'up', database: 'up' },
    });
  });

  it('is down when the deny-list has not caught up for three poll intervals', async () => {
    const health = t.app.get(McpAuthHealth);
    await database.proxy.cut();
    const later = Date.now() + 60_000;
    const now = jest.spyOn(Date, 'now').mockReturnValue(later);
    try {
      const stale = await health.check();
      expect(stale['mcp-auth']).toMatchObject({ status: 'down', revocations: 'stale' });
      expect(stale['mcp-auth'].reason).toContain('revocation deny-list has not caught up');
    } finally {
      now.mockRestore();
      await database.proxy.restore();
    }
  });
});
