import type { McpAuthConfig } from '../../mcp-auth.config';
import { OAuthError } from '../../oauth/oauth-error';
import { canonicalizeResourceUri } from '../../oauth/resource-uri';
import type { FormParameters } from '../client-authentication/form-parameters';

/**
 * The `resource` of a token request (RFC 8707 §2, AS-15) in canonical form, or undefined when
 * the client sent none (03 clients and SDKs without PRM). Checked against the configured
 * resources before anything is consumed, so junk never burns a code or a refresh token.
 *
 * @throws OAuthError invalid_target
 */
export function readRequestedResource(
  params: FormParameters,
  config: McpAuthConfig,
): string | undefined {
  // RFC 8707 allows several resources; our tokens have a single audience (RS-7).
  if (params.isRepeated('resource')) {
    throw OAuthError.invalidTarget('Only one resource may be requested per token.');
  }
  const resource = params.get('resource');
  if (resource === undefined) {
    return undefined;
  }
  const canonical = canonicalizeResourceUri(resource);
  if (canonical === null) {
    throw OAuthError.invalidTarget('The resource must be an absolute URI without a fragment.');
  }
  if (!config.findResource(canonical)) {
    throw OAuthError.invalidTarget('The resource is not served by this authorization server.');
  }
  return canonical;
}

/** Whether a requested (canonical) resource names the resource a code or token is bound to. */
export function isSameResource(requested: string, bound: string): boolean {
  return requested === (canonicalizeResourceUri(bound) ?? bound);
}
