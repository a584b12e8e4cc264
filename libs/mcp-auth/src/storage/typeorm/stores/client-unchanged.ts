/**
 * SQL condition: the client row is still the version the caller authenticated against
 * (`ClientRecord.version`, the row's `xmin`), or no version was given (nothing to confirm).
 * Any change of the row (secret rotated, grant types changed, re-registered) gives it a new
 * xmin, and a deleted client has no row: either way the grant's statement changes nothing and
 * says `client_changed`, so the token endpoint reads the client again.
 *
 * @param issuer, clientId, version placeholders such as `$1`
 */
export function clientUnchanged(issuer: string, clientId: string, version: string): string {
  return `(${version}::text IS NULL OR EXISTS (
      SELECT 1 FROM mcp_auth_clients c
      WHERE c.issuer = ${issuer} AND c.client_id = ${clientId} AND c.xmin::text = ${version}))`;
}
