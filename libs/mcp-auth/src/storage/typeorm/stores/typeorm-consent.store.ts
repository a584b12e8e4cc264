import type { DataSource } from 'typeorm';
import { queryRows, type SqlOptions, type SqlRunner, sqlRunner } from './query-rows';
import type { ConsentRecord, ConsentStore } from '../../consent-store.interface';

interface ConsentRow {
  subject: string;
  client_id: string;
  scopes: string[];
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = `subject, client_id, scopes, created_at, updated_at`;

/** {@link ConsentStore} on Postgres, scoped to one issuer. */
export class TypeOrmConsentStore implements ConsentStore {
  private readonly sql: SqlRunner;

  constructor(
    dataSource: DataSource,
    private readonly issuer: string,
    options: SqlOptions = {},
  ) {
    this.sql = sqlRunner(dataSource, options);
  }

  async find(subject: string, clientId: string): Promise<ConsentRecord | null> {
    const rows = await queryRows<ConsentRow>(
      this.sql,
      `SELECT ${COLUMNS} FROM mcp_auth_consents
       WHERE issuer = $1 AND subject = $2 AND client_id = $3`,
      [this.issuer, subject, clientId],
    );
    return rows.length ? toRecord(rows[0]) : null;
  }

  async remember(subject: string, clientId: string, scopes: string[]): Promise<ConsentRecord> {
    // The union happens in the database so two concurrent approvals cannot drop each other's scopes.
    const rows = await queryRows<ConsentRow>(
      this.sql,
      `INSERT INTO mcp_auth_consents AS c (issuer, subject, client_id, scopes)
       VALUES ($1, $2, $3, ARRAY(SELECT DISTINCT unnest($4::text[]) ORDER BY 1))
       ON CONFLICT (issuer, subject, client_id) DO UPDATE SET
         scopes = ARRAY(SELECT DISTINCT unnest(c.scopes || EXCLUDED.scopes) ORDER BY 1),
         updated_at = now()
       RETURNING ${COLUMNS}`,
      [this.issuer, subject, clientId, scopes],
    );
    return toRecord(rows[0]);
  }

  async forget(subject: string, clientId: string): Promise<boolean> {
    const rows = await queryRows<unknown>(
      this.sql,
      `DELETE FROM mcp_auth_consents WHERE issuer = $1 AND subject = $2 AND client_id = $3
       RETURNING client_id`,
      [this.issuer, subject, clientId],
    );
    return rows.length > 0;
  }
}

function toRecord(row: ConsentRow): ConsentRecord {
  return {
    subject: row.subject,
    clientId: row.client_id,
    scopes: row.scopes,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
