import type { DataSource } from 'typeorm';
import { queryRows, type SqlOptions, type SqlRunner, sqlRunner } from './query-rows';
import type {
  AuthorizationCodeRecord,
  AuthorizationCodeStore,
  CodeBinding,
  CodeConsumption,
  NewAuthorizationCode,
} from '../../authorization-code-store.interface';

interface CodeRow {
  code_hash: string;
  grant_id: string;
  client_id: string;
  subject: string;
  redirect_uri: string;
  redirect_uri_provided: boolean;
  scopes: string[];
  resource: string;
  code_challenge: string;
  code_challenge_method: string;
  created_at: Date;
  expires_at: Date;
  consumed_at: Date | null;
}

const COLUMNS = `code_hash, grant_id, client_id, subject, redirect_uri, redirect_uri_provided,
  scopes, resource, code_challenge, code_challenge_method, created_at, expires_at, consumed_at`;

/** `AuthorizationCodeStore` on Postgres, scoped to one issuer. */
export class TypeOrmAuthorizationCodeStore implements AuthorizationCodeStore {
  private readonly sql: SqlRunner;

  constructor(
    dataSource: DataSource,
    private readonly issuer: string,
    options: SqlOptions = {},
  ) {
    this.sql = sqlRunner(dataSource, options);
  }

  async create(code: NewAuthorizationCode): Promise<AuthorizationCodeRecord> {
    const rows = await queryRows<CodeRow>(
      this.sql,
      `INSERT INTO mcp_auth_authorization_codes (issuer, code_hash, grant_id, client_id, subject,
         redirect_uri, redirect_uri_provided, scopes, resource, code_challenge,
         code_challenge_method, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
       RETURNING ${COLUMNS}`,
      [
        this.issuer,
        code.codeHash,
        code.grantId,
        code.clientId,
        code.subject,
        code.redirectUri,
        code.redirectUriProvided,
        code.scopes,
        code.resource,
        code.codeChallenge,
        code.codeChallengeMethod,
        code.expiresAt,
      ],
    );
    return toRecord(rows[0]);
  }

  async consume(codeHash: string, binding: CodeBinding): Promise<CodeConsumption> {
    // AS-19: single use, bound to client, redirect_uri, PKCE challenge and resource. One
    // UPDATE both checks the binding and decides the winner; under READ COMMITTED a racing
    // statement waits on the row lock, re-evaluates `consumed_at IS NULL` and matches nothing.
    const won = await queryRows<CodeRow>(
      this.sql,
      `UPDATE mcp_auth_authorization_codes SET consumed_at = now()
       WHERE issuer = $1 AND code_hash = $2 AND consumed_at IS NULL AND expires_at > now()
         AND client_id = $3 AND code_challenge = $4
         AND CASE WHEN redirect_uri_provided THEN redirect_uri = $5
                  ELSE ($5::text IS NULL OR redirect_uri = $5) END
         AND ($6::text IS NULL OR resource = $6)
       RETURNING ${COLUMNS}`,
      [
        this.issuer,
        codeHash,
        binding.clientId,
        binding.codeChallenge,
        binding.redirectUri ?? null,
        binding.resource ?? null,
      ],
    );
    if (won.length) return { status: 'consumed', code: toRecord(won[0]) };

    // Refused path only: a fresh statement (new snapshot) tells why.
    const seen = await queryRows<CodeRow & { live: boolean }>(
      this.sql,
      `SELECT ${COLUMNS}, expires_at > now() AS live FROM mcp_auth_authorization_codes
       WHERE issuer = $1 AND code_hash = $2`,
      [this.issuer, codeHash],
    );
    if (!seen.length) return { status: 'not_found' };
    const row = seen[0];
    if (row.consumed_at) {
      return { status: 'replayed', grantId: row.grant_id, clientId: row.client_id };
    }
    if (!row.live) return { status: 'expired' };
    return { status: 'mismatch', code: toRecord(row) };
  }
}

function toRecord(row: CodeRow): AuthorizationCodeRecord {
  return {
    codeHash: row.code_hash,
    grantId: row.grant_id,
    clientId: row.client_id,
    subject: row.subject,
    redirectUri: row.redirect_uri,
    redirectUriProvided: row.redirect_uri_provided,
    scopes: row.scopes,
    resource: row.resource,
    codeChallenge: row.code_challenge,
    codeChallengeMethod: 'S256',
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    consumedAt: row.consumed_at,
  };
}
