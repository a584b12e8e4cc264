import { randomBytes } from 'node:crypto';
import {
  DATABASE_TARGETS,
  openTestDatabase,
  type TestDatabase,
} from '../../../../../../test/support/test-database';
import type { CodeBinding, NewAuthorizationCode } from '../../authorization-code-store.interface';
import { TypeOrmAuthorizationCodeStore } from './typeorm-authorization-code.store';
import { TypeOrmGrantStore } from './typeorm-grant.store';

const ISSUER = 'https://as.example.com';
/** What a correct token request claims about the codes this suite creates. */
const BINDING: CodeBinding = {
  clientId: 'client-1',
  codeChallenge: 'x'.repeat(43),
  redirectUri: 'http://127.0.0.1/callback',
  resource: undefined,
};

describe.each(DATABASE_TARGETS)('AuthorizationCodeStore contract ($name)', (target) => {
  let db: TestDatabase;
  let codes: TypeOrmAuthorizationCodeStore;
  let grants: TypeOrmGrantStore;

  beforeAll(async () => {
    db = await openTestDatabase(target);
    codes = new TypeOrmAuthorizationCodeStore(db.dataSource, ISSUER);
    grants = new TypeOrmGrantStore(db.dataSource, ISSUER);
  });
  afterAll(() => db.close());

  async function newCode(overrides: Partial<NewAuthorizationCode> = {}): Promise<string> {
    const grant = await grants.createGrant({
      clientId: 'client-1',
      subject: 'alice',
      scopes: ['mcp:tools'],
      resource: 'https://as.example.com/mcp',
      expiresAt: new Date(Date.now() + 60_000),
    });
    const codeHash = randomBytes(32).toString('base64url');
    await codes.create({
      codeHash,
      grantId: grant.id,
      clientId: 'client-1',
      subject: 'alice',
      redirectUri: 'http://127.0.0.1/callback',
      redirectUriProvided: true,
      scopes: ['mcp:tools'],
      resource: 'https://as.example.com/mcp',
      codeChallenge: 'x'.repeat(43),
      codeChallengeMethod: 'S256',
      expiresAt: new Date(Date.now() + 60_000),
      ...overrides,
    });
    return codeHash;
  }

  it('AS-19: a code is consumed once and returns everything it is bound to', async () => {
    const hash = await newCode();
    const first = await codes.consume(hash, BINDING);
    expect(first).toMatchObject({
      status: 'consumed',
      code: {
        clientId: 'client-1',
        subject: 'alice',
        redirectUri: 'http://127.0.0.1/callback',
        scopes: ['mcp:tools'],
        resource: 'https://as.example.com/mcp',
        codeChallengeMethod: 'S256',
      },
    });
    const second = await codes.consume(hash, BINDING);
    expect(second).toEqual({
      status: 'replayed',
      grantId: first.status === 'consumed' ? first.code.grantId : '',
      clientId: 'client-1',
    });
  });

  it('AS-19: 20 concurrent consumers of one code, exactly one wins and the rest see a replay', async () => {
    const hash = await newCode();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => codes.consume(hash, BINDING)),
    );
    expect(results.filter((r) => r.status === 'consumed')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'replayed')).toHaveLength(19);
  });

  it('respects expiry at the database clock, not the caller clock', async () => {
    // Written as expired relative to the database's now(), whatever this process's clock says.
    const hash = await newCode();
    await db.dataSource.query(
      `UPDATE mcp_auth_authorization_codes SET expires_at = now() - interval '1 second'
       WHERE code_hash = $1`,
      [hash],
    );
    expect(await codes.consume(hash, BINDING)).toEqual({ status: 'expired' });
    // An expired code is not marked used: a later attempt is still "expired", not a replay.
    expect(await codes.consume(hash, BINDING)).toEqual({ status: 'expired' });
  });

  it('an unknown code is not_found and changes nothing', async () => {
    const before = await db.dataSource.query(
      `SELECT count(*)::int AS n FROM mcp_auth_authorization_codes WHERE consumed_at IS NOT NULL`,
    );
    expect(await codes.consume('no-such-code', BINDING)).toEqual({ status: 'not_found' });
    const after = await db.dataSource.query(
      `SELECT count(*)::int AS n FROM mcp_auth_authorization_codes WHERE consumed_at IS NOT NULL`,
    );
    expect(after).toEqual(before);
  });

  it.each([
    ['another client', { clientId: 'client-2' }],
    ['another PKCE challenge', { codeChallenge: 'y'.repeat(43) }],
    ['no redirect_uri although the request had one', { redirectUri: undefined }],
    ['another redirect_uri', { redirectUri: 'http://127.0.0.1/other' }],
    ['another resource', { resource: 'https://as.example.com/other' }],
  ])('AS-19: %s is a mismatch that leaves the code usable', async (_label, wrong) => {
    const hash = await newCode();
    const refused = await codes.consume(hash, { ...BINDING, ...wrong });
    expect(refused).toMatchObject({ status: 'mismatch', code: { clientId: 'client-1' } });
    expect((await codes.consume(hash, BINDING)).status).toBe('consumed');
  });

  it('AS-19: redirect_uri may be omitted when the authorization request omitted it', async () => {
    const hash = await newCode({ redirectUriProvided: false });
    expect((await codes.consume(hash, { ...BINDING, redirectUri: undefined })).status).toBe(
      'consumed',
    );
    const other = await newCode({ redirectUriProvided: false });
    expect(
      (await codes.consume(other, { ...BINDING, redirectUri: 'http://127.0.0.1/x' })).status,
    ).toBe('mismatch');
  });

  it('codes are partitioned by issuer', async () => {
    const hash = await newCode();
    const other = new TypeOrmAuthorizationCodeStore(db.dataSource, 'https://other.example.com');
    expect(await other.consume(hash, BINDING)).toEqual({ status: 'not_found' });
    expect((await codes.consume(hash, BINDING)).status).toBe('consumed');
  });

  it('stores only the hash of a code', async () => {
    const hash = await newCode();
    const rows = await db.dataSource.query(
      `SELECT * FROM mcp_auth_authorization_codes WHERE code_hash = $1`,
      [hash],
    );
    expect(Object.keys(rows[0])).not.toContain('code');
  });
});
