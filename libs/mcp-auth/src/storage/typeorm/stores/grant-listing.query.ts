import {
  type GrantListPage,
  type GrantListQuery,
  InvalidGrantListQueryError,
  MAX_GRANT_PAGE_SIZE,
} from '../../grant-store.interface';
import { decodeGrantCursor, encodeGrantCursor } from './grant-list-cursor';
import { GRANT_COLUMNS, type GrantRow, toGrant } from './grant-rows';
import { queryRows, type SqlRunner } from './query-rows';

/**
 * `GrantStore.listGrants`: one page of an issuer's grants, newest first, keyset-paginated on
 * (created_at, id). @throws InvalidGrantListQueryError for a bad limit or cursor
 */
export async function listGrants(
  sql: SqlRunner,
  issuer: string,
  query: GrantListQuery,
): Promise<GrantListPage> {
  const { limit } = query;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_GRANT_PAGE_SIZE) {
    throw new InvalidGrantListQueryError(
      `limit must be an integer from 1 to ${MAX_GRANT_PAGE_SIZE}`,
    );
  }
  const after = query.cursor === undefined ? undefined : decodeGrantCursor(query.cursor);
  // A few fixed statement shapes (so each is a named prepared statement with a plan that
  // uses the (issuer, subject|client_id, created_at, id) indexes), never optional predicates.
  const params: unknown[] = [issuer];
  const where = ['issuer = $1'];
  if (query.subject !== undefined) {
    params.push(query.subject);
    where.push(`subject = $${params.length}`);
  }
  if (query.clientId !== undefined) {
    params.push(query.clientId);
    where.push(`client_id = $${params.length}`);
  }
  if (query.status === 'active') where.push('revoked_at IS NULL AND expires_at > now()');
  if (after) {
    params.push(after.createdAt, after.id);
    where.push(`(created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
  }
  params.push(limit + 1);
  // The statement's text is kept byte for byte as measured in bench/results (its indentation
  // included): the prepared statement's name is a hash of it.
  const rows = await queryRows<GrantRow & { created_at_text: string }>(
    sql,
    `SELECT ${GRANT_COLUMNS},
         to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at_text
       FROM mcp_auth_grants WHERE ${where.join(' AND ')}
       ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
    params,
  );
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    grants: page.map(toGrant),
    nextCursor:
      rows.length > limit && last
        ? encodeGrantCursor({ createdAt: last.created_at_text, id: last.id })
        : null,
  };
}
