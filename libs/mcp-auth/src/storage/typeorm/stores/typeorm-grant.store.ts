import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { isUuid } from './uuid';
import { clientUnchanged } from './client-unchanged';
import { decodeGrantCursor, encodeGrantCursor } from './grant-list-cursor';
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
import { InvalidGrantListQueryError, MAX_GRANT_PAGE_SIZE } from '../../grant-store.interface';
import { revocationNotice } from './revocation-notice';
import { notExpired } from './not-expired';

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
  last_used_at: Date | null;
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
  revoked_at, revoked_reason, last_used_at`;
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
    UPDATE mcp_auth_grants SET expires_at = GREATEST(expires_at, $7), last_used_at = now()
    WHERE issuer = $1 AND id = $3 RETURNING id, subject
  )
  SELECT ${REFRESH_COLUMNS} FROM rt JOIN g ON g.id = rt.grant_id`;

/**
 * A refresh: one statement, so one round trip and one implicit transaction.
 *
 * `client` tells whether the client row is still the version authenticated against; `cur`
 * reads the presented token and its grant whatever their state; `old` marks it rotated only
 * if the client is unchanged, the token live and this client's, and the request fits it
 * (scopes ⊆ the token's, resource equal); `rt` inserts the successor and `g` stretches the
 * grant, both only if `old` did. The final row (always one; the token's columns null for an
 * unknown hash) says what happened, so every refusal is told apart
 * without a second statement. The UPDATE takes the row lock: a concurrent rotation waits,
 * re-checks `rotated_at IS NULL` against the committed row and matches nothing (single
 * winner); only that loser, whose snapshot still shows the token live, needs a second look.
 */
const ROTATE_REFRESH_TOKEN = `
  WITH client AS (
    SELECT ${clientUnchanged('$1', '$3', '$8')} AS current
  ), cur AS (
    SELECT rt.grant_id, rt.client_id, rt.scopes, rt.resource, rt.created_at, rt.expires_at,
      rt.rotated_at, rt.expires_at > now() AS live, g.revoked_at IS NOT NULL AS grant_revoked,
      g.subject
    FROM mcp_auth_refresh_tokens rt JOIN mcp_auth_grants g ON g.id = rt.grant_id
    WHERE rt.issuer = $1 AND rt.token_hash = $2
  ), old AS (
    UPDATE mcp_auth_refresh_tokens rt SET rotated_at = now()
    FROM cur, client
    WHERE rt.issuer = $1 AND rt.token_hash = $2 AND rt.client_id = $3
      AND rt.rotated_at IS NULL AND ${notExpired('rt.expires_at')} AND NOT cur.grant_revoked
      AND client.current
      AND rt.scopes @> $4::text[] AND ($5::text IS NULL OR rt.resource = $5)
    RETURNING rt.grant_id, rt.scopes, rt.resource, rt.rotated_at
  ), rt AS (
    INSERT INTO mcp_auth_refresh_tokens (issuer, token_hash, grant_id, client_id, scopes,
      resource, expires_at)
    SELECT $1, $6, old.grant_id, $3, old.scopes, old.resource, $7 FROM old
    RETURNING token_hash, created_at, expires_at
  ), g AS (
    UPDATE mcp_auth_grants SET expires_at = GREATEST(expires_at, $7), last_used_at = now()
    WHERE issuer = $1 AND id = (SELECT grant_id FROM old) RETURNING id
  )
  SELECT client.current AS client_current,
    cur.grant_id, cur.client_id, cur.subject, cur.scopes, cur.resource, cur.created_at,
    cur.expires_at, cur.rotated_at, cur.live, cur.grant_revoked,
    cur.scopes @> $4::text[] AS scope_fits, ($5::text IS NULL OR cur.resource = $5) AS resource_fits,
    (SELECT rotated_at FROM old) AS rotated_now,
    rt.token_hash AS next_hash, rt.created_at AS next_created_at, rt.expires_at AS next_expires_at
  FROM client LEFT JOIN cur ON true LEFT JOIN rt ON true`;

