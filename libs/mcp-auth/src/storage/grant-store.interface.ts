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
  /**
   * When a refresh token was last issued under the grant (code exchange or refresh), or
   * null. Written by the statements that already touch the grant, never per MCP request.
   */
  lastUsedAt: Date | null;
}

/** One page of {@link GrantStore.listGrants}. */
export interface GrantListQuery {
  subject?: string;
  clientId?: string;
  /** `active`: neither revoked nor expired. Default `all`. */
  status?: 'active' | 'all';
  /** Page size, 1 to {@link MAX_GRANT_PAGE_SIZE}. */
  limit: number;
  /** `nextCursor` of the previous page; opaque. */
  cursor?: string;
}

export interface GrantListPage {
  /** Newest first (created_at, then id). */
  grants: GrantRecord[];
  /** Null on the last page. */
  nextCursor: string | null;
}

/** Largest page {@link GrantStore.listGrants} serves. */
export const MAX_GRANT_PAGE_SIZE = 200;

/** A `listGrants` cursor that this store did not hand out, or a limit out of range. */
export class InvalidGrantListQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidGrantListQueryError';
  }
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
  | 'upstream_revoked'
  /** An operator revoked it through the administration API. */
  | 'revoked_by_administrator';

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

/**
 * A refresh request, judged by the store in the statement that rotates the token, so a
 * refused request changes nothing and a granted one costs a single round trip.
 */
export interface RefreshTokenRotationRequest {
  /** Hash of the presented refresh token. */
  tokenHash: string;
  /** The authenticated client: a token issued to another client is `not_found`. */
  clientId: string;
  /**
   * Scopes the request asks for (AS-23, OAuth 2.1 §4.3.1): each must be one of the token's,
   * else `invalid_scope`. Empty: the token's own. The successor keeps the token's scopes
   * either way (RFC 6749 §6); only the access token is narrowed.
   */
  requestedScopes: readonly string[];
  /** Canonical resource the request names, if any: must be the token's, else `invalid_target`. */
  requestedResource: string | undefined;
  /** The successor: hash of the new token and when it expires. */
  successorHash: string;
  successorExpiresAt: Date;
  /**
   * `ClientRecord.version` of the authenticated client, if known: the rotation happens only if
   * the client row is still that version, else `client_changed` (nothing changed).
   */
  clientVersion?: string;
}

export type RefreshTokenRotation =
  | { status: 'rotated'; previous: RefreshTokenRecord; next: RefreshTokenRecord }
  /** The token was rotated before: the caller decides whether to revoke the grant. */
  | { status: 'reused'; grantId: string; rotatedAt: Date }
  | { status: 'revoked' }
  | { status: 'expired' }
  /** The request asked for a scope the token does not carry; nothing was changed. */
  | { status: 'invalid_scope' }
  /** The request named another resource than the token's; nothing was changed. */
  | { status: 'invalid_target' }
  /** The client row is not the `clientVersion` given (changed or deleted); nothing was changed. */
  | { status: 'client_changed' }
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
  /**
   * Grants of this issuer, newest first, by keyset pagination: a page never skips or repeats
   * a grant while others are added. Throws {@link InvalidGrantListQueryError} for a foreign
   * cursor or a limit out of range.
   */
  listGrants(query: GrantListQuery): Promise<GrantListPage>;

  issueRefreshToken(token: NewRefreshToken): Promise<RefreshTokenRecord>;
  /** Looks a refresh token up (for revocation and introspection), whatever its state. */
  findRefreshToken(
    tokenHash: string,
  ): Promise<(RefreshTokenRecord & { grantRevoked: boolean }) | null>;
  /**
   * Rotates a refresh token atomically: checks that it is live (this client's, not rotated,
   * not expired, grant not revoked) and that the request fits it (scopes, resource), marks it
   * rotated, stores its successor with the token's scopes and resource, and stretches the
   * grant to cover it. Exactly one of any number of concurrent callers gets `rotated`; the
   * rest get `reused`. Any refusal leaves everything as it was.
   */
  rotateRefreshToken(request: RefreshTokenRotationRequest): Promise<RefreshTokenRotation>;

  /** Remembers a revoked access token until it would have expired anyway (RFC 7009). */
  revokeAccessToken(jti: string, expiresAt: Date): Promise<void>;
  isAccessTokenRevoked(jti: string): Promise<boolean>;
  /**
   * Revocations (grants and access tokens) made at or after `since` whose tokens may still be
   * alive: feeds the resource server's in-memory deny-list.
   */
  listRevocationsSince(since: Date): Promise<RevocationEntry[]>;
  /**
   * Revokes every live grant (not revoked, not expired) of a subject, of a client, of both, or
   * one grant by id (at least one member is required), in one statement that notifies the
   * deny-lists of each grant. Returns the grants it revoked (others are left as they were and
   * not returned).
   */
  revokeGrantsWhere(
    filter: GrantRevocationFilter,
    reason: GrantRevocationReason,
  ): Promise<GrantRecord[]>;
}

/**
 * Which grants {@link GrantStore.revokeGrantsWhere} revokes: the live ones matching every
 * member given (at least one).
 */
export interface GrantRevocationFilter {
  subject?: string;
  clientId?: string;
  /** One grant: its revocation then says whether this call ended it. */
  grantId?: string;
}

export const GrantStore = Symbol('McpAuth:GrantStore');

/** @publicApi */
export const InjectGrantStore = (): ParameterDecorator & PropertyDecorator => Inject(GrantStore);
