import type { DataSource } from 'typeorm';
import { queryRows, type SqlOptions, type SqlRunner, sqlRunner } from './query-rows';

/** Rows deleted per table by one {@link ExpiredRecordsPurger.purge} run. */
export type PurgeReport = Record<string, number>;

export interface PurgeOptions {
  /**
   * Seconds a used or expired code is kept after it expires, so that a late replay is still
   * recognised and revokes its grant (AS-19). Default 3600.
   */
  codeRetention?: number;
  /** Seconds a revoked or expired grant outlives its last token. Default 3600. */
  grantRetention?: number;
  /** Rows deleted per statement, so that no run holds long locks. Default 1000. */
  batchSize?: number;
}

interface PurgeTarget {
  table: string;
  condition: string;
  /**
   * Walk the table's `expires_at` index, oldest first. Without it the planner picks a
   * sequential scan with a LIMIT (most rows match when a backlog piled up), and every batch
   * rescans from the table's start, past the live rows and the rows earlier batches deleted
   * (dead until vacuumed): quadratic in the batches. Seen in EXPLAIN of the 1-million-row
   * backlog of bench scenario 11.
   */
  byExpiry?: boolean;
}

/**
 * Deletes expired rows of every issuer. Safe on several instances at once: each batch takes
 * its rows with `FOR UPDATE SKIP LOCKED`, so instances share the work instead of waiting on
 * (or deadlocking over) each other, and deleting what is already gone is a no-op.
 */
export class ExpiredRecordsPurger {
  private readonly sql: SqlRunner;

  constructor(dataSource: DataSource, options: SqlOptions = {}) {
    this.sql = sqlRunner(dataSource, options);
  }

  async purge(options: PurgeOptions = {}): Promise<PurgeReport> {
    const codeRetention = Math.max(0, Math.floor(options.codeRetention ?? 3600));
    const grantRetention = Math.max(0, Math.floor(options.grantRetention ?? 3600));
    const batchSize = Math.max(1, Math.floor(options.batchSize ?? 1000));
    const targets: PurgeTarget[] = [
      {
        table: 'mcp_auth_authorization_requests',
        condition: 'expires_at < now()',
        byExpiry: true,
      },
      { table: 'mcp_auth_federation_states', condition: 'expires_at < now()', byExpiry: true },
      {
        table: 'mcp_auth_authorization_codes',
        condition: `expires_at < now() - make_interval(secs => ${codeRetention})`,
        byExpiry: true,
      },
      { table: 'mcp_auth_refresh_tokens', condition: 'expires_at < now()', byExpiry: true },
      {
        table: 'mcp_auth_revoked_access_tokens',
        condition: 'expires_at < now()',
        byExpiry: true,
      },
      {
        // A grant's refresh tokens cascade with it.
        table: 'mcp_auth_grants',
        condition: `expires_at < now() - make_interval(secs => ${grantRetention})`,
        byExpiry: true,
      },
      {
        // A metadata document's cached copy, stale for as long as a grant is retained and with
        // no grant left: the client is fetched again if it ever comes back. Keeps URLs that
        // were tried once from piling up.
        table: 'mcp_auth_clients',
        condition: `source = 'metadata_document'
          AND document_expires_at < now() - make_interval(secs => ${grantRetention})
          AND NOT EXISTS (SELECT 1 FROM mcp_auth_grants g
            WHERE g.issuer = mcp_auth_clients.issuer AND g.client_id = mcp_auth_clients.client_id)`,
      },
      { table: 'mcp_auth_signing_keys', condition: 'expires_at < now()', byExpiry: true },
      { table: 'mcp_auth_used_jtis', condition: 'expires_at < now()', byExpiry: true },
      // Counters without a live hit or block: a new hit would start from zero anyway.
      { table: 'mcp_auth_rate_limits', condition: 'expires_at < now()', byExpiry: true },
    ];
    const report: PurgeReport = {};
    for (const { table, condition, byExpiry } of targets) {
      report[table] = 0;
      for (;;) {
        const deleted = await queryRows<unknown>(
          this.sql,
          `DELETE FROM ${table} WHERE ctid IN (
             SELECT ctid FROM ${table} WHERE ${condition}
             ${byExpiry ? 'ORDER BY expires_at' : ''}
             LIMIT ${batchSize} FOR UPDATE SKIP LOCKED
           ) RETURNING 1`,
        );
        report[table] += deleted.length;
        if (deleted.length < batchSize) break;
      }
    }
    return report;
  }
}
