import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { isUuid } from './uuid';
import { queryRows, type SqlOptions, type SqlRunner, sqlRunner } from './query-rows';
import type {
  GrantListPage,
  GrantListQuery,
  GrantRecord,
  GrantRevocationFilter,
  GrantRevocationReason,
  GrantStore,
  NewGrant,
  NewRefreshToken,
  RefreshTokenRecord,
  RefreshTokenRotation,
  RefreshTokenRotationRequest,
  RevocationEntry,
} from '../../grant-store.interface';
import { revocationNotice } from './revocation-notice';
import {
  GRANT_COLUMNS,
  type GrantRow,
  REFRESH_COLUMNS,
  type RefreshRow,
  toGrant,
  toRefresh,
} from './grant-rows';
import { listGrants } from './grant-listing.query';
import { revokeGrantsWhere } from './grant-bulk-revocation.query';
import {
  outcomeAfterLostRace,
  ROTATE_REFRESH_TOKEN,
  rotationOutcome,
  type RotationRow,
  rotationParameters,
} from './refresh-rotation.statement';

/** Inserts a refresh token and stretches its grant's lifetime to cover it, in one statement. */
const INSERT_REFRESH_TOKEN = `
  WITH rt AS (
    INSERT INTO mcp_auth_refresh_tokens (issuer, token_hash, grant_id, client_id, scopes,
      resource, expires_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7)
    RETURNING *
  ), g AS (
    UPDATE mcp_auth_grants SET expires_at = GREATEST(expires_at, $7), last_used_at = now()
    WHERE issuer = $1 AND id = $3 RETURNING id, subject
  )
  SELECT ${REFRESH_COLUMNS} FROM rt JOIN g ON g.id = rt.grant_id`;

/** {@link GrantStore} on Postgres, scoped to one issuer. */
export class TypeOrmGrantStore implements GrantStore {
  private readonly sql: SqlRunner;

  constructor(
    private readonly dataSource: DataSource,
    private readonly issuer: string,
    options: SqlOptions = {},
  ) {
    this.sql = sqlRunner(dataSource, options);
  }

  async createGrant(grant: NewGrant): Promise<GrantRecord> {
    const rows = await queryRows<GrantRow>(
      this.sql,
      `INSERT INTO mcp_auth_grants (id, issuer, client_id, subject, scopes, resource, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${GRANT_COLUMNS}`,
      [
        randomUUID(),
        this.issuer,
        grant.clientId,
        grant.subject,
        grant.scopes,
        grant.resource,
        grant.expiresAt,
      ],
    );
    return toGrant(rows[0]);
  }

  async findGrant(grantId: string): Promise<GrantRecord | null> {
    if (!isUuid(grantId)) return null;
    const rows = await queryRows<GrantRow>(
      this.sql,
      `SELECT ${GRANT_COLUMNS} FROM mcp_auth_grants WHERE issuer = $1 AND id = $2`,
      [this.issuer, grantId],
    );
    return rows.length ? toGrant(rows[0]) : null;
  }

  async revokeGrant(grantId: string, reason: GrantRevocationReason): Promise<boolean> {
    if (!isUuid(grantId)) return false;
    // The refresh tokens of the family die with it: every lookup joins the grant's revoked_at.
    const rows = await queryRows<{ id: string; newly: boolean }>(
      this.sql,
      `WITH revoked AS (
         UPDATE mcp_auth_grants SET revoked_at = now(), revoked_reason = $3
         WHERE issuer = $1 AND id = $2 AND revoked_at IS NULL
         RETURNING id, ${revocationNotice('grant', 'id')}
       )
       SELECT id, true AS newly FROM revoked
       UNION ALL
       SELECT id, false AS newly FROM mcp_auth_grants
       WHERE issuer = $1 AND id = $2 AND NOT EXISTS (SELECT 1 FROM revoked)`,
      [this.issuer, grantId, reason],
    );
    return rows.length > 0;
  }

  listGrants(query: GrantListQuery): Promise<GrantListPage> {
    return listGrants(this.sql, this.issuer, query);
  }

  async issueRefreshToken(token: NewRefreshToken): Promise<RefreshTokenRecord> {
    const rows = await queryRows<RefreshRow>(this.sql, INSERT_REFRESH_TOKEN, [
      this.issuer,
      token.tokenHash,
      token.grantId,
      token.clientId,
      token.scopes,
      token.resource,
      token.expiresAt,
    ]);
    return toRefresh(rows[0]);
  }

  async findRefreshToken(
    tokenHash: string,
  ): Promise<(RefreshTokenRecord & { grantRevoked: boolean }) | null> {
    const rows = await queryRows<RefreshRow & { grant_revoked: boolean }>(
      this.sql,
      `SELECT ${REFRESH_COLUMNS}, g.revoked_at IS NOT NULL AS grant_revoked
       FROM mcp_auth_refresh_tokens rt JOIN mcp_auth_grants g ON g.id = rt.grant_id
       WHERE rt.issuer = $1 AND rt.token_hash = $2`,
      [this.issuer, tokenHash],
    );
    return rows.length ? { ...toRefresh(rows[0]), grantRevoked: rows[0].grant_revoked } : null;
  }

  async rotateRefreshToken(request: RefreshTokenRotationRequest): Promise<RefreshTokenRotation> {
    const rows = await queryRows<RotationRow>(
      this.sql,
      ROTATE_REFRESH_TOKEN,
      rotationParameters(this.issuer, request),
    );
    // Undefined only for the loser of a concurrent rotation: a new statement sees the winner's.
    return (
      rotationOutcome(rows[0], request) ??
      outcomeAfterLostRace(await this.findRefreshToken(request.tokenHash), request)
    );
  }

  async revokeAccessToken(jti: string, expiresAt: Date): Promise<void> {
    await this.dataSource.query(
      `WITH revoked AS (
         INSERT INTO mcp_auth_revoked_access_tokens (issuer, jti, expires_at)
         VALUES ($1, $2, $3) ON CONFLICT (issuer, jti) DO NOTHING
         RETURNING ${revocationNotice('access_token', 'jti')}
       ) SELECT count(*) FROM revoked`,
      [this.issuer, jti, expiresAt],
    );
  }

  async isAccessTokenRevoked(jti: string): Promise<boolean> {
    const rows = await queryRows<unknown>(
      this.sql,
      `SELECT 1 FROM mcp_auth_revoked_access_tokens WHERE issuer = $1 AND jti = $2`,
      [this.issuer, jti],
    );
    return rows.length > 0;
  }

  async listRevocationsSince(since: Date): Promise<RevocationEntry[]> {
    const rows = await queryRows<{ kind: 'grant' | 'access_token'; id: string; revoked_at: Date }>(
      this.sql,
      `SELECT 'grant' AS kind, id::text AS id, revoked_at FROM mcp_auth_grants
         WHERE issuer = $1 AND revoked_at IS NOT NULL AND revoked_at >= $2
         UNION ALL
         SELECT 'access_token' AS kind, jti AS id, revoked_at FROM mcp_auth_revoked_access_tokens
         WHERE issuer = $1 AND revoked_at >= $2 AND expires_at > now()
         ORDER BY revoked_at`,
      [this.issuer, since],
    );
    return rows.map((row) => ({ kind: row.kind, id: row.id, revokedAt: row.revoked_at }));
  }

  revokeGrantsWhere(
    filter: GrantRevocationFilter,
    reason: GrantRevocationReason,
  ): Promise<GrantRecord[]> {
    return revokeGrantsWhere(this.sql, this.issuer, filter, reason);
  }
}
