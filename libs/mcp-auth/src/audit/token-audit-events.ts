import type { RateLimitedEndpoint } from '../abuse/rate-limit-options.interface';
import type { SigningAlgorithm } from '../oauth/signing-algorithms';
import type { GrantRevocationReason } from '../storage/grant-store.interface';
import type { McpAuthAuditActor, McpAuthAuditEventBase } from './audit-event-base';

// The audit events of the token endpoint, revocations, signing keys and rate limits; the
// union of every event is `McpAuthAuditEvent` (audit-event.ts).

/**
 * Tokens were issued at the token endpoint (a refresh is `token.refreshed`).
 * @publicApi
 */
export interface TokenIssuedAuditEvent extends McpAuthAuditEventBase {
  type: 'token.issued';
  grant_type: string;
  client_id: string;
  /** The person, or the client itself for `client_credentials`. */
  subject: string;
  grant_id: string;
  scopes: string[];
  resource: string;
  /** Whether a refresh token came with the access token. */
  refresh_token: boolean;
  /** The enterprise identity provider (issuer) of a redeemed ID-JAG. */
  provider?: string;
}

/**
 * A refresh token was rotated: a new access token and refresh token were issued.
 * @publicApi
 */
export interface TokenRefreshedAuditEvent extends McpAuthAuditEventBase {
  type: 'token.refreshed';
  client_id: string;
  subject: string;
  grant_id: string;
  /** Scopes of the new access token. */
  scopes: string[];
  resource: string;
}

/**
 * A refresh token that was already rotated was presented again: stolen, or a client that
 * lost a response. Outside `tokens.refreshReuseGraceSeconds` the grant is revoked.
 * @publicApi
 */
export interface RefreshTokenReusedAuditEvent extends McpAuthAuditEventBase {
  type: 'refresh_token.reused';
  client_id: string;
  grant_id: string;
  grant_revoked: boolean;
}

/**
 * A grant was revoked: its refresh tokens stop working at once and its access tokens as
 * soon as the resource servers' deny-lists hear of it.
 * @publicApi
 */
export interface GrantRevokedAuditEvent extends McpAuthAuditEventBase {
  type: 'grant.revoked';
  grant_id: string;
  /** Absent when the revocation is not told by a client (e.g. the upstream provider ended it). */
  client_id?: string;
  subject?: string;
  reason: GrantRevocationReason;
  actor: McpAuthAuditActor;
  /** The upstream provider's `id`, for `upstream_revoked`. */
  provider?: string;
}

/**
 * A client revoked one of its access tokens (RFC 7009); its grant stays.
 * @publicApi
 */
export interface TokenRevokedAuditEvent extends McpAuthAuditEventBase {
  type: 'token.revoked';
  token_type: 'access_token';
  client_id: string;
  subject: string;
  grant_id: string | null;
  /** The access token's `jti` (its id, not the token). */
  jti: string;
  actor: McpAuthAuditActor;
}

/**
 * A signing key was created because none could sign (first boot, or a new `algorithm`).
 * @publicApi
 */
export interface SigningKeyCreatedAuditEvent extends McpAuthAuditEventBase {
  type: 'signing_key.created';
  kid: string;
  algorithm: SigningAlgorithm;
}

/**
 * The signing key was replaced: by `tokens.keyRotationInterval` (`schedule`) or by
 * `SigningKeyService.rotate()` (`manual`). Retired keys keep verifying for a while.
 * @publicApi
 */
export interface SigningKeyRotatedAuditEvent extends McpAuthAuditEventBase {
  type: 'signing_key.rotated';
  kid: string;
  algorithm: SigningAlgorithm;
  retired_kids: string[];
  trigger: 'schedule' | 'manual';
}

/**
 * Requests were refused with 429 by the module's rate limits: one event per client address
 * and endpoint when its block begins (per instance), not one per refused request.
 * @publicApi
 */
export interface RateLimitExceededAuditEvent extends McpAuthAuditEventBase {
  type: 'rate_limit.exceeded';
  endpoint: RateLimitedEndpoint;
  /** The endpoint's budget: `limit` requests per `window_seconds`. */
  limit: number;
  window_seconds: number;
  /** Only with `audit.includeClientAddress`. */
  ip?: string;
}
