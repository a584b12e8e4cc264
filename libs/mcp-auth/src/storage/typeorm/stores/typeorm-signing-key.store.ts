import type { DataSource } from 'typeorm';
import { queryRows, type SqlOptions, type SqlRunner, sqlRunner } from './query-rows';
import type {
  NewSigningKey,
  SigningKeyRecord,
  SigningKeyStore,
} from '../../signing-key-store.interface';

interface KeyRow {
  kid: string;
  algorithm: string;
  public_jwk: Record<string, unknown>;
  private_key: string;
  created_at: Date;
  retires_at: Date | null;
  expires_at: Date | null;
}

const COLUMNS = `kid, algorithm, public_jwk, private_key, created_at, retires_at, expires_at`;

/** {@link SigningKeyStore} on Postgres, scoped to one issuer. */
export class TypeOrmSigningKeyStore implements SigningKeyStore {
  private readonly sql: SqlRunner;

  constructor(
    dataSource: DataSource,
    private readonly issuer: string,
    options: SqlOptions = {},
  ) {
    this.sql = sqlRunner(dataSource, options);
  }

  async create(key: NewSigningKey): Promise<SigningKeyRecord> {
    const rows = await queryRows<KeyRow>(
      this.sql,
      `INSERT INTO mcp_auth_signing_keys (issuer, kid, algorithm, public_jwk, private_key,
         retires_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
      [
        this.issuer,
        key.kid,
        key.algorithm,
        JSON.stringify(key.publicJwk),
        key.privateKey,
        key.retiresAt,
        key.expiresAt,
      ],
    );
    return toRecord(rows[0]);
  }

  async listUsable(): Promise<SigningKeyRecord[]> {
    const rows = await queryRows<KeyRow>(
      this.sql,
      `SELECT ${COLUMNS} FROM mcp_auth_signing_keys
       WHERE issuer = $1 AND (expires_at IS NULL OR expires_at > now())
       ORDER BY created_at DESC, kid`,
      [this.issuer],
    );
    return rows.map(toRecord);
  }

  async retire(kid: string, retiresAt: Date, expiresAt: Date): Promise<boolean> {
    const rows = await queryRows<unknown>(
      this.sql,
      `UPDATE mcp_auth_signing_keys SET retires_at = $3, expires_at = $4
       WHERE issuer = $1 AND kid = $2 RETURNING kid`,
      [this.issuer, kid, retiresAt, expiresAt],
    );
    return rows.length > 0;
  }
}

function toRecord(row: KeyRow): SigningKeyRecord {
  return {
    kid: row.kid,
    algorithm: row.algorithm,
    publicJwk: row.public_jwk,
    privateKey: row.private_key,
    createdAt: row.created_at,
    retiresAt: row.retires_at,
    expiresAt: row.expires_at,
  };
}
