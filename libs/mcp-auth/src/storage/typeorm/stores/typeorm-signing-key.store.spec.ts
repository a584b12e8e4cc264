import {
  DATABASE_TARGETS,
  openTestDatabase,
  type TestDatabase,
} from '../../../../../../test/support/test-database';
import { TypeOrmSigningKeyStore } from './typeorm-signing-key.store';

describe.each(DATABASE_TARGETS)('SigningKeyStore contract ($name)', (target) => {
  let db: TestDatabase;
  let store: TypeOrmSigningKeyStore;

  beforeAll(async () => {
    db = await openTestDatabase(target);
    store = new TypeOrmSigningKeyStore(db.dataSource, 'https://as.example.com');
  });
  afterAll(() => db.close());

  const key = (kid: string) => ({
    kid,
    algorithm: 'ES256',
    publicJwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid },
    privateKey: '{"kty":"EC"}',
    retiresAt: null,
    expiresAt: null,
  });

  it('lists usable keys newest first and drops them once expired', async () => {
    await store.create(key('k1'));
    await new Promise((r) => setTimeout(r, 5));
    await store.create(key('k2'));
    expect((await store.listUsable()).map((k) => k.kid)).toEqual(['k2', 'k1']);

    const soon = new Date(Date.now() + 60_000);
    expect(await store.retire('k1', new Date(), soon)).toBe(true);
    const [, k1] = await store.listUsable();
    expect(k1.retiresAt).toBeInstanceOf(Date);
    expect(k1.publicJwk).toEqual(key('k1').publicJwk);

    await db.dataSource.query(
      `UPDATE mcp_auth_signing_keys SET expires_at = now() - interval '1 second' WHERE kid = 'k1'`,
    );
    expect((await store.listUsable()).map((k) => k.kid)).toEqual(['k2']);
    expect(await store.retire('missing', new Date(), soon)).toBe(false);
  });

  it('keys are partitioned by issuer', async () => {
    const other = new TypeOrmSigningKeyStore(db.dataSource, 'https://other.example.com');
    expect(await other.listUsable()).toEqual([]);
  });
});
