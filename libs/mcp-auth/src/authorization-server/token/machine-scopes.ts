import type { ResolvedResource } from '../../mcp-auth.config';
import { OAuthError } from '../../oauth/oauth-error';
import { parseScope } from '../../oauth/scope';
import type { ClientRecord } from '../../storage/client-store.interface';

/**
 * Scopes of a token issued without a user at a browser (client credentials, ID-JAG): what was
 * asked for, within what the client may have (its registered `scope`, else the resource's
 * scopes) and within what the resource understands. Nothing asked: the resource's defaults
 * the client may have. Asking for `offline_access` is `invalid_scope`: no refresh token is issued.
 *
 * @throws OAuthError invalid_scope
 */
export function machineScopes(
  requested: readonly string[],
  client: ClientRecord,
  resource: ResolvedResource,
  limit?: readonly string[],
): string[] {
  // The administration API's scope only for a client registered with it, never by default.
  const registered = client.scope
    ? parseScope(client.scope)
    : resource.administration
      ? []
      : resource.scopes;
  const allowed = registered.filter(
    (scope) => resource.scopes.includes(scope) && (!limit || limit.includes(scope)),
  );
  if (resource.administration && allowed.length === 0) {
    throw OAuthError.invalidScope('This client is not registered for the administration scope.');
  }
  if (requested.length === 0) {
    return resource.defaultScopes.filter((scope) => allowed.includes(scope));
  }
  const refused = requested.filter((scope) => !allowed.includes(scope));
  if (refused.length > 0) {
    throw OAuthError.invalidScope(`Not granted to this client here: ${refused.join(' ')}`);
  }
  return [...new Set(requested)];
}
