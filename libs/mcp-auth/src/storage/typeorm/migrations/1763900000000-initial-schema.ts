import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The whole schema of the module. Every table is keyed by issuer so several module
 * instances can share one database; secrets, codes and refresh tokens exist only as hashes.
 */
export class McpAuthInitialSchema1763900000000 implements MigrationInterface {
  name = 'McpAuthInitialSchema1763900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "mcp_auth_clients" (
        "issuer" text NOT NULL,
        "client_id" text NOT NULL,
        "client_secret_hash" text,
        "client_secret_expires_at" TIMESTAMP WITH TIME ZONE,
        "redirect_uris" text array NOT NULL,
        "token_endpoint_auth_method" text NOT NULL,
        "grant_types" text array NOT NULL,
        "response_types" text array NOT NULL,
        "application_type" text NOT NULL,
        "client_name" text,
        "scope" text,
        "metadata" jsonb NOT NULL,
        "source" text NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "mcp_auth_clients_pkey" PRIMARY KEY ("issuer", "client_id")
      )`);

    await queryRunner.query(`
      CREATE TABLE "mcp_auth_authorization_requests" (
        "issuer" text NOT NULL,
        "id_hash" text NOT NULL,
        "client_id" text NOT NULL,
        "redirect_uri" text NOT NULL,
        "redirect_uri_provided" boolean NOT NULL,
        "scopes" text array NOT NULL,
        "resource" text NOT NULL,
        "state" text,
        "code_challenge" text NOT NULL,
        "code_challenge_method" text NOT NULL,
        "browser_binding_hash" text NOT NULL,
        "subject" text,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "consumed_at" TIMESTAMP WITH TIME ZONE,
        CONSTRAINT "mcp_auth_authorization_requests_pkey" PRIMARY KEY ("issuer", "id_hash")
      )`);
    await queryRunner.query(
      `CREATE INDEX "mcp_auth_authorization_requests_expires_at_idx" ON "mcp_auth_authorization_requests" ("expires_at")`,
    );

    await queryRunner.query(`
      CREATE TABLE "mcp_auth_grants" (
        "id" uuid NOT NULL,
        "issuer" text NOT NULL,
        "client_id" text NOT NULL,
        "subject" text NOT NULL,
        "scopes" text array NOT NULL,
        "resource" text NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "revoked_at" TIMESTAMP WITH TIME ZONE,
        "revoked_reason" text,
        CONSTRAINT "mcp_auth_grants_pkey" PRIMARY KEY ("id")
      )`);
    await queryRunner.query(
      `CREATE INDEX "mcp_auth_grants_issuer_client_id_idx" ON "mcp_auth_grants" ("issuer", "client_id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "mcp_auth_grants_issuer_subject_idx" ON "mcp_auth_grants" ("issuer", "subject")`,
    );
    await queryRunner.query(
      `CREATE INDEX "mcp_auth_grants_expires_at_idx" ON "mcp_auth_grants" ("expires_at")`,
    );
    // Partial: the deny-list catch-up only ever reads revoked grants.
    await queryRunner.query(
      `CREATE INDEX "mcp_auth_grants_revoked_at_idx" ON "mcp_auth_grants" ("issuer", "revoked_at") WHERE revoked_at IS NOT NULL`,
    );

    await queryRunner.query(`
      CREATE TABLE "mcp_auth_authorization_codes" (
        "issuer" text NOT NULL,
        "code_hash" text NOT NULL,
        "grant_id" uuid NOT NULL,
        "client_id" text NOT NULL,
        "subject" text NOT NULL,
        "redirect_uri" text NOT NULL,
        "redirect_uri_provided" boolean NOT NULL,
        "scopes" text array NOT NULL,
        "resource" text NOT NULL,
        "code_challenge" text NOT NULL,
        "code_challenge_method" text NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "consumed_at" TIMESTAMP WITH TIME ZONE,
        CONSTRAINT "mcp_auth_authorization_codes_pkey" PRIMARY KEY ("issuer", "code_hash")
      )`);
    await queryRunner.query(
      `CREATE INDEX "mcp_auth_authorization_codes_grant_id_idx" ON "mcp_auth_authorization_codes" ("grant_id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "mcp_auth_authorization_codes_expires_at_idx" ON "mcp_auth_authorization_codes" ("expires_at")`,
    );

    await queryRunner.query(`
      CREATE TABLE "mcp_auth_refresh_tokens" (
        "issuer" text NOT NULL,
        "token_hash" text NOT NULL,
        "grant_id" uuid NOT NULL,
        "client_id" text NOT NULL,
        "scopes" text array NOT NULL,
        "resource" text NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "rotated_at" TIMESTAMP WITH TIME ZONE,
        CONSTRAINT "mcp_auth_refresh_tokens_pkey" PRIMARY KEY ("issuer", "token_hash"),
        CONSTRAINT "mcp_auth_refresh_tokens_grant_id_fkey" FOREIGN KEY ("grant_id")
          REFERENCES "mcp_auth_grants" ("id") ON DELETE CASCADE ON UPDATE NO ACTION
      )`);
    await queryRunner.query(
      `CREATE INDEX "mcp_auth_refresh_tokens_grant_id_idx" ON "mcp_auth_refresh_tokens" ("grant_id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "mcp_auth_refresh_tokens_expires_at_idx" ON "mcp_auth_refresh_tokens" ("expires_at")`,
    );

    await queryRunner.query(`
      CREATE TABLE "mcp_auth_revoked_access_tokens" (
        "issuer" text NOT NULL,
        "jti" text NOT NULL,
        "revoked_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        CONSTRAINT "mcp_auth_revoked_access_tokens_pkey" PRIMARY KEY ("issuer", "jti")
      )`);
    await queryRunner.query(
      `CREATE INDEX "mcp_auth_revoked_access_tokens_revoked_at_idx" ON "mcp_auth_revoked_access_tokens" ("issuer", "revoked_at")`,
    );
    await queryRunner.query(
      `CREATE INDEX "mcp_auth_revoked_access_tokens_expires_at_idx" ON "mcp_auth_revoked_access_tokens" ("expires_at")`,
    );

    await queryRunner.query(`
      CREATE TABLE "mcp_auth_signing_keys" (
        "issuer" text NOT NULL,
        "kid" text NOT NULL,
        "algorithm" text NOT NULL,
        "public_jwk" jsonb NOT NULL,
        "private_key" text NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "retires_at" TIMESTAMP WITH TIME ZONE,
        "expires_at" TIMESTAMP WITH TIME ZONE,
        CONSTRAINT "mcp_auth_signing_keys_pkey" PRIMARY KEY ("issuer", "kid")
      )`);
    await queryRunner.query(
      `CREATE INDEX "mcp_auth_signing_keys_expires_at_idx" ON "mcp_auth_signing_keys" ("expires_at")`,
    );

    await queryRunner.query(`
      CREATE TABLE "mcp_auth_consents" (
        "issuer" text NOT NULL,
        "subject" text NOT NULL,
        "client_id" text NOT NULL,
        "scopes" text array NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "mcp_auth_consents_pkey" PRIMARY KEY ("issuer", "subject", "client_id")
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'mcp_auth_consents',
      'mcp_auth_signing_keys',
      'mcp_auth_revoked_access_tokens',
      'mcp_auth_refresh_tokens',
      'mcp_auth_authorization_codes',
      'mcp_auth_grants',
      'mcp_auth_authorization_requests',
      'mcp_auth_clients',
    ]) {
      await queryRunner.query(`DROP TABLE "${table}"`);
    }
  }
}
