import type { DataSource } from 'typeorm';
import { queryRows, type SqlOptions, type SqlRunner, sqlRunner } from './query-rows';
import {
  type ClientDeletion,
  type ClientListPage,
  type ClientListQuery,
  type ClientRecord,
  type ClientSource,
  type ClientStore,
  InvalidClientListQueryError,
  MAX_CLIENT_PAGE_SIZE,
  type NewClient,
  type TokenEndpointAuthMethod,
} from '../../client-store.interface';
import { revocationNotice } from './revocation-notice';
import { decodeClientCursor, encodeClientCursor } from './client-list-cursor';

interface ClientRow {
  client_id: string;
  client_secret_hash: string | null;
  client_secret_expires_at: Date | null;
  redirect_uris: string[];
  token_endpoint_auth_method: string;
  grant_types: string[];
  response_types: string[];
  application_type: string;
  client_name: string | null;
  scope: string | null;
  metadata: Record<string, unknown>;
  source: string;
  document_expires_at: Date | null;
  created_at: Date;
  version: string;
}

const COLUMNS = `client_id, client_secret_hash, client_secret_expires_at, redirect_uris,
  token_endpoint_auth_method, grant_types, response_types, application_type, client_name,
  scope, metadata, source, document_expires_at, created_at`;
/**
 * What every read returns: the columns and the row version (`xmin`, changed by any update),
 * which the code and refresh statements compare (see `clientUnchanged`).
 */
const READ_COLUMNS = `${COLUMNS}, xmin::text AS version`;

/** `ClientStore` on Postgres, scoped to one issuer. */
export class TypeOrmClientStore implements ClientStore {
  private readonly sql: SqlRunner;

  constructor(
    private readonly dataSource: DataSource,
    private readonly issuer: string,
    options: SqlOptions = {},
  ) {
    this.sql = sqlRunner(dataSource, options);
  }

  async create(client: NewClient): Promise<ClientRecord> {
    const rows = await queryRows<ClientRow>(
      this.sql,
      `INSERT INTO mcp_auth_clients (issuer, ${COLUMNS.replace(', created_at', '')})
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
       RETURNING ${READ_COLUMNS}`,
      this.values(client),
    );
    return toRecord(rows[0]);
  }

  async upsert(client: NewClient): Promise<ClientRecord> {
    const rows = await queryRows<ClientRow>(
      this.sql,
      `INSERT INTO mcp_auth_clients (issuer, ${COLUMNS.replace(', created_at', '')})
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
       ON CONFLICT (issuer, client_id) DO UPDATE SET
         client_secret_hash = EXCLUDED.client_secret_hash,
         client_secret_expires_at = EXCLUDED.client_secret_expires_at,
         redirect_uris = EXCLUDED.redirect_uris,
         token_endpoint_auth_method = EXCLUDED.token_endpoint_auth_method,
         grant_types = EXCLUDED.grant_types,
         response_types = EXCLUDED.response_types,
         application_type = EXCLUDED.application_type,
         client_name = EXCLUDED.client_name,
         scope = EXCLUDED.scope,
         metadata = EXCLUDED.metadata,
         source = EXCLUDED.source,
         document_expires_at = EXCLUDED.document_expires_at
       RETURNING ${READ_COLUMNS}`,
      this.values(client),
    );
    return toRecord(rows[0]);
  }

  async findById(clientId: string): Promise<ClientRecord | null> {
    const rows = await queryRows<ClientRow>(
      this.sql,
      `SELECT ${READ_COLUMNS} FROM mcp_auth_clients WHERE issuer = $1 AND client_id = $2`,
      [this.issuer, clientId],
    );
    return rows.length ? toRecord(rows[0]) : null;
  }

