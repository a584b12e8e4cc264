import type { MigrationInterface, QueryRunner } from 'typeorm';

/** `jti` values of accepted signed assertions (client assertions, ID-JAGs), until they expire. */
export class McpAuthUsedJtis1796600300000 implements MigrationInterface {
  name = 'McpAuthUsedJtis1796600300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "mcp_auth_used_jtis" (
        "issuer" text NOT NULL,
        "jti_hash" text NOT NULL,
        "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        CONSTRAINT "mcp_auth_used_jtis_pkey" PRIMARY KEY ("issuer", "jti_hash")
      )`);
    await queryRunner.query(
      `CREATE INDEX "mcp_auth_used_jtis_expires_at_idx" ON "mcp_auth_used_jtis" ("expires_at")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "mcp_auth_used_jtis"`);
  }
}
