import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Grants listed per user (connected apps) and per client (administration), newest first, and
 * when each was last used. The subject and client indexes gain `(created_at, id)` so one index
 * serves both the filter and the keyset order; their old prefixes are covered by the new ones.
 */
export class McpAuthGrantListing1796600400000 implements MigrationInterface {
  name = 'McpAuthGrantListing1796600400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "mcp_auth_grants" ADD "last_used_at" TIMESTAMP WITH TIME ZONE`,
    );
    await queryRunner.query(`DROP INDEX "mcp_auth_grants_issuer_subject_idx"`);
    await queryRunner.query(`DROP INDEX "mcp_auth_grants_issuer_client_id_idx"`);
    await queryRunner.query(
      `CREATE INDEX "mcp_auth_grants_issuer_subject_created_idx" ON "mcp_auth_grants" ("issuer", "subject", "created_at", "id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "mcp_auth_grants_issuer_client_created_idx" ON "mcp_auth_grants" ("issuer", "client_id", "created_at", "id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "mcp_auth_grants_issuer_created_idx" ON "mcp_auth_grants" ("issuer", "created_at", "id")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "mcp_auth_grants_issuer_created_idx"`);
    await queryRunner.query(`DROP INDEX "mcp_auth_grants_issuer_client_created_idx"`);
    await queryRunner.query(`DROP INDEX "mcp_auth_grants_issuer_subject_created_idx"`);
    await queryRunner.query(
      `CREATE INDEX "mcp_auth_grants_issuer_client_id_idx" ON "mcp_auth_grants" ("issuer", "client_id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "mcp_auth_grants_issuer_subject_idx" ON "mcp_auth_grants" ("issuer", "subject")`,
    );
    await queryRunner.query(`ALTER TABLE "mcp_auth_grants" DROP COLUMN "last_used_at"`);
  }
}