  async delete(clientId: string): Promise<ClientDeletion | null> {
    return this.dataSource.transaction(async (manager) => {
      const args = [this.issuer, clientId];
      // Grants are revoked, not deleted, so access tokens already out stay on the deny-list.
      // NOTIFY per grant (delivered at commit), so every deny-list drops them at once.
      const revoked = await queryRows<{ id: string }>(
        manager,
        `UPDATE mcp_auth_grants SET revoked_at = now(), revoked_reason = 'client_deleted'
         WHERE issuer = $1 AND client_id = $2 AND revoked_at IS NULL
         RETURNING id, ${revocationNotice('grant', 'id')}`,
        args,
      );
      await manager.query(
        `DELETE FROM mcp_auth_authorization_codes WHERE issuer = $1 AND client_id = $2`,
        args,
      );
      await manager.query(
        `DELETE FROM mcp_auth_authorization_requests WHERE issuer = $1 AND client_id = $2`,
        args,
      );
      await manager.query(
        `DELETE FROM mcp_auth_consents WHERE issuer = $1 AND client_id = $2`,
        args,
      );
      const deleted = await queryRows<{ client_id: string }>(
        manager,
        `DELETE FROM mcp_auth_clients WHERE issuer = $1 AND client_id = $2 RETURNING client_id`,
        args,
      );
      return deleted.length > 0 ? { revokedGrantIds: revoked.map((row) => row.id) } : null;
    });
  }

  async pruneStatic(keep: readonly string[]): Promise<string[]> {
    const stale = await queryRows<{ client_id: string }>(
      this.sql,
      `SELECT client_id FROM mcp_auth_clients
       WHERE issuer = $1 AND source = 'static' AND NOT (client_id = ANY($2::text[]))`,
      [this.issuer, [...keep]],
    );
    for (const { client_id } of stale) await this.delete(client_id);
    return stale.map((row) => row.client_id);
  }

  async list(query: ClientListQuery): Promise<ClientListPage> {
    const { limit, source } = query;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_CLIENT_PAGE_SIZE) {
      throw new InvalidClientListQueryError(`limit must be 1 to ${MAX_CLIENT_PAGE_SIZE}`);
    }
    if (source !== undefined && !['dynamic', 'static', 'metadata_document'].includes(source)) {
      throw new InvalidClientListQueryError('unknown source');
    }
    const after = query.cursor === undefined ? undefined : decodeClientCursor(query.cursor);
    // The database's own order of client_id, which the primary key (issuer, client_id) and
    // the (issuer, source, client_id) index serve: a page reads `limit + 1` rows, no sort.
    // Only the filters given, so the planner sees plain equalities and one range.
    const args: unknown[] = [this.issuer];
    const where = ['issuer = $1'];
    if (source !== undefined) where.push(`source = $${args.push(source)}`);
    if (after !== undefined) where.push(`client_id > $${args.push(after)}`);
    const rows = await queryRows<ClientRow>(
      this.sql,
      `SELECT ${READ_COLUMNS} FROM mcp_auth_clients
       WHERE ${where.join(' AND ')}
       ORDER BY client_id
       LIMIT $${args.push(limit + 1)}`,
      args,
    );
    const page = rows.slice(0, limit).map(toRecord);
    return {
      clients: page,
      nextCursor: rows.length > limit ? encodeClientCursor(page[page.length - 1].clientId) : null,
    };
  }

  private values(client: NewClient): unknown[] {
    return [
      this.issuer,
      client.clientId,
      client.clientSecretHash,
      client.clientSecretExpiresAt,
      client.redirectUris,
      client.tokenEndpointAuthMethod,
      client.grantTypes,
      client.responseTypes,
      client.applicationType,
      client.clientName,
      client.scope,
      JSON.stringify(client.metadata),
      client.source,
      client.documentExpiresAt ?? null,
    ];
  }
}

function toRecord(row: ClientRow): ClientRecord {
  return {
    clientId: row.client_id,
    clientSecretHash: row.client_secret_hash,
    clientSecretExpiresAt: row.client_secret_expires_at,
    redirectUris: row.redirect_uris,
    tokenEndpointAuthMethod: row.token_endpoint_auth_method as TokenEndpointAuthMethod,
    grantTypes: row.grant_types,
    responseTypes: row.response_types,
    applicationType: row.application_type === 'native' ? 'native' : 'web',
    clientName: row.client_name,
    scope: row.scope,
    metadata: row.metadata,
    source: toSource(row.source),
    documentExpiresAt: row.document_expires_at,
    createdAt: row.created_at,
    version: row.version,
  };
}

function toSource(value: string): ClientSource {
  return value === 'static' || value === 'metadata_document' ? value : 'dynamic';
}
