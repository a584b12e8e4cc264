import { REVOCATION_CHANNEL } from '../../grant-store.interface';

/**
 * The SQL of the `NOTIFY` sent for each revoked grant or access token, for use in a
 * `RETURNING` clause: every instance's deny-list takes it, and `at` (epoch milliseconds) lets
 * it measure how long the news took. One definition, so every revoking statement says the same.
 */
export function revocationNotice(kind: 'grant' | 'access_token', idColumn: string): string {
  return `pg_notify('${REVOCATION_CHANNEL}', json_build_object(
    'issuer', issuer, 'kind', '${kind}', 'id', ${idColumn},
    'at', floor(extract(epoch FROM now()) * 1000))::text)`;
}
