import type { DataSource } from 'typeorm';
import { queryRows, type SqlOptions, type SqlRunner, sqlRunner } from './query-rows';
import { notExpired } from './not-expired';
import type { PromptValue } from '../../../oauth/prompt';
import type {
  AuthorizationRequestRecord,
  AuthorizationRequestStore,
  BrowserBindingRotation,
  NewAuthorizationRequest,
  SignedInOwner,
} from '../../authorization-request-store.interface';

interface RequestRow {
  id_hash: string;
  client_id: string;
  redirect_uri: string;
  redirect_uri_provided: boolean;
  scopes: string[];
  resource: string;
  state: string | null;
  code_challenge: string;
  code_challenge_method: string;
  prompt: string[];
  browser_binding_hash: string;
  subject: string | null;
  subject_display_name: string | null;
  created_at: Date;
  expires_at: Date;
}

const COLUMNS = `id_hash, client_id, redirect_uri, redirect_uri_provided, scopes, resource, state,
  code_challenge, code_challenge_method, prompt, browser_binding_hash, subject, subject_display_name,
  created_at, expires_at`;

/** Active = not consumed and not expired, both judged by the database. */
const ACTIVE = `issuer = $1 AND id_hash = $2 AND consumed_at IS NULL AND ${notExpired()}`;

/** {@link AuthorizationRequestStore} on Postgres, scoped to one issuer. */
export class TypeOrmAuthorizationRequestStore implements AuthorizationRequestStore {
  private readonly sql: SqlRunner;

  constructor(
    dataSource: DataSource,
    private readonly issuer: string,
    options: SqlOptions = {},
  ) {
    this.sql = sqlRunner(dataSource, options);
  }

  async create(request: NewAuthorizationRequest): Promise<AuthorizationRequestRecord> {
    const rows = await queryRows<RequestRow>(
      this.sql,
      `INSERT INTO mcp_auth_authorization_requests (issuer, id_hash, client_id, redirect_uri,
         redirect_uri_provided, scopes, resource, state, code_challenge, code_challenge_method,
         prompt, browser_binding_hash, subject, subject_display_name, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
       RETURNING ${COLUMNS}`,
      [
        this.issuer,
        request.idHash,
        request.clientId,
        request.redirectUri,
        request.redirectUriProvided,
        request.scopes,
        request.resource,
        request.state,
        request.codeChallenge,
        request.codeChallengeMethod,
        request.prompt,
        request.browserBindingHash,
        request.subject ?? null,
        request.subjectDisplayName ?? null,
        request.expiresAt,
      ],
    );
    return toRecord(rows[0]);
  }

  async findActive(idHash: string): Promise<AuthorizationRequestRecord | null> {
    const rows = await queryRows<RequestRow>(
      this.sql,
      `SELECT ${COLUMNS} FROM mcp_auth_authorization_requests WHERE ${ACTIVE}`,
      [this.issuer, idHash],
    );
    return rows.length ? toRecord(rows[0]) : null;
  }

  async recordSignIn(
    idHash: string,
    owner: SignedInOwner,
    binding: BrowserBindingRotation,
  ): Promise<boolean> {
    // One statement: the CTE locks the signed-in request (a concurrent consume waits, or wins
    // and leaves nothing to update), then every active request of this browser moves to the
    // new binding, so other tabs keep working with the replaced cookie.
    const rows = await queryRows<{ id_hash: string }>(
      this.sql,
      `WITH target AS (
         SELECT id_hash FROM mcp_auth_authorization_requests
         WHERE ${ACTIVE} AND browser_binding_hash = $5
         FOR UPDATE
       )
       UPDATE mcp_auth_authorization_requests r
       SET browser_binding_hash = $6,
           subject = CASE WHEN r.id_hash = $2 THEN $3 ELSE r.subject END,
           subject_display_name =
             CASE WHEN r.id_hash = $2 THEN $4 ELSE r.subject_display_name END
       FROM target
       WHERE r.issuer = $1 AND r.browser_binding_hash = $5 AND r.consumed_at IS NULL
         AND ${notExpired('r.expires_at')}
       RETURNING r.id_hash`,
      [this.issuer, idHash, owner.subject, owner.displayName, binding.current, binding.next],
    );
    return rows.some((row) => row.id_hash === idHash);
  }

  async consume(idHash: string): Promise<AuthorizationRequestRecord | null> {
    // One statement: the row lock makes concurrent callers re-check `consumed_at IS NULL`.
    const rows = await queryRows<RequestRow>(
      this.sql,
      `UPDATE mcp_auth_authorization_requests SET consumed_at = now() WHERE ${ACTIVE}
       RETURNING ${COLUMNS}`,
      [this.issuer, idHash],
    );
    return rows.length ? toRecord(rows[0]) : null;
  }

  async findConsumed(idHash: string): Promise<AuthorizationRequestRecord | null> {
    const rows = await queryRows<RequestRow>(
      this.sql,
      `SELECT ${COLUMNS} FROM mcp_auth_authorization_requests
       WHERE issuer = $1 AND id_hash = $2 AND consumed_at IS NOT NULL`,
      [this.issuer, idHash],
    );
    return rows.length ? toRecord(rows[0]) : null;
  }
}

function toRecord(row: RequestRow): AuthorizationRequestRecord {
  return {
    idHash: row.id_hash,
    clientId: row.client_id,
    redirectUri: row.redirect_uri,
    redirectUriProvided: row.redirect_uri_provided,
    scopes: row.scopes,
    resource: row.resource,
    state: row.state,
    codeChallenge: row.code_challenge,
    codeChallengeMethod: 'S256',
    // Written only from parsePrompt's output.
    prompt: row.prompt as PromptValue[],
    browserBindingHash: row.browser_binding_hash,
    subject: row.subject,
    subjectDisplayName: row.subject_display_name,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}
