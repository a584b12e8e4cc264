import type { DataSource } from 'typeorm';
import { queryRows, type SqlOptions, type SqlRunner, sqlRunner } from './query-rows';
import { notExpired } from './not-expired';
import type {
  FederationStateRecord,
  FederationStateStore,
} from '../../federation-state-store.interface';

interface StateRow {
  state_hash: string;
  purpose: string;
  interaction_id_hash: string;
  provider: string;
  nonce: string | null;
  code_verifier: string | null;
  browser_binding_hash: string;
  expires_at: Date;
}

const COLUMNS = `state_hash, purpose, interaction_id_hash, provider, nonce, code_verifier,
  browser_binding_hash, expires_at`;

/** {@link FederationStateStore} on Postgres, scoped to one issuer. */
export class TypeOrmFederationStateStore implements FederationStateStore {
  private readonly sql: SqlRunner;

  constructor(
    dataSource: DataSource,
    private readonly issuer: string,
    options: SqlOptions = {},
  ) {
    this.sql = sqlRunner(dataSource, options);
  }

  async create(record: FederationStateRecord): Promise<void> {
    await queryRows(
      this.sql,
      `INSERT INTO mcp_auth_federation_states (issuer, ${COLUMNS})
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        this.issuer,
        record.stateHash,
        record.purpose ?? 'authorization',
        record.interactionIdHash,
        record.provider,
        record.nonce,
        record.codeVerifier,
        record.browserBindingHash,
        record.expiresAt,
      ],
    );
  }

  async consume(
    stateHash: string,
    browserBindingHash: string,
  ): Promise<FederationStateRecord | null> {
    // One statement: of concurrent callbacks carrying the same state, one deletes the row.
    const rows = await queryRows<StateRow>(
      this.sql,
      `DELETE FROM mcp_auth_federation_states
       WHERE issuer = $1 AND state_hash = $2 AND browser_binding_hash = $3 AND ${notExpired()}
       RETURNING ${COLUMNS}`,
      [this.issuer, stateHash, browserBindingHash],
    );
    if (!rows.length) return null;
    const row = rows[0];
    return {
      stateHash: row.state_hash,
      purpose: row.purpose === 'connected_apps' ? 'connected_apps' : 'authorization',
      interactionIdHash: row.interaction_id_hash,
      provider: row.provider,
      nonce: row.nonce,
      codeVerifier: row.code_verifier,
      browserBindingHash: row.browser_binding_hash,
      expiresAt: row.expires_at,
    };
  }

  async exists(stateHash: string): Promise<boolean> {
    const rows = await queryRows<{ one: number }>(
      this.sql,
      `SELECT 1 AS one FROM mcp_auth_federation_states
       WHERE issuer = $1 AND state_hash = $2 AND ${notExpired()}`,
      [this.issuer, stateHash],
    );
    return rows.length > 0;
  }
}
