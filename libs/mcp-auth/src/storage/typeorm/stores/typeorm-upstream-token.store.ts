import type { DataSource } from 'typeorm';
import { isUuid } from './uuid';
import { queryRows, type SqlOptions, type SqlRunner, sqlRunner } from './query-rows';
import type { UpstreamTokenRecord, UpstreamTokenStore } from '../../upstream-token-store.interface';

interface TokenRow {
  grant_id: string;
  provider: string;
  sealed: string;
  grant_revoked: boolean;
  updated_at: Date;
}

/** The row joined with its grant, whose revocation the caller must see. */
const SELECT = `SELECT t.grant_id, t.provider, t.sealed, t.updated_at,
    (g.revoked_at IS NOT NULL) AS grant_revoked
  FROM mcp_auth_upstream_tokens t JOIN mcp_auth_grants g ON g.id = t.grant_id`;

/** {@link UpstreamTokenStore} on Postgres, scoped to one issuer. */
export class TypeOrmUpstreamTokenStore implements UpstreamTokenStore {
  private readonly sql: SqlRunner;

  constructor(
    private readonly dataSource: DataSource,
    private readonly issuer: string,
    options: SqlOptions = {},
  ) {
    this.sql = sqlRunner(dataSource, options);
  }

  async save(grantId: string, provider: string, sealed: string): Promise<void> {
    await queryRows(
      this.sql,
      `INSERT INTO mcp_auth_upstream_tokens (grant_id, issuer, provider, sealed)
       VALUES ($1, $2, $3, $4)
       ON CONFLICT (grant_id) DO UPDATE SET provider = EXCLUDED.provider,
         sealed = EXCLUDED.sealed, updated_at = now()`,
      [grantId, this.issuer, provider, sealed],
    );
  }

  async find(grantId: string): Promise<UpstreamTokenRecord | null> {
    if (!isUuid(grantId)) return null;
    const rows = await queryRows<TokenRow>(
      this.sql,
      `${SELECT} WHERE t.issuer = $1 AND t.grant_id = $2`,
      [this.issuer, grantId],
    );
    return rows.length ? toRecord(rows[0]) : null;
  }

  async update(
    grantId: string,
    update: (current: UpstreamTokenRecord) => Promise<string | null>,
  ): Promise<UpstreamTokenRecord | null> {
    if (!isUuid(grantId)) return null;
    return this.dataSource.transaction(async (manager) => {
      const rows = await queryRows<TokenRow>(
        manager,
        `${SELECT} WHERE t.issuer = $1 AND t.grant_id = $2 FOR UPDATE OF t`,
        [this.issuer, grantId],
      );
      if (!rows.length) return null;
      const current = toRecord(rows[0]);
      const sealed = await update(current);
      if (sealed === null) return current;
      const updated = await queryRows<{ updated_at: Date }>(
        manager,
        `UPDATE mcp_auth_upstream_tokens SET sealed = $3, updated_at = now()
         WHERE issuer = $1 AND grant_id = $2 RETURNING updated_at`,
        [this.issuer, grantId, sealed],
      );
      return { ...current, sealed, updatedAt: updated[0].updated_at };
    });
  }

  async delete(grantId: string): Promise<boolean> {
    if (!isUuid(grantId)) return false;
    const rows = await queryRows<{ grant_id: string }>(
      this.sql,
      `DELETE FROM mcp_auth_upstream_tokens WHERE issuer = $1 AND grant_id = $2
       RETURNING grant_id`,
      [this.issuer, grantId],
    );
    return rows.length > 0;
  }

  async listOfRevokedGrants(limit: number): Promise<UpstreamTokenRecord[]> {
    const rows = await queryRows<TokenRow>(
      this.sql,
      `${SELECT} WHERE t.issuer = $1 AND g.revoked_at IS NOT NULL
       ORDER BY g.revoked_at LIMIT $2`,
      [this.issuer, Math.max(1, Math.floor(limit))],
    );
    return rows.map(toRecord);
  }
}

function toRecord(row: TokenRow): UpstreamTokenRecord {
  return {
    grantId: row.grant_id,
    provider: row.provider,
    sealed: row.sealed,
    grantRevoked: row.grant_revoked,
    updatedAt: row.updated_at,
  };
}
