import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Pending authorizations keep the client's `prompt` values and the signed-in user's display
 * name, and are found by browser binding, which sign-in replaces in one statement.
 */
export class McpAuthAuthorizationRequestPrompt1796422273835 implements MigrationInterface {
  name = 'McpAuthAuthorizationRequestPrompt1796422273835';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "mcp_auth_authorization_requests" ADD "prompt" text array NOT NULL DEFAULT '{}'`,
    );
    await queryRunner.query(
      `ALTER TABLE "mcp_auth_authorization_requests" ADD "subject_display_name" text`,
    );
    await queryRunner.query(
      `CREATE INDEX "mcp_auth_authorization_requests_browser_binding_idx" ON "mcp_auth_authorization_requests" ("issuer", "browser_binding_hash")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "mcp_auth_authorization_requests_browser_binding_idx"`);
    await queryRunner.query(
      `ALTER TABLE "mcp_auth_authorization_requests" DROP COLUMN "subject_display_name"`,
    );
    await queryRunner.query(`ALTER TABLE "mcp_auth_authorization_requests" DROP COLUMN "prompt"`);
  }
}
