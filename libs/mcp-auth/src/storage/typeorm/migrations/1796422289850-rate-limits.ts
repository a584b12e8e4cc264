import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rate-limit counters in the database, so that every instance of an issuer counts against one
 * budget (`TypeOrmThrottlerStorage`, the default `rateLimit.storage`).
 *
 * UNLOGGED: every limited request writes a row, and a logged write would wait for a WAL flush
 * on commit. Counters are worth less than that: after a crash (or on a promoted standby) the
 * table starts empty, which gives each client at most one fresh window.
 */
export class McpAuthRateLimits1796422289850 implements MigrationInterface {
  name = 'McpAuthRateLimits1796422289850';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE UNLOGGED TABLE "mcp_auth_rate_limits" (
        "issuer" text NOT NULL,
        "key" text NOT NULL,
        "hits" TIMESTAMP WITH TIME ZONE array NOT NULL,
        "window_expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "is_blocked" boolean NOT NULL,
        "block_expires_at" TIMESTAMP WITH TIME ZONE,
        "refused" boolean NOT NULL,
        "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        CONSTRAINT "mcp_auth_rate_limits_pkey" PRIMARY KEY ("issuer", "key")
      )`);
    await queryRunner.query(
      `CREATE INDEX "mcp_auth_rate_limits_expires_at_idx" ON "mcp_auth_rate_limits" ("expires_at")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "mcp_auth_rate_limits"`);
  }
}
