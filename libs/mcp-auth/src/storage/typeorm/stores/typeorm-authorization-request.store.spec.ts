import { randomBytes } from 'node:crypto';
import {
  DATABASE_TARGETS,
  openTestDatabase,
  type TestDatabase,
} from '../../../../../../test/support/test-database';
import { TypeOrmAuthorizationRequestStore } from './typeorm-authorization-request.store';

const ISSUER = 'https://as.example.com';

describe.each(DATABASE_TARGETS)('AuthorizationRequestStore contract ($name)', (target) => {
  let db: TestDatabase;
  let store: TypeOrmAuthorizationRequestStore;

  beforeAll(async () => {
    db = await openTestDatabase(target);
    store = new TypeOrmAuthorizationRequestStore(db.dataSource, ISSUER);
  });
  afterAll(() => db.close());

  async function newRequest(): Promise<string> {
    const idHash = randomBytes(32).toString('base64url');
    await store.create({
      idHash,
      clientId: 'client-1',
      redirectUri: 'http://127.0.0.1:4321/callback',
      redirectUriProvided: false,
      scopes: ['mcp:tools'],
      resource: 'https://as.example.com/mcp',
      state: '<script>alert(1)</script>',
      codeChallenge: 'c'.repeat(43),
      codeChallengeMethod: 'S256',
      browserBindingHash: 'binding',
      expiresAt: new Date(Date.now() + 60_000),
    });
    return idHash;
  }

  it('finds an active request and records the signed-in subject', async () => {
    const idHash = await newRequest();
    expect(await store.findActive(idHash)).toMatchObject({
      clientId: 'client-1',
      redirectUriProvided: false,
      state: '<script>alert(1)</script>',
      subject: null,
    });
    expect(await store.setSubject(idHash, 'alice')).toBe(true);
    expect((await store.findActive(idHash))?.subject).toBe('alice');
  });

  it('20 concurrent completions of one interaction: exactly one wins', async () => {
    const idHash = await newRequest();
    const results = await Promise.all(Array.from({ length: 20 }, () => store.consume(idHash)));
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    expect(await store.findActive(idHash)).toBeNull();
    expect(await store.setSubject(idHash, 'mallory')).toBe(false);
  });

  it('respects expiry at the database clock', async () => {
    const idHash = await newRequest();
    await db.dataSource.query(
      `UPDATE mcp_auth_authorization_requests SET expires_at = now() - interval '1 second'
       WHERE id_hash = $1`,
      [idHash],
    );
    expect(await store.findActive(idHash)).toBeNull();
    expect(await store.consume(idHash)).toBeNull();
  });

  it('requests are partitioned by issuer', async () => {
    const idHash = await newRequest();
    const other = new TypeOrmAuthorizationRequestStore(db.dataSource, 'https://other.example.com');
    expect(await other.findActive(idHash)).toBeNull();
    expect(await other.consume(idHash)).toBeNull();
    expect(await store.consume(idHash)).not.toBeNull();
  });
});
