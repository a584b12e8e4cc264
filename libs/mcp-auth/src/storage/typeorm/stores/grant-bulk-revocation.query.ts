import type {
  GrantRecord,
  GrantRevocationFilter,
  GrantRevocationReason,
} from '../../grant-store.interface';
import { GRANT_COLUMNS, type GrantRow, toGrant } from './grant-rows';
import { queryRows, type SqlRunner } from './query-rows';
import { revocationNotice } from './revocation-notice';
import { isUuid } from './uuid';

/**
 * `GrantStore.revokeGrantsWhere`: ends every live grant of the issuer matching all the members
 * given, and returns them as revoked.
 */
export async function revokeGrantsWhere(
  sql: SqlRunner,
  issuer: string,
  filter: GrantRevocationFilter,
  reason: GrantRevocationReason,
): Promise<GrantRecord[]> {
  const { subject, clientId, grantId } = filter;
  if (subject === undefined && clientId === undefined && grantId === undefined) {
    throw new Error('revokeGrantsWhere needs a subject, a client id or a grant id');
  }
  if (grantId !== undefined && !isUuid(grantId)) return [];
  // Only the members given, so each variant can use its index (no `$n IS NULL OR …`).
  const args: unknown[] = [issuer, reason];
  const where = [
    ['subject', subject],
    ['client_id', clientId],
    ['id', grantId],
  ]
    .filter((member): member is [string, string] => member[1] !== undefined)
    .map(([column, value]) => `${column} = $${args.push(value)}`);
  // Live grants only: an expired one has nothing left to end. One set-based UPDATE; each
  // revoked row NOTIFYs, delivered when the statement commits. (The statement's text, its
  // indentation included, is the one the prepared-statement name and bench/results go by.)
  const rows = await queryRows<GrantRow>(
    sql,
    `UPDATE mcp_auth_grants SET revoked_at = now(), revoked_reason = $2
       WHERE issuer = $1 AND revoked_at IS NULL AND expires_at > now() AND ${where.join(' AND ')}
       RETURNING ${GRANT_COLUMNS}, ${revocationNotice('grant', 'id')}`,
    args,
  );
  return rows.map(toGrant);
}
