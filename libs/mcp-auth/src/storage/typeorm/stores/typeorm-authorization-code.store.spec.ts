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

  describe('with the first refresh token (one round trip per code exchange)', () => {
    const refresh = (expiresAt = new Date(Date.now() + 3_600_000)) => ({
      tokenHash: randomBytes(32).toString('base64url'),
      expiresAt,
    });
    const familyOf = (hash: string) =>
      db.dataSource.query<
        {
          token_hash: string | null;
          client_id: string | null;
          scopes: string[] | null;
          resource: string | null;
          expires_at: Date | null;
          grant_expires_at: Date;
          last_used_at: Date | null;
        }[]
      >(
        `SELECT rt.token_hash, rt.client_id, rt.scopes, rt.resource, rt.expires_at,
                g.expires_at AS grant_expires_at, g.last_used_at
         FROM mcp_auth_authorization_codes c
         JOIN mcp_auth_grants g ON g.id = c.grant_id
         LEFT JOIN mcp_auth_refresh_tokens rt ON rt.grant_id = g.id
         WHERE c.code_hash = $1`,
        [hash],
      );

    /** Statements sent to the database while `work` runs (pool and DataSource paths alike). */
    async function countStatements<T>(work: () => Promise<T>): Promise<{ result: T; n: number }> {
      const pool = (db.dataSource.driver as unknown as { master?: { query?: unknown } }).master;
      const spies = [jest.spyOn(db.dataSource, 'query')];
      if (pool && typeof pool.query === 'function') {
        spies.push(jest.spyOn(pool as { query: () => unknown }, 'query') as never);
      }
      try {
        const result = await work();
        return { result, n: spies.reduce((sum, spy) => sum + spy.mock.calls.length, 0) };
      } finally {
        for (const spy of spies) spy.mockRestore();
      }
    }

    it('consumes the code, stores the token under its grant and stretches the grant: one statement', async () => {
      const hash = await newCode();
      const token = refresh();
      const { result, n } = await countStatements(() => codes.consume(hash, BINDING, token));
      expect(n).toBe(1);
      expect(result.status).toBe('consumed');
      const [row] = await familyOf(hash);
      expect(row).toMatchObject({
        token_hash: token.tokenHash,
        client_id: 'client-1',
        scopes: ['mcp:tools'],
        resource: 'https://as.example.com/mcp',
      });
      expect(row.expires_at!.getTime()).toBe(token.expiresAt.getTime());
      expect(row.grant_expires_at.getTime()).toBe(token.expiresAt.getTime());
      expect(row.last_used_at).toBeInstanceOf(Date);
    });

    it('without a token it only consumes the code and leaves the grant as it was', async () => {
      const hash = await newCode();
      const [before] = await familyOf(hash);
      expect((await codes.consume(hash, BINDING)).status).toBe('consumed');
      expect(await familyOf(hash)).toEqual([before]);
      expect(before.token_hash).toBeNull();
    });

    it.each([
      ['another client', { clientId: 'client-2' }],
      ['another PKCE challenge', { codeChallenge: 'y'.repeat(43) }],
      ['another resource', { resource: 'https://as.example.com/other' }],
    ])('AS-19: %s stores nothing and leaves the code usable', async (_label, wrong) => {
      const hash = await newCode();
      const [before] = await familyOf(hash);
      expect((await codes.consume(hash, { ...BINDING, ...wrong }, refresh())).status).toBe(
        'mismatch',
      );
      expect(await familyOf(hash)).toEqual([before]);
      expect((await codes.consume(hash, BINDING, refresh())).status).toBe('consumed');
    });

    it('a replay or an expired code stores nothing', async () => {
      const used = await newCode();
      await codes.consume(used, BINDING, refresh());
      const [afterFirst] = await familyOf(used);
      expect((await codes.consume(used, BINDING, refresh())).status).toBe('replayed');
      expect(await familyOf(used)).toEqual([afterFirst]);

      const expired = await newCode();
      await db.dataSource.query(
        `UPDATE mcp_auth_authorization_codes SET expires_at = now() - interval '1 second'
         WHERE code_hash = $1`,
        [expired],
      );
      expect(await codes.consume(expired, BINDING, refresh())).toEqual({ status: 'expired' });
      expect((await familyOf(expired))[0].token_hash).toBeNull();
    });

    it('consumes only while the client row is the version authenticated against', async () => {
      await db.dataSource.query(
        `INSERT INTO mcp_auth_clients (issuer, client_id, redirect_uris, token_endpoint_auth_method,
           grant_types, response_types, application_type, metadata, source)
         VALUES ($1, 'client-1', '{}', 'none', '{authorization_code}', '{}', 'web', '{}', 'dynamic')
         ON CONFLICT DO NOTHING`,
        [ISSUER],
      );
      const version = async () =>
        (
          await db.dataSource.query(
            `SELECT xmin::text AS v FROM mcp_auth_clients WHERE issuer = $1 AND client_id = 'client-1'`,
            [ISSUER],
          )
        )[0]?.v as string | undefined;
      const hash = await newCode();
      const seen = await version();
      await db.dataSource.query(
        `UPDATE mcp_auth_clients SET client_name = 'renamed' WHERE issuer = $1 AND client_id = 'client-1'`,
        [ISSUER],
      );
      const [before] = await familyOf(hash);
      expect(await codes.consume(hash, { ...BINDING, clientVersion: seen }, refresh())).toEqual({
        status: 'client_changed',
      });
      expect(await familyOf(hash)).toEqual([before]);
      // Even a wrong verifier says client_changed first: nothing is judged on a stale client.
      expect(
        await codes.consume(hash, {
          ...BINDING,
          codeChallenge: 'z'.repeat(43),
          clientVersion: seen,
        }),
      ).toEqual({ status: 'client_changed' });
      const current = { ...BINDING, clientVersion: await version() };
      expect((await codes.consume(hash, current, refresh())).status).toBe('consumed');
      await db.dataSource.query(
        `DELETE FROM mcp_auth_clients WHERE issuer = $1 AND client_id = 'client-1'`,
        [ISSUER],
      );
    });

    it('AS-19: 20 concurrent exchanges of one code store exactly one refresh token', async () => {
      const hash = await newCode();
      const results = await Promise.all(
        Array.from({ length: 20 }, () => codes.consume(hash, BINDING, refresh())),
      );
      expect(results.filter((r) => r.status === 'consumed')).toHaveLength(1);
      expect(results.filter((r) => r.status === 'replayed')).toHaveLength(19);
      expect(await familyOf(hash)).toHaveLength(1);
    });
  });

  it('stores only the hash of a code', async () => {
    const hash = await newCode();
    const rows = await db.dataSource.query(
      `SELECT * FROM mcp_auth_authorization_codes WHERE code_hash = $1`,
      [hash],
    );
    expect(Object.keys(rows[0])).not.toContain('code');
  });

  it('a code exchange finds its code by the primary key even when most codes have expired', async () => {
    // What the table looks like before clean-up catches up: the statistics say nearly no code
    // is live, which once made the `expires_at` index look better than the key.
    const grantId = (
      await grants.createGrant({
        clientId: 'client-1',
        subject: 'alice',
        scopes: ['mcp:tools'],
        resource: 'https://as.example.com/mcp',
        expiresAt: new Date(Date.now() + 60_000),
      })
    ).id;
    await db.dataSource.query(
      `INSERT INTO mcp_auth_authorization_codes (issuer, code_hash, grant_id, client_id, subject,
         redirect_uri, redirect_uri_provided, scopes, resource, code_challenge,
         code_challenge_method, expires_at)
       SELECT $1, 'expired-' || g, $2, 'client-1', 'alice', 'http://127.0.0.1/callback', true,
         '{mcp:tools}', 'https://as.example.com/mcp', $3, 'S256', now() - interval '1 hour'
       FROM generate_series(1, 20000) AS g`,
      [ISSUER, grantId, 'x'.repeat(43)],
    );
    await db.dataSource.query('ANALYZE mcp_auth_authorization_codes');
    try {
      const hash = await newCode();
      const sent: { sql: string; parameters?: unknown[] }[] = [];
      const recording = {
        query: (sql: string, parameters?: unknown[]) => {
          sent.push({ sql, parameters });
          return db.dataSource.query(sql, parameters);
        },
      };
      const probe = new TypeOrmAuthorizationCodeStore(recording as never, ISSUER, {
        preparedStatements: false,
      });
      const token = {
        tokenHash: randomBytes(32).toString('base64url'),
        expiresAt: new Date(Date.now() + 3_600_000),
      };
      expect((await probe.consume(hash, BINDING, token)).status).toBe('consumed');
      const [plan] = await db.dataSource.query(
        `EXPLAIN (FORMAT JSON) ${sent[0].sql}`,
        sent[0].parameters,
      );
      const text = JSON.stringify(plan);
      expect(text).toContain('mcp_auth_authorization_codes_pkey');
      expect(text).not.toContain('mcp_auth_authorization_codes_expires_at_idx');
    } finally {
      await db.dataSource.query(
        `DELETE FROM mcp_auth_authorization_codes WHERE code_hash LIKE 'expired-%'`,
      );
    }
  });
});
