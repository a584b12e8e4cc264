import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Clients listed by source (administration), in client_id order: the index serves the filter
 * and the keyset order, so a page reads `limit` rows instead of sorting every client. Listing
 * without a source uses the primary key `(issuer, client_id)`.
 */
export class McpAuthClientListing1796600600000 implements MigrationInterface {
  name = 'McpAuthClientListing1796600600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "mcp_auth_clients_issuer_source_idx" ON "mcp_auth_clients" ("issuer", "source", "client_id")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "mcp_auth_clients_issuer_source_idx"`);
  }
}
