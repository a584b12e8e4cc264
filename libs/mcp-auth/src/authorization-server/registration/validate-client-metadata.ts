import { validateSync, type ValidationError } from 'class-validator';
import { OAuthError } from '../../oauth/oauth-error';
import { validateRedirectUriForRegistration } from '../../oauth/redirect-uri';
import { formatScope, parseScope } from '../../oauth/scope';
import {
  type ClientMetadata,
  MACHINE_GRANT_TYPES,
  type SupportedGrantType,
} from './client-metadata.interface';
import { isMachineOnly, REGISTER_CLIENT_MEMBERS, RegisterClientDto } from './register-client.dto';

/** What the metadata is checked against, from the module configuration. */
export interface ClientMetadataRules {
  /** The metadata `scopes_supported`: a registered `scope` may only name these. */
  scopesSupported: readonly string[];
  /**
   * Grant types this way of registering may ask for. Default: authorization_code and
   * refresh_token (dynamic registration unless the operator allows more).
   */
  grantTypes?: readonly string[];
}

/**
 * Default `grant_types`: both, not RFC 7591's `["authorization_code"]`. RFC 7591 §3.2.1 lets
 * the server substitute values and the response echoes what was granted, so the client learns
 * it; in exchange a client that omits the member still gets refresh tokens (AS-23 may gate them
 * on `grant_types`), like the SDK and Inspector, which send both, and like static clients.
 */
export const DEFAULT_GRANT_TYPES: readonly SupportedGrantType[] = [
  'authorization_code',
  'refresh_token',
];

/**
 * Validates RFC 7591 §2 client metadata and applies the defaults (AS-9, AS-10).
 *
 * Only the members of {@link RegisterClientDto} are read; unknown members are ignored and
 * dropped, never stored or echoed. `null` and `""` count as absent: some clients send every
 * member whether set or not.
 *
 * @throws OAuthError `invalid_redirect_uri` for any problem with `redirect_uris` (missing,
 *   not a list, too many, or a URI that `validateRedirectUriForRegistration` refuses), else
 *   `invalid_client_metadata` (RFC 7591 §3.2.2).
 */
export function validateClientMetadata(input: unknown, rules: ClientMetadataRules): ClientMetadata {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw OAuthError.invalidClientMetadata('The client metadata must be a JSON object.');
  }
  const dto = copyKnownMembers(input as Record<string, unknown>);
  const errors = validateSync(dto, {
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
  });
  if (errors.length > 0) {
    throw toOAuthError(errors);
  }

  // AS-10: 26 clients always send it; older ones do not, and RFC 7591 / OIDC default to web.
  const applicationType = dto.application_type ?? 'web';
  for (const [index, uri] of (dto.redirect_uris ?? []).entries()) {
    // AS-14: https, loopback http, or (native only) a private-use scheme; no fragments,
    // user information, relative or dangerous URIs.
    const check = validateRedirectUriForRegistration(uri, applicationType);
    if (!check.ok) {
      throw OAuthError.invalidRedirectUri(`redirect_uris[${index}]: ${check.reason}`);
    }
  }

  const grantTypes = unique(dto.grant_types ?? DEFAULT_GRANT_TYPES) as SupportedGrantType[];
  const allowed = rules.grantTypes ?? DEFAULT_GRANT_TYPES;
  const refused = grantTypes.filter((grant) => !allowed.includes(grant));
  if (refused.length > 0) {
    throw OAuthError.invalidClientMetadata(
      `grant_types: ${refused.join(', ')} may not be registered here`,
    );
  }
  const machineOnly = isMachineOnly({ grant_types: grantTypes });
  // RFC 7591 §2.1: `code` goes with authorization_code, the only grant that starts a token
  // family from a browser. Without it a client needs a machine grant, and a credential.
  if (!grantTypes.includes('authorization_code') && !machineOnly) {
    throw OAuthError.invalidClientMetadata('grant_types must include authorization_code');
  }
  const method = dto.token_endpoint_auth_method ?? 'client_secret_basic';
  if (method === 'none' && grantTypes.some((grant) => MACHINE_GRANT_TYPES.includes(grant))) {
    throw OAuthError.invalidClientMetadata(
      'client_credentials and jwt-bearer grants need a client that authenticates',
    );
  }

  const metadata: ClientMetadata = {
    redirect_uris: unique(dto.redirect_uris ?? []),
    // RFC 7591 §2 default. MCP clients register `none` explicitly.
    token_endpoint_auth_method: dto.token_endpoint_auth_method ?? 'client_secret_basic',
    grant_types: grantTypes,
    response_types: grantTypes.includes('authorization_code') ? ['code'] : [],
    application_type: applicationType,
  };
  const scope = normalizeScope(dto.scope, rules);
  if (scope !== undefined) metadata.scope = scope;
  if (dto.client_name !== undefined) metadata.client_name = dto.client_name;
  if (dto.client_uri !== undefined) metadata.client_uri = dto.client_uri;
  if (dto.logo_uri !== undefined) metadata.logo_uri = dto.logo_uri;
  if (dto.tos_uri !== undefined) metadata.tos_uri = dto.tos_uri;
  if (dto.policy_uri !== undefined) metadata.policy_uri = dto.policy_uri;
  if (dto.contacts !== undefined) metadata.contacts = unique(dto.contacts);
  if (dto.software_id !== undefined) metadata.software_id = dto.software_id;
  if (dto.software_version !== undefined) metadata.software_version = dto.software_version;
  if (metadata.token_endpoint_auth_method === 'private_key_jwt') {
    Object.assign(metadata, clientKeys(dto));
  }
  return metadata;
}

