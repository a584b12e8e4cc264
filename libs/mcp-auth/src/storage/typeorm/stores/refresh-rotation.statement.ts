import type {
  RefreshTokenRecord,
  RefreshTokenRotation,
  RefreshTokenRotationRequest,
} from '../../grant-store.interface';
import { clientUnchanged } from './client-unchanged';
import { notExpired } from './not-expired';
import { toRefresh, type RefreshRow } from './grant-rows';

/**
 * A refresh: one statement, so one round trip and one implicit transaction.
 *
 * `client` tells whether the client row is still the version authenticated against; `cur`
 * reads the presented token and its grant whatever their state; `old` marks it rotated only
 * if the client is unchanged, the token live and this client's, and the request fits it
 * (scopes ⊆ the token's, resource equal); `rt` inserts the successor and `g` stretches the
 * grant, both only if `old` did. The final row (always one; the token's columns null for an
 * unknown hash) says what happened, so every refusal is told apart
 * without a second statement. The UPDATE takes the row lock: a concurrent rotation waits,
 * re-checks `rotated_at IS NULL` against the committed row and matches nothing (single
 * winner); only that loser, whose snapshot still shows the token live, needs a second look.
 */
export const ROTATE_REFRESH_TOKEN = `
  WITH client AS (
    SELECT ${clientUnchanged('$1', '$3', '$8')} AS current
  ), cur AS (
    SELECT rt.grant_id, rt.client_id, rt.scopes, rt.resource, rt.created_at, rt.expires_at,
      rt.rotated_at, rt.expires_at > now() AS live, g.revoked_at IS NOT NULL AS grant_revoked,
      g.subject
    FROM mcp_auth_refresh_tokens rt JOIN mcp_auth_grants g ON g.id = rt.grant_id
    WHERE rt.issuer = $1 AND rt.token_hash = $2
  ), old AS (
    UPDATE mcp_auth_refresh_tokens rt SET rotated_at = now()
    FROM cur, client
    WHERE rt.issuer = $1 AND rt.token_hash = $2 AND rt.client_id = $3
      AND rt.rotated_at IS NULL AND ${notExpired('rt.expires_at')} AND NOT cur.grant_revoked
      AND client.current
      AND rt.scopes @> $4::text[] AND ($5::text IS NULL OR rt.resource = $5)
    RETURNING rt.grant_id, rt.scopes, rt.resource, rt.rotated_at
  ), rt AS (
    INSERT INTO mcp_auth_refresh_tokens (issuer, token_hash, grant_id, client_id, scopes,
      resource, expires_at)
    SELECT $1, $6, old.grant_id, $3, old.scopes, old.resource, $7 FROM old
    RETURNING token_hash, created_at, expires_at
  ), g AS (
    UPDATE mcp_auth_grants SET expires_at = GREATEST(expires_at, $7), last_used_at = now()
    WHERE issuer = $1 AND id = (SELECT grant_id FROM old) RETURNING id
  )
  SELECT client.current AS client_current,
    cur.grant_id, cur.client_id, cur.subject, cur.scopes, cur.resource, cur.created_at,
    cur.expires_at, cur.rotated_at, cur.live, cur.grant_revoked,
    cur.scopes @> $4::text[] AS scope_fits, ($5::text IS NULL OR cur.resource = $5) AS resource_fits,
    (SELECT rotated_at FROM old) AS rotated_now,
    rt.token_hash AS next_hash, rt.created_at AS next_created_at, rt.expires_at AS next_expires_at
  FROM client LEFT JOIN cur ON true LEFT JOIN rt ON true`;

/** What {@link ROTATE_REFRESH_TOKEN} answers: the token as it was, and the successor if any. */
export interface RotationRow extends Omit<RefreshRow, 'token_hash'> {
  live: boolean;
  grant_revoked: boolean;
  client_current: boolean;
  scope_fits: boolean;
  resource_fits: boolean;
  rotated_now: Date | null;
  next_hash: string | null;
  next_created_at: Date | null;
  next_expires_at: Date | null;
}

/** The parameters of {@link ROTATE_REFRESH_TOKEN}, `$1` to `$8`. */
export function rotationParameters(
  issuer: string,
  request: RefreshTokenRotationRequest,
): unknown[] {
  return [
    issuer,
    request.tokenHash,
    request.clientId,
    request.requestedScopes,
    request.requestedResource ?? null,
    request.successorHash,
    request.successorExpiresAt,
    request.clientVersion ?? null,
  ];
}

/**
 * What the statement's row says happened; undefined when the token looked live yet was not
 * rotated (a lost race: see {@link outcomeAfterLostRace}).
 */
export function rotationOutcome(
  row: RotationRow,
  request: RefreshTokenRotationRequest,
): RefreshTokenRotation | undefined {
  if (row.next_hash !== null) return rotated(row, request.tokenHash);
  // Refused: the statement's snapshot says why, in the order the checks matter. A changed
  // client comes first: nothing else may be judged on what was authenticated against it.
  if (!row.client_current) return { status: 'client_changed' };
  // No token with this hash (null columns), or another client's.
  if (row.client_id !== request.clientId) return { status: 'not_found' };
  if (row.grant_revoked) return { status: 'revoked' };
  if (row.rotated_at) {
    return { status: 'reused', grantId: row.grant_id, rotatedAt: row.rotated_at };
  }
  if (!row.live) return { status: 'expired' };
  if (!row.scope_fits) return { status: 'invalid_scope' };
  if (!row.resource_fits) return { status: 'invalid_target' };
  return undefined;
}

/**
 * The token looked live when the statement began, yet was not rotated: another request
 * rotated (or the grant was revoked) meanwhile. `found` is the token read again by a new
 * statement, which sees what that one committed.
 */
export function outcomeAfterLostRace(
  found: (RefreshTokenRecord & { grantRevoked: boolean }) | null,
  request: RefreshTokenRotationRequest,
): RefreshTokenRotation {
  if (!found || found.clientId !== request.clientId) return { status: 'not_found' };
  if (found.grantRevoked) return { status: 'revoked' };
  if (found.rotatedAt) {
    return { status: 'reused', grantId: found.grantId, rotatedAt: found.rotatedAt };
  }
  return { status: 'expired' };
}

function rotated(row: RotationRow, tokenHash: string): RefreshTokenRotation {
  const previous = toRefresh({ ...row, token_hash: tokenHash, rotated_at: row.rotated_now });
  return {
    status: 'rotated',
    previous,
    next: {
      ...previous,
      tokenHash: row.next_hash as string,
      createdAt: row.next_created_at as Date,
      expiresAt: row.next_expires_at as Date,
      rotatedAt: null,
    },
  };
}
