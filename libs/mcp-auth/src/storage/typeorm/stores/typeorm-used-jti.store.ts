import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { queryRows, type SqlOptions, type SqlRunner, sqlRunner } from './query-rows';
import type { UsedJtiStore } from '../../used-jti-store.interface';

/** {@link UsedJtiStore} on Postgres, scoped to one issuer: one insert decides. */
export class TypeOrmUsedJtiStore implements UsedJtiStore {
  private readonly sql: SqlRunner;

  constructor(
    dataSource: DataSource,
    private readonly issuer: string,
    options: SqlOptions = {},
  ) {
    this.sql = sqlRunner(dataSource, options);
  }

  async use(namespace: string, jti: string, expiresAt: Date): Promise<boolean> {
    // Hashed: a jti is the client's string, of any length; the key stays fixed-size.
    const jtiHash = createHash('sha256').update(`${namespace}\n${jti}`).digest('base64url');
    const rows = await queryRows<{ one: number }>(
      this.sql,
      `INSERT INTO mcp_auth_used_jtis (issuer, jti_hash, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (issuer, jti_hash) DO NOTHING RETURNING 1 AS one`,
      [this.issuer, jtiHash, expiresAt],
    );
    return rows.length === 1;
  }
}
