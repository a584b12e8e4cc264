import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Authorization requests sent on to an upstream identity provider, until its callback. */
export class McpAuthFederationStates1796600100000 implements MigrationInterface {
  name = 'McpAuthFederationStates1796600100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "mcp_auth_federation_states" (
        "issuer" text NOT NULL,
        "state_hash" text NOT NULL,
        "interaction_id_hash" text NOT NULL,
        "provider" text NOT NULL,
        "nonce" text,
        "code_verifier" text,
        "browser_binding_hash" text NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        CONSTRAINT "mcp_auth_federation_states_pkey" PRIMARY KEY ("issuer", "state_hash")
      )`);
    await queryRunner.query(
      `CREATE INDEX "mcp_auth_federation_states_expires_at_idx" ON "mcp_auth_federation_states" ("expires_at")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "mcp_auth_federation_states"`);
  }
}
