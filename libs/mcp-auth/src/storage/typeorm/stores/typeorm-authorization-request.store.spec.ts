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

  async function newRequest(
    overrides: { browserBindingHash?: string; prompt?: ('none' | 'login' | 'consent')[] } = {},
  ): Promise<string> {
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
      prompt: overrides.prompt ?? [],
      browserBindingHash: overrides.browserBindingHash ?? 'binding',
      expiresAt: new Date(Date.now() + 60_000),
    });
    return idHash;
  }
  const rotation = (current = 'binding') => ({
    current,
    next: randomBytes(32).toString('base64url'),
  });

  it('finds an active request and records the signed-in subject', async () => {
    const idHash = await newRequest();
    expect(await store.findActive(idHash)).toMatchObject({
      clientId: 'client-1',
      redirectUriProvided: false,
      state: '<script>alert(1)</script>',
      prompt: [],
      subject: null,
      subjectDisplayName: null,
    });
    expect(
      await store.recordSignIn(idHash, { subject: 'alice', displayName: 'Alice' }, rotation()),
    ).toBe(true);
    expect(await store.findActive(idHash)).toMatchObject({
      subject: 'alice',
      subjectDisplayName: 'Alice',
    });
  });

  it('keeps the prompt values the client sent', async () => {
    const idHash = await newRequest({ prompt: ['login', 'consent'] });
    expect((await store.findActive(idHash))?.prompt).toEqual(['login', 'consent']);
  });

  it('sign-in moves every pending request of the browser to the new binding, in one statement', async () => {
    const browser = randomBytes(32).toString('base64url');
    const signedIn = await newRequest({ browserBindingHash: browser });
    const otherTab = await newRequest({ browserBindingHash: browser });
    const otherBrowser = await newRequest({ browserBindingHash: 'someone-else' });
    const next = rotation(browser);
    expect(await store.recordSignIn(signedIn, { subject: 'alice', displayName: null }, next)).toBe(
      true,
    );
    expect(await store.findActive(signedIn)).toMatchObject({
      browserBindingHash: next.next,
      subject: 'alice',
    });
    // The other tab follows the browser's new cookie but nobody signed in there yet.
    expect(await store.findActive(otherTab)).toMatchObject({
      browserBindingHash: next.next,
      subject: null,
      subjectDisplayName: null,
    });
    expect((await store.findActive(otherBrowser))?.browserBindingHash).toBe('someone-else');
  });

  it('a sign-in presenting another binding changes nothing', async () => {
    const idHash = await newRequest();
    expect(
      await store.recordSignIn(
        idHash,
        { subject: 'mallory', displayName: null },
        rotation('attacker'),
      ),
    ).toBe(false);
    expect(await store.findActive(idHash)).toMatchObject({
      browserBindingHash: 'binding',
      subject: null,
    });
  });

  it('findConsumed tells an answered request from a pending or unknown one, even after expiry', async () => {
    const idHash = await newRequest();
    expect(await store.findConsumed(idHash)).toBeNull();
    expect(await store.findConsumed(randomBytes(32).toString('base64url'))).toBeNull();
    await store.consume(idHash);
    expect(await store.findConsumed(idHash)).toMatchObject({ browserBindingHash: 'binding' });
    await db.dataSource.query(
      `UPDATE mcp_auth_authorization_requests SET expires_at = now() - interval '1 second'
       WHERE id_hash = $1`,
      [idHash],
    );
    expect(await store.findConsumed(idHash)).not.toBeNull();
    const other = new TypeOrmAuthorizationRequestStore(db.dataSource, 'https://other.example.com');
    expect(await other.findConsumed(idHash)).toBeNull();
  });

  it('20 concurrent completions of one interaction: exactly one wins', async () => {
    const idHash = await newRequest();
    const results = await Promise.all(Array.from({ length: 20 }, () => store.consume(idHash)));
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    expect(await store.findActive(idHash)).toBeNull();
    expect(
      await store.recordSignIn(idHash, { subject: 'mallory', displayName: null }, rotation()),
    ).toBe(false);
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
