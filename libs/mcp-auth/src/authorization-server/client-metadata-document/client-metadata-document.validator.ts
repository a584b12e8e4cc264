import { OAuthError } from '../../oauth/oauth-error';
import { parseScope } from '../../oauth/scope';
import type { JsonObject, JsonValue } from '../../outbound/outbound.types';
import {
  SUPPORTED_RESPONSE_TYPES,
  type ClientMetadata,
} from '../registration/client-metadata.interface';
import {
  DEFAULT_GRANT_TYPES,
  validateClientMetadata,
  type ClientMetadataRules,
} from '../registration/validate-client-metadata';

/** Members that carry or describe a shared secret: a public document never may (CIMD §4.1). */
const SECRET_MEMBERS = ['client_secret', 'client_secret_expires_at'] as const;
const SHARED_SECRET_METHODS: ReadonlySet<string> = new Set([
  'client_secret_basic',
  'client_secret_post',
  'client_secret_jwt',
]);

/** The document is not an acceptable client description; the message says why. */
export class InvalidClientMetadataDocument extends Error {
  override readonly name = 'InvalidClientMetadataDocument';
}

/**
 * Checks a fetched Client ID Metadata Document and turns it into validated client metadata
 * (AS-11): `client_id` equals the URL it was fetched from, byte for byte; `client_name` and
 * `redirect_uris` are present; redirect URIs pass the registration rules (AS-14); no shared
 * secret, and `token_endpoint_auth_method` is `none` (the default here, since a public document
 * cannot hold a secret) or `private_key_jwt` with exactly one of `jwks` and `jwks_uri`.
 *
 * A document is written for every server its client talks to, so what this server does not
 * offer is left out rather than refused: grant and response types it does not implement,
 * scopes it does not know, members it does not understand.
 *
 * @throws InvalidClientMetadataDocument
 */
export function validateClientMetadataDocument(
  url: string,
  document: JsonObject,
  rules: ClientMetadataRules,
): ClientMetadata {
  const member = (name: string): JsonValue | undefined =>
    Object.prototype.hasOwnProperty.call(document, name) ? document[name] : undefined;

  if (member('client_id') !== url) {
    throw new InvalidClientMetadataDocument(
      'its client_id is not exactly the URL it was fetched from',
    );
  }
  const clientName = member('client_name');
  if (typeof clientName !== 'string' || clientName.trim() === '') {
    throw new InvalidClientMetadataDocument('it has no client_name');
  }
  if (member('redirect_uris') === undefined) {
    throw new InvalidClientMetadataDocument('it has no redirect_uris');
  }
  for (const name of SECRET_MEMBERS) {
    if (member(name) !== undefined) {
      throw new InvalidClientMetadataDocument(`it contains ${name}; a public document cannot`);
    }
  }
  const method = checkAuthenticationMethod(member);

  // A document client signs users in through the browser: machine grants are left out.
  const grantTypes = onlySupported(member('grant_types'), DEFAULT_GRANT_TYPES, 'grant_types');
  const responseTypes = onlySupported(
    member('response_types'),
    SUPPORTED_RESPONSE_TYPES,
    'response_types',
  );
  try {
    return validateClientMetadata(
      {
        ...document,
        token_endpoint_auth_method: method,
        grant_types: grantTypes,
        response_types: responseTypes,
        scope: knownScopes(member('scope'), rules),
      },
      rules,
    );
  } catch (error) {
    if (error instanceof OAuthError) {
      throw new InvalidClientMetadataDocument(error.description ?? error.error);
    }
    throw error;
  }
}

function checkAuthenticationMethod(
  member: (name: string) => JsonValue | undefined,
): 'none' | 'private_key_jwt' {
  const method = member('token_endpoint_auth_method');
  if (method === undefined || method === null || method === 'none') return 'none';
  if (typeof method !== 'string') {
    throw new InvalidClientMetadataDocument('token_endpoint_auth_method must be a string');
  }
  if (SHARED_SECRET_METHODS.has(method)) {
    throw new InvalidClientMetadataDocument(
      `token_endpoint_auth_method ${method} relies on a shared secret, which a metadata document cannot hold`,
    );
  }
  if (method !== 'private_key_jwt') {
    throw new InvalidClientMetadataDocument(
      `token_endpoint_auth_method ${method} is not supported (use none or private_key_jwt)`,
    );
  }
  const jwks = member('jwks');
  const jwksUri = member('jwks_uri');
  if ((jwks === undefined) === (jwksUri === undefined)) {
    // RFC 7591 §2: exactly one of the two.
    throw new InvalidClientMetadataDocument(
      'private_key_jwt needs exactly one of jwks and jwks_uri',
    );
  }
  if (jwks !== undefined && !isKeySet(jwks)) {
    throw new InvalidClientMetadataDocument('jwks must be a JWK Set with a keys list');
  }
  if (jwksUri !== undefined && (typeof jwksUri !== 'string' || !/^https:\/\/[^/]/i.test(jwksUri))) {
    throw new InvalidClientMetadataDocument('jwks_uri must be an https URL');
  }
  return 'private_key_jwt';
}

function isKeySet(value: JsonValue): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Array.isArray(value.keys) &&
    value.keys.length > 0
  );
}

/**
 * The listed values this server implements. A list that names none of them is refused (the
 * client could not use the code flow here); an absent member keeps the registration default.
 */
function onlySupported(
  value: JsonValue | undefined,
  supported: readonly string[],
  name: string,
): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new InvalidClientMetadataDocument(`${name} must be a list of strings`);
  }
  const kept = value.filter((item) => supported.includes(item));
  if (kept.length === 0) {
    throw new InvalidClientMetadataDocument(
      `${name} lists nothing this server supports (${supported.join(', ')})`,
    );
  }
  return kept;
}

function knownScopes(value: JsonValue | undefined, rules: ClientMetadataRules): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw new InvalidClientMetadataDocument('scope must be a space-separated string');
  }
  let tokens: string[];
  try {
    tokens = parseScope(value);
  } catch {
    throw new InvalidClientMetadataDocument('scope is malformed');
  }
  const kept = tokens.filter((token) => rules.scopesSupported.includes(token));
  return kept.length > 0 ? kept.join(' ') : undefined;
}
