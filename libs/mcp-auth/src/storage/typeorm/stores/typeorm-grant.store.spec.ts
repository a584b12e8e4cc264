import { randomBytes } from 'node:crypto';
import {
  DATABASE_TARGETS,
  openTestDatabase,
  type TestDatabase,
} from '../../../../../../test/support/test-database';
import {
  InvalidGrantListQueryError,
  type RefreshTokenRotationRequest,
} from '../../grant-store.interface';
import { TypeOrmGrantStore } from './typeorm-grant.store';

const ISSUER = 'https://as.example.com';
const RESOURCE = 'https://as.example.com/mcp';
const inOneMinute = () => new Date(Date.now() + 60_000);
const newHash = () => randomBytes(32).toString('base64url');

describe.each(DATABASE_TARGETS)('GrantStore contract ($name)', (target) => {
  let db: TestDatabase;
  let store: TypeOrmGrantStore;

  beforeAll(async () => {
    db = await openTestDatabase(target);
    store = new TypeOrmGrantStore(db.dataSource, ISSUER);
  });
  afterAll(() => db.close());

  async function newFamily(scopes = ['mcp:tools', 'mcp:resources']) {
    const grant = await store.createGrant({
      clientId: 'client-1',
      subject: 'alice',
      scopes,
      resource: RESOURCE,
      expiresAt: inOneMinute(),
    });
    const tokenHash = newHash();
    await store.issueRefreshToken({
      tokenHash,
      grantId: grant.id,
      clientId: 'client-1',
      scopes,
      resource: RESOURCE,
      expiresAt: inOneMinute(),
    });
    return { grant, tokenHash };
  }

  /** A refresh request for `tokenHash` by `clientId` with a fresh successor. */
  const request = (
    tokenHash: string,
    clientId = 'client-1',
    overrides: Partial<RefreshTokenRotationRequest> = {},
  ): RefreshTokenRotationRequest => ({
    tokenHash,
    clientId,
    requestedScopes: [],
    requestedResource: undefined,
    successorHash: newHash(),
    successorExpiresAt: inOneMinute(),
    ...overrides,
  });

  it('creates, finds and revokes a grant', async () => {
    const { grant } = await newFamily();
    expect(await store.findGrant(grant.id)).toMatchObject({
      id: grant.id,
      clientId: 'client-1',
      subject: 'alice',
      revokedAt: null,
    });
    expect(await store.revokeGrant(grant.id, 'revoked_by_owner')).toBe(true);
    expect(await store.revokeGrant(grant.id, 'revoked_by_owner')).toBe(true);
    const revoked = await store.findGrant(grant.id);
    expect(revoked?.revokedAt).toBeInstanceOf(Date);
    expect(revoked?.revokedReason).toBe('revoked_by_owner');
  });

  it('hostile or unknown grant ids match nothing instead of raising', async () => {
    expect(await store.findGrant("1' OR '1'='1")).toBeNull();
    expect(await store.revokeGrant('not-a-uuid', 'code_replay')).toBe(false);
    expect(await store.revokeGrant('00000000-0000-4000-8000-000000000000', 'code_replay')).toBe(
      false,
    );
  });

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

  const rowsOf = (grantId: string) =>
    db.dataSource.query<{ token_hash: string; rotated_at: Date | null }[]>(
      `SELECT token_hash, rotated_at FROM mcp_auth_refresh_tokens WHERE grant_id = $1
       ORDER BY created_at`,
      [grantId],
    );

  it('rotates in one statement: successor keeps the scopes and resource, grant stretched', async () => {
    const { grant, tokenHash } = await newFamily();
    const later = new Date(Date.now() + 3_600_000);
    const asked = request(tokenHash, 'client-1', {
      requestedScopes: ['mcp:tools'],
      requestedResource: RESOURCE,
      successorExpiresAt: later,
    });
    const { result, n } = await countStatements(() => store.rotateRefreshToken(asked));
    expect(n).toBe(1);
    expect(result.status).toBe('rotated');
    if (result.status !== 'rotated') return;
    expect(result.previous).toMatchObject({ tokenHash, grantId: grant.id, subject: 'alice' });
    expect(result.previous.rotatedAt).toBeInstanceOf(Date);
    // RFC 6749 §6: the new refresh token keeps the old scope; only the access token narrows.
    expect(result.next).toMatchObject({
      tokenHash: asked.successorHash,
      grantId: grant.id,
      clientId: 'client-1',
      subject: 'alice',
      scopes: ['mcp:tools', 'mcp:resources'],
      resource: RESOURCE,
      rotatedAt: null,
    });
    expect(result.next.expiresAt.getTime()).toBe(later.getTime());
    expect((await store.findRefreshToken(tokenHash))?.rotatedAt).toBeInstanceOf(Date);
    expect((await store.findGrant(grant.id))?.expiresAt.getTime()).toBe(later.getTime());
  });

  it.each([
    ['a scope the token does not carry', { requestedScopes: ['mcp:admin'] }, 'invalid_scope'],
    ['one scope too many', { requestedScopes: ['mcp:tools', 'mcp:admin'] }, 'invalid_scope'],
    ['another resource', { requestedResource: 'https://as.example.com/other' }, 'invalid_target'],
  ] as const)('refuses %s in the same statement and changes nothing', async (_, ask, status) => {
    const { grant, tokenHash } = await newFamily();
    const before = await rowsOf(grant.id);
    const { result, n } = await countStatements(() =>
      store.rotateRefreshToken(request(tokenHash, 'client-1', ask)),
    );
    expect(result).toEqual({ status });
    expect(n).toBe(1);
    expect(await rowsOf(grant.id)).toEqual(before);
    expect((await store.rotateRefreshToken(request(tokenHash))).status).toBe('rotated');
  });

  it('a rotated token presented again is reuse (grant and rotation time), in one statement', async () => {
    const { grant, tokenHash } = await newFamily();
    const first = await store.rotateRefreshToken(request(tokenHash));
    if (first.status !== 'rotated') throw new Error('expected rotation');
    const before = await rowsOf(grant.id);
    // Even when it also asks for more scope: reuse is what matters.
    const { result, n } = await countStatements(() =>
      store.rotateRefreshToken(request(tokenHash, 'client-1', { requestedScopes: ['mcp:admin'] })),
    );
    expect(n).toBe(1);
    expect(result).toEqual({
      status: 'reused',
      grantId: grant.id,
      rotatedAt: first.previous.rotatedAt,
    });
    expect(await rowsOf(grant.id)).toEqual(before);
  });

  it('rotates only while the client row is the version authenticated against', async () => {
    await db.dataSource.query(
      `INSERT INTO mcp_auth_clients (issuer, client_id, redirect_uris, token_endpoint_auth_method,
         grant_types, response_types, application_type, metadata, source)
       VALUES ($1, 'client-1', '{}', 'none', '{refresh_token}', '{}', 'web', '{}', 'dynamic')
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
    const { grant, tokenHash } = await newFamily();
    const seen = await version();
    // Changed since (a secret rotated, say): refused first, whatever else holds; nothing changes.
    await db.dataSource.query(
      `UPDATE mcp_auth_clients SET client_name = 'renamed' WHERE issuer = $1 AND client_id = 'client-1'`,
      [ISSUER],
    );
    const before = await rowsOf(grant.id);
    const { result, n } = await countStatements(() =>
      store.rotateRefreshToken(request(tokenHash, 'client-1', { clientVersion: seen })),
    );
    expect(result).toEqual({ status: 'client_changed' });
    expect(n).toBe(1);
    expect(await rowsOf(grant.id)).toEqual(before);
    // The current version rotates.
    const current = await store.rotateRefreshToken(
      request(tokenHash, 'client-1', { clientVersion: await version() }),
    );
    expect(current.status).toBe('rotated');
    // A deleted client has no version to match.
    const stale = await version();
    await db.dataSource.query(
      `DELETE FROM mcp_auth_clients WHERE issuer = $1 AND client_id = 'client-1'`,
      [ISSUER],
    );
    if (current.status !== 'rotated') return;
    expect(
      await store.rotateRefreshToken(
        request(current.next.tokenHash, 'client-1', { clientVersion: stale }),
      ),
    ).toEqual({ status: 'client_changed' });
    expect((await store.findRefreshToken(current.next.tokenHash))?.rotatedAt).toBeNull();
  });

  it('another client presenting a rotated token learns nothing', async () => {
    const { tokenHash } = await newFamily();
    await store.rotateRefreshToken(request(tokenHash));
    expect(await store.rotateRefreshToken(request(tokenHash, 'client-2'))).toEqual({
      status: 'not_found',
    });
  });

  it('20 concurrent rotations of one refresh token: exactly one wins, the rest report reuse', async () => {
    const { grant, tokenHash } = await newFamily();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => store.rotateRefreshToken(request(tokenHash, 'client-1'))),
    );
    expect(results.filter((r) => r.status === 'rotated')).toHaveLength(1);
    const reused = results.filter((r) => r.status === 'reused');
    expect(reused).toHaveLength(19);
    for (const r of reused) expect(r).toMatchObject({ grantId: grant.id });
    const live = await db.dataSource.query(
      `SELECT count(*)::int AS n FROM mcp_auth_refresh_tokens WHERE grant_id = $1 AND rotated_at IS NULL`,
      [grant.id],
    );
    expect(live[0].n).toBe(1);
  });

  it('another client cannot rotate the token and learns nothing about it', async () => {
    const { grant, tokenHash } = await newFamily();
    const before = await rowsOf(grant.id);
    expect(await store.rotateRefreshToken(request(tokenHash, 'client-2'))).toEqual({
      status: 'not_found',
    });
    expect(await rowsOf(grant.id)).toEqual(before);
  });

  it('revoking the grant invalidates every refresh token of the family', async () => {
    const { grant, tokenHash } = await newFamily();
    const rotated = await store.rotateRefreshToken(request(tokenHash, 'client-1'));
    if (rotated.status !== 'rotated') throw new Error('expected rotation');
    await store.revokeGrant(grant.id, 'refresh_token_reuse');
    expect(await store.rotateRefreshToken(request(rotated.next.tokenHash, 'client-1'))).toEqual({
      status: 'revoked',
    });
    expect((await store.findRefreshToken(rotated.next.tokenHash))?.grantRevoked).toBe(true);
  });

  it('respects refresh-token expiry at the database clock', async () => {
    const { tokenHash } = await newFamily();
    await db.dataSource.query(
      `UPDATE mcp_auth_refresh_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1`,
      [tokenHash],
    );
    const grant = (await store.findRefreshToken(tokenHash))!.grantId;
    const before = await rowsOf(grant);
    expect(await store.rotateRefreshToken(request(tokenHash, 'client-1'))).toEqual({
      status: 'expired',
    });
    expect(await rowsOf(grant)).toEqual(before);
  });

  it('unknown refresh tokens are not_found', async () => {
    expect(await store.rotateRefreshToken(request(newHash(), 'client-1'))).toEqual({
      status: 'not_found',
    });
    expect(await store.findRefreshToken(newHash())).toBeNull();
  });

  it('a rotation stretches the grant lifetime to cover the new token', async () => {
    const { grant, tokenHash } = await newFamily();
    const later = new Date(Date.now() + 3_600_000);
    await store.rotateRefreshToken(request(tokenHash, 'client-1', { successorExpiresAt: later }));
    const after = await store.findGrant(grant.id);
    expect(after!.expiresAt.getTime()).toBe(later.getTime());
  });

  it('remembers revoked access tokens and lists revocations for the deny-list', async () => {
    const since = (await db.dataSource.query(`SELECT now() AS now`))[0].now as Date;
    const { grant } = await newFamily();
    await store.revokeGrant(grant.id, 'revoked_by_client');
    await store.revokeAccessToken('jti-1', inOneMinute());
    await store.revokeAccessToken('jti-1', inOneMinute());
    expect(await store.isAccessTokenRevoked('jti-1')).toBe(true);
    expect(await store.isAccessTokenRevoked('jti-2')).toBe(false);
    const entries = await store.listRevocationsSince(since);
    expect(entries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'grant', id: grant.id }),
        expect.objectContaining({ kind: 'access_token', id: 'jti-1' }),
      ]),
    );
    const other = new TypeOrmGrantStore(db.dataSource, 'https://other.example.com');
    expect(await other.listRevocationsSince(since)).toEqual([]);
    expect(await other.isAccessTokenRevoked('jti-1')).toBe(false);
  });

  describe('listGrants', () => {
    let list: TypeOrmGrantStore;
    beforeEach(() => {
      list = new TypeOrmGrantStore(db.dataSource, `https://list-${newHash()}.example.com`);
    });

    const grantFor = (subject: string, clientId: string, expiresAt = inOneMinute()) =>
      list.createGrant({ clientId, subject, scopes: ['mcp:tools'], resource: RESOURCE, expiresAt });

    it('pages newest first by subject without skipping or repeating', async () => {
      const made: string[] = [];
      for (let i = 0; i < 5; i++) made.push((await grantFor('alice', `client-${i}`)).id);
      // Same created_at for two grants: the id breaks the tie.
      await db.dataSource.query(
        `UPDATE mcp_auth_grants SET created_at = (SELECT created_at FROM mcp_auth_grants WHERE id = $1) WHERE id = $2`,
        [made[1], made[2]],
      );
      await grantFor('bob', 'client-0');
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await list.listGrants({ subject: 'alice', limit: 2, cursor });
        expect(page.grants.length).toBeLessThanOrEqual(2);
        seen.push(...page.grants.map((g) => g.id));
        cursor = page.nextCursor ?? undefined;
        pages++;
      } while (cursor && pages < 10);
      expect(pages).toBe(3);
      expect([...seen].sort()).toEqual([...made].sort());
      const all = await list.listGrants({ subject: 'alice', limit: 50 });
      expect(all.grants.map((g) => g.id)).toEqual(seen);
      expect(all.nextCursor).toBeNull();
      const times = all.grants.map((g) => g.createdAt.getTime());
      expect(times).toEqual([...times].sort((a, b) => b - a));
    });

    it('filters by client, by status, and by both', async () => {
      const live = await grantFor('alice', 'app');
      const revoked = await grantFor('alice', 'app');
      await list.revokeGrant(revoked.id, 'revoked_by_owner');
      const expired = await grantFor('alice', 'app', new Date(Date.now() - 1000));
      const other = await grantFor('bob', 'app');
      await grantFor('alice', 'another-app');
      const ids = async (query: Parameters<TypeOrmGrantStore['listGrants']>[0]) =>
        (await list.listGrants(query)).grants.map((g) => g.id).sort();
      expect(await ids({ clientId: 'app', limit: 10 })).toEqual(
        [live.id, revoked.id, expired.id, other.id].sort(),
      );
      expect(await ids({ clientId: 'app', status: 'active', limit: 10 })).toEqual(
        [live.id, other.id].sort(),
      );
      expect(await ids({ clientId: 'app', subject: 'alice', status: 'active', limit: 10 })).toEqual(
        [live.id],
      );
      expect(await ids({ status: 'all', limit: 10 })).toHaveLength(5);
      const other_issuer = new TypeOrmGrantStore(db.dataSource, 'https://other.example.com');
      expect(
        (await other_issuer.listGrants({ clientId: 'app', limit: 10 })).grants.map((g) => g.id),
      ).not.toContain(live.id);
    });

    it('refuses foreign cursors and limits out of range, and takes hostile filters as data', async () => {
      await grantFor('alice', 'app');
      for (const limit of [0, -1, 1.5, Number.NaN, 10_000]) {
        await expect(list.listGrants({ limit })).rejects.toBeInstanceOf(InvalidGrantListQueryError);
      }
      const bad = [
        'not a cursor',
        Buffer.from('2026-01-01T00:00:00.000000Z|not-a-uuid').toString('base64url'),
        Buffer.from("x'; DROP TABLE mcp_auth_grants; --").toString('base64url'),
        'A'.repeat(5000),
        '',
      ];
      for (const cursor of bad) {
        await expect(list.listGrants({ limit: 1, cursor })).rejects.toBeInstanceOf(
          InvalidGrantListQueryError,
        );
      }
      expect((await list.listGrants({ subject: "alice' OR '1'='1", limit: 5 })).grants).toEqual([]);
    });

    it('records when a refresh token was last issued under the grant', async () => {
      const grant = await grantFor('alice', 'client-1');
      expect(grant.lastUsedAt).toBeNull();
      const tokenHash = newHash();
      await list.issueRefreshToken({
        tokenHash,
        grantId: grant.id,
        clientId: 'client-1',
        scopes: ['mcp:tools'],
        resource: RESOURCE,
        expiresAt: inOneMinute(),
      });
      const issued = (await list.findGrant(grant.id))?.lastUsedAt;
      expect(issued).toBeInstanceOf(Date);
      expect(issued!.getTime()).toBeGreaterThan(Date.now() - 60_000);
      // Rotation (the refresh grant) is covered end to end in test/connected-apps.e2e-spec.ts.
      const listed = (await list.listGrants({ subject: 'alice', limit: 1 })).grants[0];
      expect(listed).toMatchObject({ id: grant.id, lastUsedAt: issued });
    });
  });
});
