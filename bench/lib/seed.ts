/**
 * Set-based fillers for the cost-as-data-grows scenarios: rows written straight into a bench
 * database with `INSERT … SELECT generate_series`, shaped like the ones the stores write
 * (hashes as base64url SHA-256, the issuer's own resource, one client among many), into the
 * tables and indexes the migrations created. Far faster than going through the API: a million
 * grants with their refresh tokens take seconds, not hours.
 */
import { createHash } from 'node:crypto';
import { Client } from 'pg';
import { REDIRECT_URI } from './fixtures';

/** Rows of `kind` numbered [from, to) are created; numbering keeps successive calls disjoint. */
export interface SeedRange {
  from: number;
  to: number;
}

/** base64url SHA-256 of a SQL text expression, as `hashSecret` stores codes and tokens. */
const hash = (expr: string): string =>
  `rtrim(translate(encode(sha256(convert_to(${expr}, 'UTF8')), 'base64'), '+/', '-_'), '=')`;
/** A stable uuid per number (grant ids), so refresh tokens and codes can point at their grant. */
const grantId = (n: string): string => `md5('grant-' || ${n})::uuid`;

/** A 43-character base64url secret derived from `seed`: what SQL derives the same way. */
export const benchSecret = (seed: string): string =>
  createHash('sha256').update(seed, 'utf8').digest('base64url');

/** The same secret in SQL, from a text expression. */
const sqlSecret = (expr: string): string => hash(expr);

export class Seeder {
  private constructor(
    private readonly client: Client,
    private readonly issuer: string,
  ) {}

  /** Connects to the database at `url`; rows are written for `issuer` (the app's own). */
  static async connect(url: string, issuer: string): Promise<Seeder> {
    const client = new Client({ connectionString: url });
    await client.connect();
    // The seeded rows are consistent by construction: skip the per-row foreign-key triggers.
    await client.query(`SET session_replication_role = replica`);
    return new Seeder(client, issuer);
  }

  async close(): Promise<void> {
    await this.client.end();
  }

  /**
   * Grants spread over 1,000 clients and 10,000 subjects, each with one live refresh token
   * (the shape a long-running server accumulates). `expired`: grants and tokens long past
   * their expiry (what the clean-up deletes) instead of live ones.
   */
  async grantsWithRefreshTokens(range: SeedRange, expired = false): Promise<void> {
    const expiresAt = expired ? `now() - interval '30 days'` : `now() + interval '30 days'`;
    const tag = expired ? 'expired' : 'live';
    await this.client.query(
      `INSERT INTO mcp_auth_grants (id, issuer, client_id, subject, scopes, resource,
                                    created_at, expires_at)
       SELECT ${grantId(`'${tag}-' || n`)}, $1, 'seed-client-' || (n % 1000),
              'seed-user-' || (n % 10000), ARRAY['mcp:tools'], $1 || '/mcp',
              now() - interval '40 days', ${expiresAt}
         FROM generate_series($2::int, $3::int - 1) AS n`,
      [this.issuer, range.from, range.to],
    );
    await this.client.query(
      `INSERT INTO mcp_auth_refresh_tokens (issuer, token_hash, grant_id, client_id, scopes,
                                            resource, created_at, expires_at)
       SELECT $1, ${hash(`'seed-refresh-${tag}-' || n`)}, ${grantId(`'${tag}-' || n`)},
              'seed-client-' || (n % 1000), ARRAY['mcp:tools'], $1 || '/mcp',
              now() - interval '40 days', ${expiresAt}
         FROM generate_series($2::int, $3::int - 1) AS n`,
      [this.issuer, range.from, range.to],
    );
  }

  /** Authorization codes, used and past the clean-up's retention (of existing expired grants). */
  async expiredCodes(range: SeedRange): Promise<void> {
    await this.client.query(
      `INSERT INTO mcp_auth_authorization_codes (issuer, code_hash, grant_id, client_id, subject,
         redirect_uri, redirect_uri_provided, scopes, resource, code_challenge,
         code_challenge_method, created_at, expires_at, consumed_at)
       SELECT $1, ${hash(`'seed-code-' || n`)}, ${grantId(`'expired-' || n`)},
              'seed-client-' || (n % 1000), 'seed-user-' || (n % 10000),
              'http://127.0.0.1:8976/callback', true, ARRAY['mcp:tools'], $1 || '/mcp',
              ${hash(`'seed-verifier-' || n`)}, 'S256', now() - interval '3 days',
              now() - interval '3 days' + interval '60 seconds', now() - interval '3 days'
         FROM generate_series($2::int, $3::int - 1) AS n`,
      [this.issuer, range.from, range.to],
    );
  }

