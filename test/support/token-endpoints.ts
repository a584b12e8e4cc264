import type { Server } from 'node:http';
import type { Response } from 'supertest';
import request from 'supertest';
import { createTestApp, type TestApp, type TestAppOptions } from './test-app';
import {
  McpAuthConfig,
  AuthorizationCodeStore,
  type AuthorizationCodeStore as CodeStore,
  ClientStore,
  type ClientStore as ClientStoreContract,
  type TokenEndpointAuthMethod,
  GrantStore,
  type GrantStore as GrantStoreContract,
} from '@app/mcp-auth';
import { computeS256Challenge } from './pkce';
import { hashSecret, randomId, randomToken } from './secrets';

/** Shared set-up of the token, revocation and introspection e2e specs. */

export const REDIRECT_URI = 'http://127.0.0.1:8976/callback';

/** The app the token, revocation and introspection specs run against. */
export function createTokenTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  return createTestApp(options);
}

export interface TestClient {
  clientId: string;
  /** Plain secret; undefined for public clients. */
  secret: string | undefined;
  method: TokenEndpointAuthMethod;
}

export interface ClientOverrides {
  /** A fixed id, e.g. to list the client in `introspection.allowedClients`. */
  clientId?: string;
  grantTypes?: string[];
  clientSecretExpiresAt?: Date | null;
}

/** Registers a client straight through the store (registration is another endpoint's job). */
export async function registerClient(
  t: TestApp,
  method: TokenEndpointAuthMethod,
  overrides: ClientOverrides = {},
): Promise<TestClient> {
  const clientId = overrides.clientId ?? randomId();
  const secret = method === 'none' ? undefined : randomToken();
  await t.app.get<symbol, ClientStoreContract>(ClientStore).create({
    clientId,
    clientSecretHash: secret === undefined ? null : hashSecret(secret),
    clientSecretExpiresAt: overrides.clientSecretExpiresAt ?? null,
    redirectUris: [REDIRECT_URI],
    tokenEndpointAuthMethod: method,
    grantTypes: overrides.grantTypes ?? ['authorization_code', 'refresh_token'],
    responseTypes: ['code'],
    applicationType: 'native',
    clientName: `test ${method}`,
    scope: null,
    metadata: {},
    source: 'dynamic',
  });
  return { clientId, secret, method };
}

export interface SeededCode {
  code: string;
  verifier: string;
  grantId: string;
  redirectUri: string;
  resource: string;
  scopes: string[];
}

export interface CodeOverrides {
  scopes?: string[];
  redirectUriProvided?: boolean;
  /** Seconds until expiry; negative for an already expired code. */
  expiresIn?: number;
}

/**
 * Creates a grant and an authorization code for it, as /authorize would after consent: the
 * code stored only as its hash, bound to client, redirect URI, S256 challenge and resource.
 */
export async function seedCode(
  t: TestApp,
  client: TestClient,
  overrides: CodeOverrides = {},
): Promise<SeededCode> {
  const config = t.app.get(McpAuthConfig);
  const resource = config.defaultResource.uri;
  const scopes = overrides.scopes ?? ['mcp:tools', 'mcp:resources'];
  const grant = await t.app.get<symbol, GrantStoreContract>(GrantStore).createGrant({
    clientId: client.clientId,
    subject: 'user-alice',
    scopes,
    resource,
    expiresAt: new Date(Date.now() + 3_600_000),
  });
  const code = randomToken();
  const verifier = randomToken(48);
  await t.app.get<symbol, CodeStore>(AuthorizationCodeStore).create({
    codeHash: hashSecret(code),
    grantId: grant.id,
    clientId: client.clientId,
    subject: 'user-alice',
    redirectUri: REDIRECT_URI,
    redirectUriProvided: overrides.redirectUriProvided ?? true,
    scopes,
    resource,
    codeChallenge: computeS256Challenge(verifier),
    codeChallengeMethod: 'S256',
    expiresAt: new Date(Date.now() + (overrides.expiresIn ?? 60) * 1000),
  });
  return { code, verifier, grantId: grant.id, redirectUri: REDIRECT_URI, resource, scopes };
}

/** `Authorization: Basic` for client_secret_basic (RFC 6749 §2.3.1: form-encode, then base64). */
export function basicHeader(clientId: string, secret: string): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(secret)}`).toString('base64')}`;
}

/**
 * POSTs a form to `path`, authenticating `client` by its registered method (when given).
 * `form` values that are arrays are sent as repeated parameters.
 */
export function postForm(
  t: TestApp,
  path: string,
  form: Record<string, string | string[]>,
  client?: TestClient,
): Promise<Response> {
  const body = new URLSearchParams();
  const fields: Record<string, string | string[]> = { ...form };
  let authorization: string | undefined;
  if (client?.method === 'client_secret_basic') {
    authorization = basicHeader(client.clientId, client.secret ?? '');
  } else if (client?.method === 'client_secret_post') {
    fields.client_id = client.clientId;
    fields.client_secret = client.secret ?? '';
  } else if (client) {
    fields.client_id = client.clientId;
  }
  for (const [name, value] of Object.entries(fields)) {
    for (const item of Array.isArray(value) ? value : [value]) body.append(name, item);
  }
  const call = request(t.app.getHttpServer() as Server)
    .post(path)
    .set('Content-Type', 'application/x-www-form-urlencoded');
  if (authorization) call.set('Authorization', authorization);
  return call.send(body.toString()).then((response) => response);
}

/** Redeems a seeded code with every parameter right unless overridden. */
export function redeemCode(
  t: TestApp,
  client: TestClient,
  seeded: SeededCode,
  overrides: Record<string, string | string[]> = {},
): Promise<Response> {
  return postForm(
    t,
    '/token',
    {
      grant_type: 'authorization_code',
      code: seeded.code,
      redirect_uri: seeded.redirectUri,
      code_verifier: seeded.verifier,
      resource: seeded.resource,
      ...overrides,
    },
    client,
  );
}

/** Refreshes with `refreshToken`, plus any extra parameters. */
export function refresh(
  t: TestApp,
  client: TestClient,
  refreshToken: string,
  extra: Record<string, string | string[]> = {},
): Promise<Response> {
  return postForm(
    t,
    '/token',
    { grant_type: 'refresh_token', refresh_token: refreshToken, ...extra },
    client,
  );
}

/**
 * AS-24 / AS-21: an OAuth error is exactly `{ error, error_description? }`, JSON, not cached,
 * and never Nest's `{ statusCode, message }`.
 */
export function expectOAuthError(response: Response, status: number, error: string): void {
  expect({ status: response.status, error: (response.body as { error?: unknown }).error }).toEqual({
    status,
    error,
  });
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  expect(response.headers['cache-control']).toBe('no-store');
  const keys = Object.keys(response.body as object).sort();
  expect(keys.filter((key) => key !== 'error_description')).toEqual(['error']);
  if ('error_description' in (response.body as object)) {
    expect(typeof (response.body as { error_description: unknown }).error_description).toBe(
      'string',
    );
  }
}
