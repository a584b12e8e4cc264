import type { GrantRecord, RefreshTokenRecord } from '../../grant-store.interface';

/** A row of mcp_auth_grants as the grant statements return it. */
export interface GrantRow {
  id: string;
  client_id: string;
  subject: string;
  scopes: string[];
  resource: string;
  created_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
  revoked_reason: string | null;
  last_used_at: Date | null;
}

/** A refresh token joined with its grant's subject. */
export interface RefreshRow {
  token_hash: string;
  grant_id: string;
  client_id: string;
  subject: string;
  scopes: string[];
  resource: string;
  created_at: Date;
  expires_at: Date;
  rotated_at: Date | null;
}

export const GRANT_COLUMNS = `id, client_id, subject, scopes, resource, created_at, expires_at,
  revoked_at, revoked_reason, last_used_at`;
export const REFRESH_COLUMNS = `rt.token_hash, rt.grant_id, rt.client_id, g.subject, rt.scopes,
  rt.resource, rt.created_at, rt.expires_at, rt.rotated_at`;

export function toGrant(row: GrantRow): GrantRecord {
  return {
    id: row.id,
    clientId: row.client_id,
    subject: row.subject,
    scopes: row.scopes,
    resource: row.resource,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    revokedReason: row.revoked_reason,
    lastUsedAt: row.last_used_at,
  };
}

export function toRefresh(row: RefreshRow): RefreshTokenRecord {
  return {
    tokenHash: row.token_hash,
    grantId: row.grant_id,
    clientId: row.client_id,
    subject: row.subject,
    scopes: row.scopes,
    resource: row.resource,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    rotatedAt: row.rotated_at,
  };
}
