import type { DataSource } from 'typeorm';
import { queryRows } from './query-rows';
import type {
  AuthorizationRequestRecord,
  AuthorizationRequestStore,
  NewAuthorizationRequest,
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
  browser_binding_hash: string;
  subject: string | null;
  created_at: Date;
  expires_at: Date;
}

const COLUMNS = `id_hash, client_id, redirect_uri, redirect_uri_provided, scopes, resource, state,
  code_challenge, code_challenge_method, browser_binding_hash, subject, created_at, expires_at`;

/** Active = not consumed and not expired, both judged by the database. */
const ACTIVE = `issuer = $1 AND id_hash = $2 AND consumed_at IS NULL AND expires_at > now()`;

/** {@link AuthorizationRequestStore} on Postgres, scoped to one issuer. */
export class TypeOrmAuthorizationRequestStore implements AuthorizationRequestStore {
  constructor(
    private readonly dataSource: DataSource,
    private readonly issuer: string,
  ) {}

  async create(request: NewAuthorizationRequest): Promise<AuthorizationRequestRecord> {
    const rows = await queryRows<RequestRow>(
      this.dataSource,
      `INSERT INTO mcp_auth_authorization_requests (issuer, id_hash, client_id, redirect_uri,
         redirect_uri_provided, scopes, resource, state, code_challenge, code_challenge_method,
         browser_binding_hash, subject, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
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
        request.browserBindingHash,
        request.subject ?? null,
        request.expiresAt,
      ],
    );
    return toRecord(rows[0]);
  }

  async findActive(idHash: string): Promise<AuthorizationRequestRecord | null> {
    const rows = await queryRows<RequestRow>(
      this.dataSource,
      `SELECT ${COLUMNS} FROM mcp_auth_authorization_requests WHERE ${ACTIVE}`,
      [this.issuer, idHash],
    );
    return rows.length ? toRecord(rows[0]) : null;
  }

  async setSubject(idHash: string, subject: string): Promise<boolean> {
    const rows = await queryRows<unknown>(
      this.dataSource,
      `UPDATE mcp_auth_authorization_requests SET subject = $3 WHERE ${ACTIVE} RETURNING id_hash`,
      [this.issuer, idHash, subject],
    );
    return rows.length > 0;
  }

  async consume(idHash: string): Promise<AuthorizationRequestRecord | null> {
    // One statement: the row lock makes concurrent callers re-check `consumed_at IS NULL`.
    const rows = await queryRows<RequestRow>(
      this.dataSource,
      `UPDATE mcp_auth_authorization_requests SET consumed_at = now() WHERE ${ACTIVE}
       RETURNING ${COLUMNS}`,
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
    browserBindingHash: row.browser_binding_hash,
    subject: row.subject,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}