  /**
   * Revoked access tokens (`jti`s from /revoke). `live`: revoked now (the deny-list's next
   * catch-up poll picks them up) and not yet expired; otherwise expired long ago (clean-up
   * fodder).
   */
  async revokedAccessTokens(range: SeedRange, live: boolean): Promise<void> {
    const [revokedAt, expiresAt] = live
      ? [`now()`, `now() + interval '10 minutes'`]
      : [`now() - interval '2 days'`, `now() - interval '2 days' + interval '1 hour'`];
    await this.client.query(
      `INSERT INTO mcp_auth_revoked_access_tokens (issuer, jti, revoked_at, expires_at)
       SELECT $1, left(${hash(`'seed-jti-${live ? 'live' : 'old'}-' || n`)}, 22),
              ${revokedAt}, ${expiresAt}
         FROM generate_series($2::int, $3::int - 1) AS n`,
      [this.issuer, range.from, range.to],
    );
  }

  /** Revoked grants (a revoked family: the deny-list holds their ids), revoked now. */
  async revokedGrants(range: SeedRange): Promise<void> {
    await this.client.query(
      `INSERT INTO mcp_auth_grants (id, issuer, client_id, subject, scopes, resource,
                                    created_at, expires_at, revoked_at, revoked_reason)
       SELECT ${grantId(`'revoked-' || n`)}, $1, 'seed-client-' || (n % 1000),
              'seed-user-' || (n % 10000), ARRAY['mcp:tools'], $1 || '/mcp',
              now() - interval '1 day', now() + interval '29 days',
              now(), 'revoked'
         FROM generate_series($2::int, $3::int - 1) AS n`,
      [this.issuer, range.from, range.to],
    );
  }

  /**
   * `count` live refresh tokens of `clientId` (each with its grant), written by SQL instead of
   * minted through the API; answers the plaintext tokens (`benchSecret` of a per-row seed).
   * The app cannot tell them from minted ones: the same hash, client, scopes and resource.
   */
  async refreshTokensFor(clientId: string, tag: string, count: number): Promise<string[]> {
    const seed = `'bench-rt-${tag}-' || n`;
    await this.client.query(
      `WITH g AS (
         INSERT INTO mcp_auth_grants (id, issuer, client_id, subject, scopes, resource, expires_at)
         SELECT md5('bench-grant-${tag}-' || n)::uuid, $1, $2, 'bench-user', ARRAY['mcp:tools'],
                $1 || '/mcp', now() + interval '30 days'
           FROM generate_series(0, $3::int - 1) AS n)
       INSERT INTO mcp_auth_refresh_tokens (issuer, token_hash, grant_id, client_id, scopes,
                                            resource, expires_at)
       SELECT $1, ${hash(sqlSecret(seed))}, md5('bench-grant-${tag}-' || n)::uuid, $2,
              ARRAY['mcp:tools'], $1 || '/mcp', now() + interval '30 days'
         FROM generate_series(0, $3::int - 1) AS n`,
      [this.issuer, clientId, count],
    );
    return Array.from({ length: count }, (_, n) => benchSecret(`bench-rt-${tag}-${n}`));
  }

  /**
   * `count` authorization codes of `clientId` (PKCE S256, the bench redirect URI, each with its
   * grant), valid for 60 s from now; answers each code with its verifier.
   */
  async codesFor(
    clientId: string,
    tag: string,
    count: number,
  ): Promise<{ code: string; verifier: string }[]> {
    const code = `'bench-code-${tag}-' || n`;
    const verifier = `'bench-verifier-${tag}-' || n`;
    await this.client.query(
      `WITH g AS (
         INSERT INTO mcp_auth_grants (id, issuer, client_id, subject, scopes, resource, expires_at)
         SELECT md5('bench-code-grant-${tag}-' || n)::uuid, $1, $2, 'bench-user',
                ARRAY['mcp:tools'], $1 || '/mcp', now() + interval '30 days'
           FROM generate_series(0, $3::int - 1) AS n)
       INSERT INTO mcp_auth_authorization_codes (issuer, code_hash, grant_id, client_id, subject,
         redirect_uri, redirect_uri_provided, scopes, resource, code_challenge,
         code_challenge_method, expires_at)
       SELECT $1, ${hash(sqlSecret(code))}, md5('bench-code-grant-${tag}-' || n)::uuid, $2,
              'bench-user', $4, true, ARRAY['mcp:tools'], $1 || '/mcp',
              ${hash(sqlSecret(verifier))}, 'S256', now() + interval '60 seconds'
         FROM generate_series(0, $3::int - 1) AS n`,
      [this.issuer, clientId, count, REDIRECT_URI],
    );
    return Array.from({ length: count }, (_, n) => ({
      code: benchSecret(`bench-code-${tag}-${n}`),
      verifier: benchSecret(`bench-verifier-${tag}-${n}`),
    }));
  }

  /** Fresh planner statistics and visibility map, as autovacuum would leave them. */
  async analyze(): Promise<void> {
    await this.client.query(`VACUUM ANALYZE`);
  }

  async count(table: string): Promise<number> {
    if (!/^mcp_auth_[a-z_]+$/.test(table)) throw new Error(`bad table ${table}`);
    const { rows } = await this.client.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM ${table}`,
    );
    return Number(rows[0].n);
  }
}
