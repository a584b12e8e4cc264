import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What an upstream round trip is for: finishing an authorization (every existing row) or
 * signing in on the connected-apps page. The callback reads it from the consumed row, so a
 * state of one purpose never finishes the other.
 */
export class McpAuthFederationStatePurpose1796600700000 implements MigrationInterface {
  name = 'McpAuthFederationStatePurpose1796600700000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE "mcp_auth_federation_states"
        ADD COLUMN "purpose" text NOT NULL DEFAULT 'authorization',
        ADD CONSTRAINT "mcp_auth_federation_states_purpose_check"
          CHECK ("purpose" IN ('authorization', 'connected_apps'))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE "mcp_auth_federation_states"
        DROP CONSTRAINT "mcp_auth_federation_states_purpose_check",
        DROP COLUMN "purpose"`);
  }
}
