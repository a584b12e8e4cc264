import type { DataSource } from 'typeorm';
import { clientUnchanged } from './client-unchanged';
import { queryRows, type SqlOptions, type SqlRunner, sqlRunner } from './query-rows';
import { notExpired } from './not-expired';
import type {
  AuthorizationCodeRecord,
  AuthorizationCodeStore,
  CodeBinding,
  CodeConsumption,
  FirstRefreshToken,
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

/**
 * A code exchange in one statement (one round trip, one implicit transaction). AS-19: single
 * use, bound to client, redirect_uri, PKCE challenge and resource. The UPDATE both checks the
 * binding and decides the winner; under READ COMMITTED a racing statement waits on the row
 * lock, re-evaluates `consumed_at IS NULL` and matches nothing. Only for the winner, and only
 * when a hash is given ($7), the grant's first refresh token is inserted and the grant
 * stretched to cover it.
 */
const CONSUME_CODE = `
  WITH won AS (
    UPDATE mcp_auth_authorization_codes SET consumed_at = now()
    WHERE issuer = $1 AND code_hash = $2 AND consumed_at IS NULL AND ${notExpired()}
      AND client_id = $3 AND code_challenge = $4
      AND CASE WHEN redirect_uri_provided THEN redirect_uri = $5
               ELSE ($5::text IS NULL OR redirect_uri = $5) END
      AND ($6::text IS NULL OR resource = $6)
      AND ${clientUnchanged('$1', '$3', '$9')}
    RETURNING ${COLUMNS}
  ), rt AS (
    INSERT INTO mcp_auth_refresh_tokens (issuer, token_hash, grant_id, client_id, scopes,
      resource, expires_at)
    SELECT $1, $7, won.grant_id, won.client_id, won.scopes, won.resource, $8
    FROM won WHERE $7::text IS NOT NULL
    RETURNING grant_id
  ), g AS (
    UPDATE mcp_auth_grants SET expires_at = GREATEST(expires_at, $8), last_used_at = now()
    WHERE issuer = $1 AND id = (SELECT grant_id FROM rt)
    RETURNING id
  )
  SELECT ${COLUMNS} FROM won`;

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

  async consume(
    codeHash: string,
    binding: CodeBinding,
    refreshToken?: FirstRefreshToken,
  ): Promise<CodeConsumption> {
    const won = await queryRows<CodeRow>(this.sql, CONSUME_CODE, [
      this.issuer,
      codeHash,
      binding.clientId,
      binding.codeChallenge,
      binding.redirectUri ?? null,
      binding.resource ?? null,
      refreshToken?.tokenHash ?? null,
      refreshToken?.expiresAt ?? null,
      binding.clientVersion ?? null,
    ]);
    if (won.length) return { status: 'consumed', code: toRecord(won[0]) };

    // Refused path only: a fresh statement (new snapshot) tells why.
    // Always one row: whether the client is unchanged is told even for an unknown code.
    const [row] = await queryRows<
      (CodeRow | { [K in keyof CodeRow]: null }) & { live: boolean | null; client_current: boolean }
    >(
      this.sql,
      `SELECT ${clientUnchanged('$1', '$3', '$4')} AS client_current,
         code.*, code.expires_at > now() AS live
       FROM (SELECT 1) AS one LEFT JOIN (
         SELECT ${COLUMNS} FROM mcp_auth_authorization_codes WHERE issuer = $1 AND code_hash = $2
       ) AS code ON true`,
      [this.issuer, codeHash, binding.clientId, binding.clientVersion ?? null],
    );
    // First: nothing else may be judged on what was authenticated against a changed client.
    if (!row.client_current) return { status: 'client_changed' };
    if (row.code_hash === null) return { status: 'not_found' };
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