/** What {@link ROTATE_REFRESH_TOKEN} answers: the token as it was, and the successor if any. */
interface RotationRow {
  grant_id: string;
  client_id: string;
  subject: string;
  scopes: string[];
  resource: string;
  created_at: Date;
  expires_at: Date;
  rotated_at: Date | null;
  live: boolean;
  grant_revoked: boolean;
  client_current: boolean;
  scope_fits: boolean;
  resource_fits: boolean;
  rotated_now: Date | null;
  next_hash: string | null;
  next_created_at: Date | null;
  next_expires_at: Date | null;
}

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

  async listGrants(query: GrantListQuery): Promise<GrantListPage> {
    const { limit } = query;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_GRANT_PAGE_SIZE) {
      throw new InvalidGrantListQueryError(
        `limit must be an integer from 1 to ${MAX_GRANT_PAGE_SIZE}`,
      );
    }
    const after = query.cursor === undefined ? undefined : decodeGrantCursor(query.cursor);
    // A few fixed statement shapes (so each is a named prepared statement with a plan that
    // uses the (issuer, subject|client_id, created_at, id) indexes), never optional predicates.
    const params: unknown[] = [this.issuer];
    const where = ['issuer = $1'];
    if (query.subject !== undefined) {
      params.push(query.subject);
      where.push(`subject = $${params.length}`);
    }
    if (query.clientId !== undefined) {
      params.push(query.clientId);
      where.push(`client_id = $${params.length}`);
    }
    if (query.status === 'active') where.push('revoked_at IS NULL AND expires_at > now()');
    if (after) {
      params.push(after.createdAt, after.id);
      where.push(
        `(created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`,
      );
    }
    params.push(limit + 1);
    const rows = await queryRows<GrantRow & { created_at_text: string }>(
      this.sql,
      `SELECT ${GRANT_COLUMNS},
         to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at_text
       FROM mcp_auth_grants WHERE ${where.join(' AND ')}
       ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
      params,
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      grants: page.map(toGrant),
      nextCursor:
        rows.length > limit && last
          ? encodeGrantCursor({ createdAt: last.created_at_text, id: last.id })
          : null,
    };
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
    const rows = await queryRows<RotationRow>(this.sql, ROTATE_REFRESH_TOKEN, [
      this.issuer,
      request.tokenHash,
      request.clientId,
      request.requestedScopes,
      request.requestedResource ?? null,
      request.successorHash,
      request.successorExpiresAt,
      request.clientVersion ?? null,
    ]);
    const row = rows[0];
    if (row.next_hash !== null) return rotated(row, request.tokenHash);
    // Refused: the statement's snapshot says why, in the order the checks matter. A changed
    // client comes first: nothing else may be judged on what was authenticated against it.
    if (!row.client_current) return { status: 'client_changed' };
    // No token with this hash (null columns), or another client's.
    if (row.client_id !== request.clientId) return { status: 'not_found' };
    if (row.grant_revoked) return { status: 'revoked' };
    if (row.rotated_at) {
      return { status: 'reused', grantId: row.grant_id, rotatedAt: row.rotated_at };
    }
    if (!row.live) return { status: 'expired' };
    if (!row.scope_fits) return { status: 'invalid_scope' };
    if (!row.resource_fits) return { status: 'invalid_target' };
    return this.afterLostRace(request);
  }

  /**
   * The token looked live when the statement began, yet was not rotated: another request
   * rotated (or the grant was revoked) meanwhile. A new statement sees what that one committed.
   */
  private async afterLostRace(request: RefreshTokenRotationRequest): Promise<RefreshTokenRotation> {
    const found = await this.findRefreshToken(request.tokenHash);
    if (!found || found.clientId !== request.clientId) return { status: 'not_found' };
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

  async revokeGrantsWhere(
    filter: GrantRevocationFilter,
    reason: GrantRevocationReason,
  ): Promise<GrantRecord[]> {
    const { subject, clientId, grantId } = filter;
    if (subject === undefined && clientId === undefined && grantId === undefined) {
      throw new Error('revokeGrantsWhere needs a subject, a client id or a grant id');
    }
    if (grantId !== undefined && !isUuid(grantId)) return [];
    // Only the members given, so each variant can use its index (no `$n IS NULL OR …`).
    const args: unknown[] = [this.issuer, reason];
    const where = [
      ['subject', subject],
      ['client_id', clientId],
      ['id', grantId],
    ]
      .filter((member): member is [string, string] => member[1] !== undefined)
      .map(([column, value]) => `${column} = $${args.push(value)}`);
    // Live grants only: an expired one has nothing left to end. One set-based UPDATE; each
    // revoked row NOTIFYs, delivered when the statement commits.
    const rows = await queryRows<GrantRow>(
      this.sql,
      `UPDATE mcp_auth_grants SET revoked_at = now(), revoked_reason = $2
       WHERE issuer = $1 AND revoked_at IS NULL AND expires_at > now() AND ${where.join(' AND ')}
       RETURNING ${GRANT_COLUMNS}, ${revocationNotice('grant', 'id')}`,
      args,
    );
    return rows.map(toGrant);
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
    lastUsedAt: row.last_used_at,
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

function rotated(row: RotationRow, tokenHash: string): RefreshTokenRotation {
  const previous: RefreshTokenRecord = {
    tokenHash,
    grantId: row.grant_id,
    clientId: row.client_id,
    subject: row.subject,
    scopes: row.scopes,
    resource: row.resource,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    rotatedAt: row.rotated_now,
  };
  return {
    status: 'rotated',
    previous,
    next: {
      ...previous,
      tokenHash: row.next_hash as string,
      createdAt: row.next_created_at as Date,
      expiresAt: row.next_expires_at as Date,
      rotatedAt: null,
    },
  };
}
