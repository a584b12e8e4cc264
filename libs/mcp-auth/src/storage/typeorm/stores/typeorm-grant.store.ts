import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { isUuid } from './uuid';
import { queryRows, type SqlOptions, type SqlRunner, sqlRunner } from './query-rows';
import type {
  GrantRecord,
  GrantRevocationReason,
  GrantStore,
  NewGrant,
  NewRefreshToken,
  RefreshTokenRecord,
  RefreshTokenRotation,
  RefreshTokenSuccessor,
  RevocationEntry,
} from '../../grant-store.interface';
import { REVOCATION_CHANNEL } from '../../grant-store.interface';

interface GrantRow {
  id: string;
  client_id: string;
  subject: string;
  scopes: string[];
  resource: string;
  created_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
  revoked_reason: string | null;
}

interface RefreshRow {
  token_hash: string;
  grant_id: string;
  client_id: string;
  subject: string;
  scopes: string[];
  resource: string;
  created_at: Date;
  expires_at: Date;
  rotated_at: Date | null;
}

const GRANT_COLUMNS = `id, client_id, subject, scopes, resource, created_at, expires_at,
  revoked_at, revoked_reason`;
const REFRESH_COLUMNS = `rt.token_hash, rt.grant_id, rt.client_id, g.subject, rt.scopes,
  rt.resource, rt.created_at, rt.expires_at, rt.rotated_at`;

/** Inserts a refresh token and stretches its grant's lifetime to cover it, in one statement. */
const INSERT_REFRESH_TOKEN = `
  WITH rt AS (
    INSERT INTO mcp_auth_refresh_tokens (issuer, token_hash, grant_id, client_id, scopes,
      resource, expires_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7)
    RETURNING *
  ), g AS (
    UPDATE mcp_auth_grants SET expires_at = GREATEST(expires_at, $7)
    WHERE issuer = $1 AND id = $3 RETURNING id, subject
  )
  SELECT ${REFRESH_COLUMNS} FROM rt JOIN g ON g.id = rt.grant_id`;

/** A refresh token that can still be rotated, with its grant's subject. */
const SELECT_LIVE_REFRESH_TOKEN = `
  SELECT ${REFRESH_COLUMNS}
  FROM mcp_auth_refresh_tokens rt JOIN mcp_auth_grants g ON g.id = rt.grant_id
  WHERE rt.issuer = $1 AND rt.token_hash = $2 AND rt.client_id = $3
    AND rt.rotated_at IS NULL AND rt.expires_at > now() AND g.revoked_at IS NULL`;

/**
 * Marks a live refresh token rotated and, only if that happened, inserts its successor and
 * stretches the grant: one statement, so one transaction and one round trip.
 */
const ROTATE_REFRESH_TOKEN = `
  WITH old AS (
    UPDATE mcp_auth_refresh_tokens rt SET rotated_at = now()
    FROM mcp_auth_grants g
    WHERE rt.issuer = $1 AND rt.token_hash = $2 AND rt.client_id = $3
      AND rt.rotated_at IS NULL AND rt.expires_at > now()
      AND g.id = rt.grant_id AND g.revoked_at IS NULL
    RETURNING rt.grant_id, rt.rotated_at
  ), rt AS (
    INSERT INTO mcp_auth_refresh_tokens (issuer, token_hash, grant_id, client_id, scopes,
      resource, expires_at)
    SELECT $1, $4, old.grant_id, $3, $5, $6, $7 FROM old
    RETURNING *
  ), g AS (
    UPDATE mcp_auth_grants SET expires_at = GREATEST(expires_at, $7)
    WHERE issuer = $1 AND id = (SELECT grant_id FROM old) RETURNING id, subject
  )
  SELECT ${REFRESH_COLUMNS}, (SELECT rotated_at FROM old) AS previous_rotated_at
  FROM rt JOIN g ON g.id = rt.grant_id`;

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
         RETURNING id, pg_notify('${REVOCATION_CHANNEL}', json_build_object(
           'issuer', issuer, 'kind', 'grant', 'id', id)::text)
       )
       SELECT id, true AS newly FROM revoked
       UNION ALL
       SELECT id, false AS newly FROM mcp_auth_grants
       WHERE issuer = $1 AND id = $2 AND NOT EXISTS (SELECT 1 FROM revoked)`,
      [this.issuer, grantId, reason],
    );
    return rows.length > 0;
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

  async rotateRefreshToken(
    tokenHash: string,
    clientId: string,
    successor: (previous: RefreshTokenRecord) => RefreshTokenSuccessor,
  ): Promise<RefreshTokenRotation> {
    // Two round trips and no explicit transaction (BEGIN and COMMIT were two more): a plain
    // read of the live token for `successor` to judge (it reads only what never changes on a
    // token row: grant, scopes, resource), then one statement that marks the token rotated and
    // stores the successor. That statement is atomic on its own; its UPDATE takes the row lock,
    // so a concurrent rotation waits, re-checks `rotated_at IS NULL` against the committed row
    // and matches nothing (single winner), and a token rotated, expired or revoked since the
    // read is not rotated.
    const live = await queryRows<RefreshRow>(this.sql, SELECT_LIVE_REFRESH_TOKEN, [
      this.issuer,
      tokenHash,
      clientId,
    ]);
    if (live.length) {
      const previous = toRefresh(live[0]);
      // If it throws, nothing has been written.
      const next = successor(previous);
      const rows = await queryRows<RefreshRow & { previous_rotated_at: Date }>(
        this.sql,
        ROTATE_REFRESH_TOKEN,
        [
          this.issuer,
          tokenHash,
          clientId,
          next.tokenHash,
          next.scopes,
          next.resource,
          next.expiresAt,
        ],
      );
      if (rows.length) {
        return {
          status: 'rotated',
          previous: { ...previous, rotatedAt: rows[0].previous_rotated_at },
          next: toRefresh(rows[0]),
        };
      }
    }

    // Losing path only: a new statement sees what the winner committed.
    const found = await this.findRefreshToken(tokenHash);
    if (!found || found.clientId !== clientId) return { status: 'not_found' };
    if (found.grantRevoked) return { status: 'revoked' };
    if (found.rotatedAt) {
      return { status: 'reused', grantId: found.grantId, rotatedAt: found.rotatedAt };
    }
    return { status: 'expired' };
  }

  async revokeAccessToken(jti: string, expiresAt: Date): Promise<void> {
    await this.dataSource.query(
      `WITH revoked AS (
         INSERT INTO mcp_auth_revoked_access_tokens (issuer, jti, expires_at)
         VALUES ($1, $2, $3) ON CONFLICT (issuer, jti) DO NOTHING
         RETURNING pg_notify('${REVOCATION_CHANNEL}', json_build_object(
           'issuer', issuer, 'kind', 'access_token', 'id', jti)::text)
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
}

function toGrant(row: GrantRow): GrantRecord {
  return {
    id: row.id,
    clientId: row.client_id,
    subject: row.subject,
    scopes: row.scopes,
    resource: row.resource,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    revokedReason: row.revoked_reason,
  };
}

function toRefresh(row: RefreshRow): RefreshTokenRecord {
  return {
    tokenHash: row.token_hash,
    grantId: row.grant_id,
    clientId: row.client_id,
    subject: row.subject,
    scopes: row.scopes,
    resource: row.resource,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    rotatedAt: row.rotated_at,
  };
}
