import { Inject } from '@nestjs/common';

/**
 * Postgres `NOTIFY` channel on which the grant store announces revocations to every instance
 * sharing the database (what the resource server's deny-list listens to).
 */
export const REVOCATION_CHANNEL = 'mcp_auth_revocations';

/**
 * A grant: what one resource owner allowed one client, for one resource. Codes, refresh
 * tokens and access tokens all hang off a grant, so revoking it ends all of them.
 */
export interface GrantRecord {
  id: string;
  clientId: string;
  subject: string;
  scopes: string[];
  resource: string;
  createdAt: Date;
  /** Latest moment anything issued under the grant can still be used. */
  expiresAt: Date;
  revokedAt: Date | null;
  revokedReason: string | null;
}

export type NewGrant = Pick<
  GrantRecord,
  'clientId' | 'subject' | 'scopes' | 'resource' | 'expiresAt'
>;

/** Why a grant was revoked; kept for audit and tests. */
export type GrantRevocationReason =
  | 'code_replay'
  | 'refresh_token_reuse'
  | 'revoked_by_client'
  | 'revoked_by_owner'
  | 'client_deleted'
  /** The upstream identity provider refused the refresh of its tokens (federation). */
  | 'upstream_revoked';

export interface RefreshTokenRecord {
  /** SHA-256 of the token; the token itself is never stored. */
  tokenHash: string;
  grantId: string;
  clientId: string;
  subject: string;
  scopes: string[];
  resource: string;
  createdAt: Date;
  expiresAt: Date;
  rotatedAt: Date | null;
}

export type NewRefreshToken = Omit<RefreshTokenRecord, 'createdAt' | 'rotatedAt' | 'subject'>;

/** What the caller wants the successor of a rotated refresh token to be. */
export interface RefreshTokenSuccessor {
  tokenHash: string;
  scopes: string[];
  resource: string;
  expiresAt: Date;
}

export type RefreshTokenRotation =
  | { status: 'rotated'; previous: RefreshTokenRecord; next: RefreshTokenRecord }
  /** The token was rotated before: the caller decides whether to revoke the grant. */
  | { status: 'reused'; grantId: string; rotatedAt: Date }
  | { status: 'revoked' }
  | { status: 'expired' }
  /** Unknown, or issued to another client (indistinguishable on purpose). */
  | { status: 'not_found' };

/** A revoked grant or access token, as the resource server's deny-list needs it. */
export interface RevocationEntry {
  kind: 'grant' | 'access_token';
  /** Grant id or access-token `jti`. */
  id: string;
  revokedAt: Date;
}

/** @publicApi */
export interface GrantStore {
  createGrant(grant: NewGrant): Promise<GrantRecord>;
  findGrant(grantId: string): Promise<GrantRecord | null>;
  /** Revokes the grant and with it every refresh token of its family. Idempotent. */
  revokeGrant(grantId: string, reason: GrantRevocationReason): Promise<boolean>;

  issueRefreshToken(token: NewRefreshToken): Promise<RefreshTokenRecord>;
  /** Looks a refresh token up (for revocation and introspection), whatever its state. */
  findRefreshToken(
    tokenHash: string,
  ): Promise<(RefreshTokenRecord & { grantRevoked: boolean }) | null>;
  /**
   * Rotates a refresh token: marks it used and stores its successor in one transaction.
   * Exactly one of any number of concurrent callers gets `rotated`; the rest get `reused`.
   * `successor` judges the live token before anything is written; if it throws, nothing
   * changes and the error propagates (used to refuse scope widening without a second query).
   * It may also run for a caller that then loses the race, so it must have no side effects.
   */
  rotateRefreshToken(
    tokenHash: string,
    clientId: string,
    successor: (previous: RefreshTokenRecord) => RefreshTokenSuccessor,
  ): Promise<RefreshTokenRotation>;

  /** Remembers a revoked access token until it would have expired anyway (RFC 7009). */
  revokeAccessToken(jti: string, expiresAt: Date): Promise<void>;
  isAccessTokenRevoked(jti: string): Promise<boolean>;
  /**
   * Revocations (grants and access tokens) made at or after `since` whose tokens may still be
   * alive: feeds the resource server's in-memory deny-list.
   */
  listRevocationsSince(since: Date): Promise<RevocationEntry[]>;
}

export const GrantStore = Symbol('McpAuth:GrantStore');

/** @publicApi */
export const InjectGrantStore = (): ParameterDecorator & PropertyDecorator => Inject(GrantStore);
