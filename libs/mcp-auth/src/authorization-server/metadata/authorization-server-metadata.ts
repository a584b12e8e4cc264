import type { McpAuthConfig } from '../../mcp-auth.config';
import { PROMPT_VALUES_SUPPORTED, type PromptValue } from '../../oauth/prompt';
import type { TokenEndpointAuthMethod } from '../../storage/client-store.interface';
import { CLIENT_ASSERTION_ALGORITHMS } from '../client-authentication/client-assertion.verifier';
import { JWT_BEARER_GRANT_TYPE } from '../registration/client-metadata.interface';

/** Paths of the documents served at the origin root, whatever the route prefix. */
export const WELL_KNOWN_PATHS = {
  /**
   * RFC 8414 §3 (AS-3). The issuer never has a path (`validateIssuer` refuses one), so the
   * path-inserted form `/.well-known/oauth-authorization-server/{path}` does not arise.
   */
  authorizationServer: '.well-known/oauth-authorization-server',
  /** Must match `McpAuthConfig.endpoints.jwks`. */
  jwks: '.well-known/jwks.json',
} as const;

/**
 * RFC 8414 §2 authorization server metadata, as this library publishes it.
 * @publicApi
 */
export interface AuthorizationServerMetadata {
  readonly issuer: string;
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
  /** Only when dynamic registration is enabled. */
  readonly registration_endpoint?: string;
  readonly revocation_endpoint: string;
  readonly introspection_endpoint: string;
  readonly jwks_uri: string;
  readonly scopes_supported?: readonly string[];
  readonly response_types_supported: readonly string[];
  readonly response_modes_supported: readonly string[];
  readonly grant_types_supported: readonly string[];
  readonly token_endpoint_auth_signing_alg_values_supported: readonly string[];
  readonly revocation_endpoint_auth_signing_alg_values_supported: readonly string[];
  readonly introspection_endpoint_auth_signing_alg_values_supported: readonly string[];
  readonly code_challenge_methods_supported: readonly string[];
  readonly token_endpoint_auth_methods_supported: readonly TokenEndpointAuthMethod[];
  readonly revocation_endpoint_auth_methods_supported: readonly TokenEndpointAuthMethod[];
  readonly introspection_endpoint_auth_methods_supported: readonly TokenEndpointAuthMethod[];
  readonly authorization_response_iss_parameter_supported: true;
  /** OIDC Discovery 1.0 §3 name, also read by OAuth clients that send `prompt`. */
  readonly prompt_values_supported: readonly PromptValue[];
  /** draft-ietf-oauth-client-id-metadata-document §5: URL client ids are accepted (AS-11). */
  readonly client_id_metadata_document_supported?: true;
}

/**
 * Builds the metadata document of one module instance. Everything advertised describes built
 * behaviour ("advertise only what is built", design.md), which is why these are absent:
 * - OIDC members (`id_token_signing_alg_values_supported`, `userinfo_endpoint`, ...): this is
 *   an OAuth-only authorization server and issues no ID tokens;
 * - `service_documentation`: there is no option to configure it yet.
 */
export function buildAuthorizationServerMetadata(
  config: McpAuthConfig,
): AuthorizationServerMetadata {
  const { endpoints } = config;
  const metadata: AuthorizationServerMetadata = {
    // AS-4: byte-identical to the issuer (and so to PRM `authorization_servers` and `iss`).
    issuer: config.issuer,
    authorization_endpoint: endpoints.authorization,
    token_endpoint: endpoints.token,
    // AS-7 / AS-9: a disabled registration endpoint answers 404, so it is not advertised.
    ...(config.registration.enabled ? { registration_endpoint: endpoints.registration } : {}),
    revocation_endpoint: endpoints.revocation,
    introspection_endpoint: endpoints.introspection,
    jwks_uri: endpoints.jwks,
    // AS-7: offline_access is listed here (never in PRM) when configured.
    ...(config.scopesSupported.length > 0 ? { scopes_supported: [...config.scopesSupported] } : {}),
    // AS-5
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    // Machine grants only when something uses them (the extensions of AS-29).
    grant_types_supported: grantTypesSupported(config),
    // AS-6 / AS-13: S256 only; `plain` gives no protection against a code interceptor.
    code_challenge_methods_supported: ['S256'],
    // AS-7 / AS-20: `none` must be listed, since an absent member means client_secret_basic only.
    token_endpoint_auth_methods_supported: [
      'client_secret_basic',
      'client_secret_post',
      'private_key_jwt',
      'none',
    ],
    // RFC 7523 §2.2 client assertions, signed with one of these.
    token_endpoint_auth_signing_alg_values_supported: [...CLIENT_ASSERTION_ALGORITHMS],
    // AS-26 / RFC 7009 §2.1: public clients revoke their own tokens with just their client_id.
    revocation_endpoint_auth_methods_supported: [
      'client_secret_basic',
      'client_secret_post',
      'private_key_jwt',
      'none',
    ],
    revocation_endpoint_auth_signing_alg_values_supported: [...CLIENT_ASSERTION_ALGORITHMS],
    // AS-27 / RFC 7662 §2.1: the caller of introspection must authenticate, so no `none`.
    introspection_endpoint_auth_methods_supported: [
      'client_secret_basic',
      'client_secret_post',
      'private_key_jwt',
    ],
    introspection_endpoint_auth_signing_alg_values_supported: [...CLIENT_ASSERTION_ALGORITHMS],
    // AS-16: the authorization endpoint always sends `iss`, error responses included.
    authorization_response_iss_parameter_supported: true,
    // AS-18: `prompt` is honoured (SDK clients send prompt=consent with offline_access).
    prompt_values_supported: [...PROMPT_VALUES_SUPPORTED],
    // AS-11: clients of 2025-11-25 and later use a metadata document URL instead of /register.
    ...(config.clientMetadataDocuments.enabled
      ? { client_id_metadata_document_supported: true as const }
      : {}),
  };
  return deepFreeze(metadata);
}

function grantTypesSupported(config: McpAuthConfig): string[] {
  const grants = ['authorization_code', 'refresh_token'];
  if (config.clients.some((client) => client.grant_types?.includes('client_credentials'))) {
    grants.push('client_credentials');
  }
  if (config.enterprise.trustedIdentityProviders.length > 0) grants.push(JWT_BEARER_GRANT_TYPE);
  return grants;
}

function deepFreeze<T extends object>(value: T): T {
  for (const member of Object.values(value)) {
    if (typeof member === 'object' && member !== null) deepFreeze(member as object);
  }
  return Object.freeze(value);
}
