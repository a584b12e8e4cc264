import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Upstream identity provider tokens kept per grant, encrypted, for the host's tools. */
export class McpAuthUpstreamTokens1796600200000 implements MigrationInterface {
  name = 'McpAuthUpstreamTokens1796600200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "mcp_auth_upstream_tokens" (
        "grant_id" uuid NOT NULL,
        "issuer" text NOT NULL,
        "provider" text NOT NULL,
        "sealed" text NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "mcp_auth_upstream_tokens_pkey" PRIMARY KEY ("grant_id"),
        CONSTRAINT "mcp_auth_upstream_tokens_grant_id_fkey" FOREIGN KEY ("grant_id")
          REFERENCES "mcp_auth_grants" ("id") ON DELETE CASCADE ON UPDATE NO ACTION
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "mcp_auth_upstream_tokens"`);
  }
}
