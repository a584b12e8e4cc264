import type { OpenApiOperations, OpenApiResponseDoc, OpenApiSchema } from './openapi';

/**
 * How the module's endpoints are described in a host's OpenAPI document (`openApi.include`),
 * keyed by handler name. Schemas follow the RFCs each endpoint implements; they are written out
 * here because the handlers take raw requests (forms are parsed by hand, strictly), so there is
 * no DTO class for Swagger to read.
 */

export const FORM = ['application/x-www-form-urlencoded'] as const;

export const string = (description: string): OpenApiSchema => ({ type: 'string', description });
const integer = (description: string): OpenApiSchema => ({ type: 'integer', description });
const strings = (description: string): OpenApiSchema => ({
  type: 'array',
  items: { type: 'string' },
  description,
});

/** RFC 6749 §5.2 error body, sent by every JSON endpoint. */
const OAUTH_ERROR: OpenApiSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: string('Error code, e.g. invalid_request, invalid_client, invalid_grant.'),
    error_description: string('Human-readable explanation, for developers.'),
  },
};

const error = (description: string): OpenApiResponseDoc => ({ description, schema: OAUTH_ERROR });

/** Client credentials in the body (`client_secret_post`, or `none` with only the id). */
const CLIENT_CREDENTIALS: Record<string, OpenApiSchema> = {
  client_id: string('The client, unless it authenticates with HTTP Basic (client_secret_basic).'),
  client_secret: string('Its secret, for client_secret_post.'),
};

const TOKEN_REQUEST: OpenApiSchema = {
  type: 'object',
  required: ['grant_type'],
  properties: {
    grant_type: { type: 'string', enum: ['authorization_code', 'refresh_token'] },
    code: string('authorization_code: the code from the authorization response.'),
    redirect_uri: string('authorization_code: the redirect URI of the authorization request.'),
    code_verifier: string('authorization_code: the PKCE verifier (S256).'),
    refresh_token: string('refresh_token: the refresh token.'),
    resource: string('The MCP resource the token is for (RFC 8707): its canonical URI.'),
    scope: string('refresh_token: a narrower set of the granted scopes, space-separated.'),
    ...CLIENT_CREDENTIALS,
  },
};

const TOKEN_RESPONSE: OpenApiSchema = {
  type: 'object',
  required: ['access_token', 'token_type', 'expires_in'],
  properties: {
    access_token: string('JWT access token (RFC 9068) for the resource.'),
    token_type: { type: 'string', enum: ['Bearer'] },
    expires_in: integer('Seconds until the access token expires.'),
    scope: string('Granted scopes, space-separated.'),
    refresh_token: string('Single-use refresh token, when offline access was granted.'),
  },
};

const TOKEN_FORM: OpenApiSchema = {
  type: 'object',
  required: ['token'],
  properties: {
    token: string('The access or refresh token.'),
    token_type_hint: { type: 'string', enum: ['access_token', 'refresh_token'] },
    ...CLIENT_CREDENTIALS,
  },
};

/** RFC 7591 §2 client metadata; unknown members are ignored. */
const CLIENT_METADATA_PROPERTIES: Record<string, OpenApiSchema> = {
  redirect_uris: strings('Redirect URIs: https, or http on a loopback address.'),
  token_endpoint_auth_method: {
    type: 'string',
    enum: ['none', 'client_secret_basic', 'client_secret_post'],
  },
  grant_types: strings('authorization_code and/or refresh_token.'),
  response_types: strings('code.'),
  client_name: string('Name shown on the consent page.'),
  client_uri: string('Home page of the client.'),
  logo_uri: string('Logo of the client.'),
  scope: string('Scopes the client may ask for, space-separated.'),
  contacts: strings('People responsible for the client.'),
  tos_uri: string('Terms of service.'),
  policy_uri: string('Privacy policy.'),
  software_id: string('Identifier of the client software.'),
  software_version: string('Version of the client software.'),
};

const CLIENT_INFORMATION: OpenApiSchema = {
  type: 'object',
  required: ['client_id', 'client_id_issued_at'],
  properties: {
    client_id: string('The new client identifier.'),
    client_secret: string('Its secret, for a confidential client; shown only once.'),
    client_id_issued_at: integer('Seconds since the epoch.'),
    client_secret_expires_at: integer('Seconds since the epoch; 0 when it never expires.'),
    ...CLIENT_METADATA_PROPERTIES,
  },
};

const INTROSPECTION_RESPONSE: OpenApiSchema = {
  type: 'object',
  required: ['active'],
  properties: {
    active: { type: 'boolean', description: 'false for any token that is not live: nothing else.' },
    scope: string('Scopes, space-separated.'),
    client_id: string('Client the token was issued to.'),
    sub: string('Resource owner.'),
    aud: { description: 'Resource (access tokens).', oneOf: [{ type: 'string' }, strings('')] },
    iss: string('Issuer (access tokens).'),
    exp: integer('Expiry, seconds since the epoch.'),
    iat: integer('Issued at (access tokens).'),
    jti: string('Token identifier (access tokens).'),
    token_type: { type: 'string', enum: ['Bearer', 'refresh_token'] },
  },
};

