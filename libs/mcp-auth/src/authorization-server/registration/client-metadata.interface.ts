import type { TokenEndpointAuthMethod } from '../../storage/client-store.interface';

/** RFC 7523 §2.1 JWT bearer grant: how an ID-JAG is redeemed (enterprise-managed access). */
export const JWT_BEARER_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** Grant types a client may register (AS-9): the ones the token endpoint implements. */
export const SUPPORTED_GRANT_TYPES = [
  'authorization_code',
  'refresh_token',
  'client_credentials',
  JWT_BEARER_GRANT_TYPE,
] as const;

/** Grants a client uses without a user at a browser: no redirect URI needed. */
export const MACHINE_GRANT_TYPES: readonly string[] = ['client_credentials', JWT_BEARER_GRANT_TYPE];
export type SupportedGrantType = (typeof SUPPORTED_GRANT_TYPES)[number];

/** Response types a client may register: only the authorization code flow (AS-5). */
export const SUPPORTED_RESPONSE_TYPES = ['code'] as const;
export type SupportedResponseType = (typeof SUPPORTED_RESPONSE_TYPES)[number];

export const SUPPORTED_TOKEN_ENDPOINT_AUTH_METHODS: readonly TokenEndpointAuthMethod[] = [
  'none',
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
];

/** A JSON Web Key Set of public keys (RFC 7517 §5), as a client registers it. */
export type PublicJwks = { keys: Record<string, unknown>[] };

export const APPLICATION_TYPES = ['web', 'native'] as const;
export type ApplicationType = (typeof APPLICATION_TYPES)[number];

/**
 * RFC 7591 §2 client metadata after validation and defaults: what is stored and echoed back.
 * Members a client did not send (and that have no default) are absent. A type alias rather
 * than an interface, so it is assignable to the policy hook's `Record<string, unknown>`.
 * @publicApi
 */
export type ClientMetadata = {
  redirect_uris: string[];
  token_endpoint_auth_method: TokenEndpointAuthMethod;
  grant_types: SupportedGrantType[];
  response_types: SupportedResponseType[];
  application_type: ApplicationType;
  /** Space-separated; every scope is in the metadata `scopes_supported`. */
  scope?: string;
  client_name?: string;
  client_uri?: string;
  logo_uri?: string;
  tos_uri?: string;
  policy_uri?: string;
  contacts?: string[];
  software_id?: string;
  software_version?: string;
  /** `private_key_jwt` clients: their public keys, inline (RFC 7591 §2). */
  jwks?: PublicJwks;
  /** `private_key_jwt` clients: where their public keys are published (https). */
  jwks_uri?: string;
};

/** Members of {@link ClientMetadata} kept in the store's free-form `metadata` column. */
export const EXTRA_METADATA_MEMBERS = [
  'client_uri',
  'logo_uri',
  'tos_uri',
  'policy_uri',
  'contacts',
  'software_id',
  'software_version',
  'jwks',
  'jwks_uri',
] as const satisfies readonly (keyof ClientMetadata)[];

/**
 * RFC 7591 §3.2.1 client information response.
 * @publicApi
 */
export type ClientInformationResponse = ClientMetadata & {
  client_id: string;
  /** Seconds since the epoch. */
  client_id_issued_at: number;
  /** Only for confidential clients, and only in this one response. */
  client_secret?: string;
  /** Required whenever a secret is issued (AS-9); 0 means it never expires. */
  client_secret_expires_at?: number;
};
