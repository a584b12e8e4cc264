import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Clients identified by a Client ID Metadata Document URL are kept in the client table as the
 * cached copy of their document (source `metadata_document`), with the time it goes stale.
 */
export class McpAuthClientMetadataDocuments1796600000000 implements MigrationInterface {
  name = 'McpAuthClientMetadataDocuments1796600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "mcp_auth_clients" ADD "document_expires_at" TIMESTAMP WITH TIME ZONE`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM "mcp_auth_clients" WHERE "source" = 'metadata_document'`);
    await queryRunner.query(`ALTER TABLE "mcp_auth_clients" DROP COLUMN "document_expires_at"`);
  }
}
