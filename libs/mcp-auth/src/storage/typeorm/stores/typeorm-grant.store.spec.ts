import { randomBytes } from 'node:crypto';
import {
  DATABASE_TARGETS,
  openTestDatabase,
  type TestDatabase,
} from '../../../../../../test/support/test-database';
import type { RefreshTokenSuccessor } from '../../grant-store.interface';
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

  const successor =
    (overrides: Partial<RefreshTokenSuccessor> = {}) =>
    (previous: { scopes: string[]; resource: string }): RefreshTokenSuccessor => ({
      tokenHash: newHash(),
      scopes: previous.scopes,
      resource: previous.resource,
      expiresAt: inOneMinute(),
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

  it('rotates a refresh token into its successor, narrowing scope', async () => {
    const { grant, tokenHash } = await newFamily();
    const result = await store.rotateRefreshToken(
      tokenHash,
      'client-1',
      successor({ scopes: ['mcp:tools'] }),
    );
    expect(result.status).toBe('rotated');
    if (result.status !== 'rotated') return;
    expect(result.previous).toMatchObject({ tokenHash, grantId: grant.id, subject: 'alice' });
    expect(result.next).toMatchObject({
      grantId: grant.id,
      scopes: ['mcp:tools'],
      rotatedAt: null,
    });
    expect((await store.findRefreshToken(tokenHash))?.rotatedAt).toBeInstanceOf(Date);
  });

  it('20 concurrent rotations of one refresh token: exactly one wins, the rest report reuse', async () => {
    const { grant, tokenHash } = await newFamily();
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        store.rotateRefreshToken(tokenHash, 'client-1', successor()),
      ),
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

  it('a successor that throws leaves the token unrotated', async () => {
    const { tokenHash } = await newFamily();
    await expect(
      store.rotateRefreshToken(tokenHash, 'client-1', () => {
        throw new Error('scope widening refused');
      }),
    ).rejects.toThrow('scope widening refused');
    expect((await store.findRefreshToken(tokenHash))?.rotatedAt).toBeNull();
    expect((await store.rotateRefreshToken(tokenHash, 'client-1', successor())).status).toBe(
      'rotated',
    );
  });

  it('another client cannot rotate the token and learns nothing about it', async () => {
    const { tokenHash } = await newFamily();
    expect(await store.rotateRefreshToken(tokenHash, 'client-2', successor())).toEqual({
      status: 'not_found',
    });
    expect((await store.findRefreshToken(tokenHash))?.rotatedAt).toBeNull();
  });

  it('revoking the grant invalidates every refresh token of the family', async () => {
    const { grant, tokenHash } = await newFamily();
    const rotated = await store.rotateRefreshToken(tokenHash, 'client-1', successor());
    if (rotated.status !== 'rotated') throw new Error('expected rotation');
    await store.revokeGrant(grant.id, 'refresh_token_reuse');
    expect(await store.rotateRefreshToken(rotated.next.tokenHash, 'client-1', successor())).toEqual(
      { status: 'revoked' },
    );
    expect((await store.findRefreshToken(rotated.next.tokenHash))?.grantRevoked).toBe(true);
  });

  it('respects refresh-token expiry at the database clock', async () => {
    const { tokenHash } = await newFamily();
    await db.dataSource.query(
      `UPDATE mcp_auth_refresh_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1`,
      [tokenHash],
    );
    expect(await store.rotateRefreshToken(tokenHash, 'client-1', successor())).toEqual({
      status: 'expired',
    });
  });

  it('unknown refresh tokens are not_found', async () => {
    expect(await store.rotateRefreshToken(newHash(), 'client-1', successor())).toEqual({
      status: 'not_found',
    });
    expect(await store.findRefreshToken(newHash())).toBeNull();
  });

  it('a rotation stretches the grant lifetime to cover the new token', async () => {
    const { grant, tokenHash } = await newFamily();
    const later = new Date(Date.now() + 3_600_000);
    await store.rotateRefreshToken(tokenHash, 'client-1', successor({ expiresAt: later }));
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
});
