import { computeS256Challenge } from './pkce';
import { ClientStore, type NewClient } from '@app/mcp-auth';
import { hashSecret } from './secrets';
import type { TestApp } from './test-app';

/** The `state` every request built here carries. */
export const STATE = 'fixture-state';

/** A public native client (token_endpoint_auth_method none) with a loopback redirect. */
export function publicClient(clientId: string): NewClient {
  return {
    clientId,
    clientSecretHash: null,
    clientSecretExpiresAt: null,
    redirectUris: ['http://127.0.0.1/callback'],
    tokenEndpointAuthMethod: 'none',
    grantTypes: ['authorization_code', 'refresh_token'],
    responseTypes: ['code'],
    applicationType: 'native',
    clientName: `${clientId} (public)`,
    scope: null,
    metadata: {},
    source: 'dynamic',
  };
}

/** A confidential web client: it authenticates at the token endpoint with a secret. */
export function confidentialClient(clientId: string): NewClient {
  return {
    ...publicClient(clientId),
    clientSecretHash: hashSecret(`${clientId}-secret-0123456789`),
    redirectUris: ['https://app.example.com/cb'],
    tokenEndpointAuthMethod: 'client_secret_basic',
    applicationType: 'web',
    clientName: `${clientId} (confidential)`,
  };
}

export async function createClients(app: TestApp, clients: NewClient[]): Promise<void> {
  const store = app.app.get<ClientStore>(ClientStore);
  for (const client of clients) await store.create(client);
}

/**
 * Where the code goes: a loopback port picked by the "client", or the registered URI. The port
 * is below Linux's ephemeral range (32768–60999), which test apps listen on: a test browser
 * following the redirect must never reach the app itself.
 */
export function redirectUriOf(client: NewClient): string {
  return client.tokenEndpointAuthMethod === 'none'
    ? 'http://127.0.0.1:21001/callback'
    : client.redirectUris[0];
}

/** An authorization URL for `client`; `undefined` in `params` drops a parameter. */
export function authorizeUrl(
  app: { url: string },
  client: NewClient,
  params: Record<string, string | undefined> = {},
): string {
  const url = new URL(`${app.url}/authorize`);
  const all: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: redirectUriOf(client),
    code_challenge: computeS256Challenge('f'.repeat(43)),
    code_challenge_method: 'S256',
    state: STATE,
    scope: 'mcp:tools',
    ...params,
  };
  for (const [name, value] of Object.entries(all)) {
    if (value !== undefined) url.searchParams.set(name, value);
  }
  return url.toString();
}