/**
 * RFC 7591 §2: a `private_key_jwt` client gives its keys as exactly one of `jwks` and
 * `jwks_uri` (https: it is fetched by the server). Other clients' keys are not kept: nothing
 * here would use them.
 */
function clientKeys(dto: RegisterClientDto): Pick<ClientMetadata, 'jwks' | 'jwks_uri'> {
  if ((dto.jwks === undefined) === (dto.jwks_uri === undefined)) {
    throw OAuthError.invalidClientMetadata(
      'token_endpoint_auth_method private_key_jwt needs exactly one of jwks and jwks_uri',
    );
  }
  if (dto.jwks_uri !== undefined) {
    if (!dto.jwks_uri.startsWith('https://')) {
      throw OAuthError.invalidClientMetadata('jwks_uri must be an https URL');
    }
    return { jwks_uri: dto.jwks_uri };
  }
  return { jwks: dto.jwks };
}

function copyKnownMembers(input: Record<string, unknown>): RegisterClientDto {
  const dto = new RegisterClientDto();
  const target = dto as unknown as Record<string, unknown>;
  for (const member of REGISTER_CLIENT_MEMBERS) {
    // Own members only: a JSON body can carry `__proto__`, a plain object inherits nothing useful.
    if (!Object.prototype.hasOwnProperty.call(input, member)) continue;
    const value = input[member];
    if (value === null || value === '') continue;
    target[member] = value;
  }
  return dto;
}

/** The first failing member, in the DTO's reporting order, as an RFC 7591 error. */
function toOAuthError(errors: ValidationError[]): OAuthError {
  const order: readonly string[] = REGISTER_CLIENT_MEMBERS;
  const [first] = [...errors].sort((a, b) => order.indexOf(a.property) - order.indexOf(b.property));
  const description = Object.values(first.constraints ?? {})[0] ?? `${first.property} is invalid`;
  return first.property === 'redirect_uris'
    ? OAuthError.invalidRedirectUri(description)
    : OAuthError.invalidClientMetadata(description);
}

function normalizeScope(scope: string | undefined, rules: ClientMetadataRules): string | undefined {
  let tokens: string[];
  try {
    tokens = parseScope(scope);
  } catch (error) {
    const reason = error instanceof OAuthError ? error.description : undefined;
    throw OAuthError.invalidClientMetadata(reason ?? 'scope is malformed');
  }
  const unsupported = tokens.filter((token) => !rules.scopesSupported.includes(token));
  if (unsupported.length > 0) {
    throw OAuthError.invalidClientMetadata(
      `scope names scopes this server does not support: ${unsupported.join(' ')}`,
    );
  }
  return tokens.length > 0 ? formatScope(tokens) : undefined;
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}
