import {
  DATABASE_TARGETS,
  openTestDatabase,
  type TestDatabase,
} from '../../../../../../test/support/test-database';
import { TypeOrmGrantStore } from './typeorm-grant.store';

const ISSUER = 'https://bulk.example.com';

describe.each(DATABASE_TARGETS)('GrantStore.revokeGrantsWhere ($name)', (target) => {
  let db: TestDatabase;
  let store: TypeOrmGrantStore;

  beforeAll(async () => {
    db = await openTestDatabase(target);
    store = new TypeOrmGrantStore(db.dataSource, ISSUER);
  });
  afterAll(() => db.close());

  const grant = (clientId: string, subject: string, issuer = ISSUER) =>
    new TypeOrmGrantStore(db.dataSource, issuer).createGrant({
      clientId,
      subject,
      scopes: ['mcp:tools'],
      resource: `${ISSUER}/mcp`,
      expiresAt: new Date(Date.now() + 60_000),
    });

  it('revokes the live grants matching every member given, once, and only this issuer’s', async () => {
    const a1 = await grant('app-a', 'alice');
    const a2 = await grant('app-b', 'alice');
    const b1 = await grant('app-a', 'bob');
    const foreign = await grant('app-a', 'alice', 'https://other.example.com');

    const both = await store.revokeGrantsWhere(
      { subject: 'alice', clientId: 'app-a' },
      'revoked_by_administrator',
    );
    expect(both.map((g) => g.id)).toEqual([a1.id]);
    expect(both[0]).toMatchObject({ revokedReason: 'revoked_by_administrator' });

    const bySubject = await store.revokeGrantsWhere(
      { subject: 'alice' },
      'revoked_by_administrator',
    );
    expect(bySubject.map((g) => g.id)).toEqual([a2.id]);

    const byClient = await store.revokeGrantsWhere(
      { clientId: 'app-a' },
      'revoked_by_administrator',
    );
    expect(byClient.map((g) => g.id)).toEqual([b1.id]);

    expect(
      await store.revokeGrantsWhere({ clientId: 'app-a' }, 'revoked_by_administrator'),
    ).toEqual([]);
    expect((await store.findGrant(foreign.id))?.revokedAt ?? null).toBeNull();
    const revocations = await store.listRevocationsSince(new Date(Date.now() - 60_000));
    expect(revocations.map((r) => r.id)).toEqual(expect.arrayContaining([a1.id, a2.id, b1.id]));
  });

  it('leaves expired grants as they are (nothing is left to end)', async () => {
    const expired = await store.createGrant({
      clientId: 'app-old',
      subject: 'frank',
      scopes: [],
      resource: `${ISSUER}/mcp`,
      expiresAt: new Date(Date.now() - 1000),
    });
    const live = await grant('app-old', 'frank');
    const revoked = await store.revokeGrantsWhere({ subject: 'frank' }, 'revoked_by_administrator');
    expect(revoked.map((g) => g.id)).toEqual([live.id]);
    expect((await store.findGrant(expired.id))?.revokedAt).toBeNull();
    expect(
      await store.revokeGrantsWhere({ grantId: expired.id }, 'revoked_by_administrator'),
    ).toEqual([]);
  });

  it('revokes one grant by id, also with the other members; a malformed id matches nothing', async () => {
    const g = await grant('app-one', 'gina');
    expect(
      await store.revokeGrantsWhere(
        { grantId: g.id, subject: 'someone-else' },
        'revoked_by_administrator',
      ),
    ).toEqual([]);
    const revoked = await store.revokeGrantsWhere(
      { grantId: g.id, clientId: 'app-one' },
      'revoked_by_administrator',
    );
    expect(revoked.map((r) => r.id)).toEqual([g.id]);
    expect(
      await store.revokeGrantsWhere({ grantId: 'not-a-uuid' }, 'revoked_by_administrator'),
    ).toEqual([]);
  });

  it('refuses to revoke everything when no member is given', async () => {
    await expect(store.revokeGrantsWhere({}, 'revoked_by_administrator')).rejects.toThrow();
  });

  it('treats SQL metacharacters as data', async () => {
    const g = await grant("x'; DROP TABLE mcp_auth_grants;--", 'eve');
    const revoked = await store.revokeGrantsWhere(
      { clientId: "x'; DROP TABLE mcp_auth_grants;--" },
      'revoked_by_administrator',
    );
    expect(revoked.map((r) => r.id)).toEqual([g.id]);
  });
});