const AUTHORIZATION_SERVER_METADATA: OpenApiSchema = {
  type: 'object',
  required: ['issuer', 'authorization_endpoint', 'token_endpoint', 'response_types_supported'],
  properties: {
    issuer: string('The issuer identifier.'),
    authorization_endpoint: string('Where the browser is sent to authorize (GET or POST).'),
    token_endpoint: string('Token endpoint.'),
    registration_endpoint: string('Dynamic client registration (RFC 7591), when enabled.'),
    revocation_endpoint: string('Token revocation (RFC 7009).'),
    introspection_endpoint: string('Token introspection (RFC 7662).'),
    jwks_uri: string('Public keys of the access tokens.'),
    scopes_supported: strings('Every scope the server knows.'),
    response_types_supported: strings('code.'),
    grant_types_supported: strings('authorization_code, refresh_token.'),
    code_challenge_methods_supported: strings('S256.'),
    token_endpoint_auth_methods_supported: strings('Client authentication methods.'),
  },
  additionalProperties: true,
};

const JWKS: OpenApiSchema = {
  type: 'object',
  required: ['keys'],
  properties: {
    keys: {
      type: 'array',
      description: 'Public JWKs (RFC 7517), current and recently retired.',
      items: { type: 'object', additionalProperties: true },
    },
  },
};

const PROTECTED_RESOURCE_METADATA: OpenApiSchema = {
  type: 'object',
  required: ['resource', 'authorization_servers'],
  properties: {
    resource: string('Canonical URI of the MCP endpoint: the audience of its tokens.'),
    authorization_servers: strings('Issuers whose tokens it accepts.'),
    scopes_supported: strings('Scopes the resource understands.'),
    bearer_methods_supported: strings('header.'),
    resource_name: string('Human-readable name.'),
    resource_documentation: string('Page for developers.'),
  },
};

export const AUTHORIZATION_SERVER_METADATA_OPERATIONS: OpenApiOperations = {
  getMetadata: {
    summary: 'Authorization server metadata (RFC 8414)',
    description: 'How clients discover every endpoint of this authorization server.',
    responses: { 200: { description: 'The metadata.', schema: AUTHORIZATION_SERVER_METADATA } },
  },
};

export const JWKS_OPERATIONS: OpenApiOperations = {
  getJwks: {
    summary: 'Public signing keys (JWKS)',
    description: 'Keys resource servers verify access tokens with.',
    responses: { 200: { description: 'The key set.', schema: JWKS } },
  },
};

export const CLIENT_REGISTRATION_OPERATIONS: OpenApiOperations = {
  register: {
    summary: 'Register a client (RFC 7591)',
    body: {
      mediaTypes: ['application/json'],
      description: 'Client metadata.',
      schema: {
        type: 'object',
        required: ['redirect_uris'],
        properties: CLIENT_METADATA_PROPERTIES,
      },
    },
    responses: {
      201: { description: 'The registered client.', schema: CLIENT_INFORMATION },
      400: error('invalid_request, invalid_client_metadata or invalid_redirect_uri.'),
      404: error('Dynamic registration is disabled.'),
    },
  },
};

export const TOKEN_OPERATIONS: OpenApiOperations = {
  token: {
    summary: 'Exchange a grant for tokens',
    description:
      'authorization_code (with PKCE) or refresh_token. Confidential clients authenticate with ' +
      'HTTP Basic or client_secret in the body; public clients send their client_id.',
    body: { mediaTypes: FORM, schema: TOKEN_REQUEST },
    responses: {
      200: { description: 'Tokens (never cached).', schema: TOKEN_RESPONSE },
      400: error('invalid_request, invalid_grant, unsupported_grant_type, invalid_scope, ...'),
      401: error('invalid_client: the client could not be authenticated.'),
    },
  },
};

export const REVOCATION_OPERATIONS: OpenApiOperations = {
  revoke: {
    summary: 'Revoke a token (RFC 7009)',
    description: 'Revoking a refresh token also ends the access tokens of its grant.',
    body: { mediaTypes: FORM, schema: TOKEN_FORM },
    responses: {
      200: { description: 'Revoked, or nothing to revoke: the answer is the same.' },
      400: error('invalid_request.'),
      401: error('invalid_client.'),
    },
  },
};

export const INTROSPECTION_OPERATIONS: OpenApiOperations = {
  introspect: {
    summary: 'Introspect a token (RFC 7662)',
    description: 'For the confidential clients listed in introspection.allowedClients.',
    body: { mediaTypes: FORM, schema: TOKEN_FORM },
    responses: {
      200: {
        description: 'What the token is, or { active: false }.',
        schema: INTROSPECTION_RESPONSE,
      },
      400: error('invalid_request.'),
      401: error('invalid_client.'),
      403: error('unauthorized_client: this client may not introspect.'),
    },
  },
};

export const PROTECTED_RESOURCE_METADATA_OPERATIONS: OpenApiOperations = {
  getMetadata: {
    summary: 'Protected resource metadata (RFC 9728)',
    description:
      'Which authorization servers issue tokens for an MCP endpoint and which scopes it knows. ' +
      "Served at the root and with the endpoint's path appended.",
    responses: {
      200: { description: 'The metadata.', schema: PROTECTED_RESOURCE_METADATA },
      404: { description: 'No protected resource lives at this path.' },
    },
  },
};
