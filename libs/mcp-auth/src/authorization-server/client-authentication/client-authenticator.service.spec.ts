import { McpAuthConfig } from '../../mcp-auth.config';
import { OAuthError } from '../../oauth/oauth-error';
import type { NewClient, TokenEndpointAuthMethod } from '../../storage/client-store.interface';
import { hashSecret } from '../../tokens/secret-hash';
import { ClientAuthenticator } from './client-authenticator.service';
import { FormParameters } from './form-parameters';

const ISSUER = 'https://mcp.example.com';
const SECRET = 'a-sufficiently-long-client-secret';

import { ClientLookup, ClientMetadataDocuments } from '../client-metadata-document';
import { InMemoryClientStore } from '../../../../../test/support/in-memory-client-store';

function client(
  clientId: string,
  method: TokenEndpointAuthMethod,
  overrides: Partial<NewClient> = {},
): NewClient {
  return {
    clientId,
    clientSecretHash: method === 'none' ? null : hashSecret(SECRET),
    clientSecretExpiresAt: null,
    redirectUris: ['http://127.0.0.1/callback'],
    tokenEndpointAuthMethod: method,
    grantTypes: ['authorization_code', 'refresh_token'],
    responseTypes: ['code'],
    applicationType: 'native',
    clientName: null,
    scope: null,
    metadata: {},
    source: 'dynamic',
    ...overrides,
  };
}

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const form = (body: Record<string, unknown>) => FormParameters.fromObject(body);

describe('ClientAuthenticator (AS-20)', () => {
  let store: InMemoryClientStore;
  let authenticator: ClientAuthenticator;

  beforeEach(async () => {
    store = new InMemoryClientStore();
    const config = new McpAuthConfig({
      issuer: ISSUER,
      resources: [{ path: '/mcp', scopes: ['mcp:tools'] }],
      scopes: { 'mcp:tools': 'Call tools' },
    });
    authenticator = new ClientAuthenticator(
      new ClientLookup(store, new ClientMetadataDocuments(config, store)),
      config,
    );
    await store.create(client('basic-client', 'client_secret_basic'));
    await store.create(client('post-client', 'client_secret_post'));
    await store.create(client('public-client', 'none'));
    await store.create(
      client('expired-client', 'client_secret_basic', {
        clientSecretExpiresAt: new Date(Date.now() - 1000),
      }),
    );
    await store.create(
      client('future-client', 'client_secret_post', {
        clientSecretExpiresAt: new Date(Date.now() + 60_000),
      }),
    );
  });

  async function failure(authorization: string | undefined, body: Record<string, unknown>) {
    const error: unknown = await authenticator.authenticate(authorization, form(body)).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(OAuthError);
    return error as OAuthError;
  }

  it('client_secret_basic: accepts the right secret', async () => {
    const result = await authenticator.authenticate(basic('basic-client', SECRET), form({}));
    expect(result.method).toBe('client_secret_basic');
    expect(result.client.clientId).toBe('basic-client');
  });

  it('client_secret_basic: accepts a matching client_id in the body', async () => {
    const result = await authenticator.authenticate(
      basic('basic-client', SECRET),
      form({ client_id: 'basic-client' }),
    );
    expect(result.client.clientId).toBe('basic-client');
  });

  it('client_secret_post: accepts client_id and client_secret in the body', async () => {
    const result = await authenticator.authenticate(
      undefined,
      form({ client_id: 'post-client', client_secret: SECRET }),
    );
    expect(result.method).toBe('client_secret_post');
  });

  it('none: accepts a public client by client_id alone', async () => {
    const result = await authenticator.authenticate(
      undefined,
      form({ client_id: 'public-client' }),
    );
    expect(result).toMatchObject({ method: 'none', client: { clientId: 'public-client' } });
  });

  it('accepts a secret that has not expired yet', async () => {
    const result = await authenticator.authenticate(
      undefined,
      form({ client_id: 'future-client', client_secret: SECRET }),
    );
    expect(result.client.clientId).toBe('future-client');
  });

  it.each([
    ['a wrong Basic secret', basic('basic-client', 'wrong'), {}],
    ['an unknown Basic client', basic('nobody', SECRET), {}],
    ['an empty Basic secret', basic('basic-client', ''), {}],
    ['Basic for a client_secret_post client', basic('post-client', SECRET), {}],
    ['Basic for a public client', basic('public-client', 'anything'), {}],
    [
      'a body client_id that differs from Basic',
      basic('basic-client', SECRET),
      { client_id: 'post-client' },
    ],
    ['malformed base64', 'Basic %%%', {}],
    ['another scheme', 'Bearer abc', {}],
  ])('refuses %s with 401 invalid_client and a Basic challenge', async (_name, header, body) => {
    const error = await failure(header, body);
    expect(error).toMatchObject({ error: 'invalid_client', status: 401 });
    expect(error.headers['WWW-Authenticate']).toBe(`Basic realm="${ISSUER}", charset="UTF-8"`);
  });

  it.each([
    ['a wrong post secret', { client_id: 'post-client', client_secret: 'wrong' }],
    ['an unknown client', { client_id: 'nobody', client_secret: SECRET }],
    ['a secret for a public client', { client_id: 'public-client', client_secret: SECRET }],
    ['post for a client_secret_basic client', { client_id: 'basic-client', client_secret: SECRET }],
    ['no secret from a confidential client', { client_id: 'post-client' }],
    ['no client at all', {}],
    ['a client_id with control characters', { client_id: 'a\u0000b' }],
  ])('refuses %s with 401 invalid_client and no challenge', async (_name, body) => {
    const error = await failure(undefined, body);
    expect(error).toMatchObject({ error: 'invalid_client', status: 401 });
    expect(error.headers['WWW-Authenticate']).toBeUndefined();
  });

  it('gives one description for unknown clients and wrong secrets', async () => {
    const unknown = await failure(undefined, { client_id: 'nobody', client_secret: SECRET });
    const wrong = await failure(undefined, { client_id: 'post-client', client_secret: 'x' });
    const wrongMethod = await failure(undefined, {
      client_id: 'basic-client',
      client_secret: SECRET,
    });
    expect(unknown.toJSON()).toEqual(wrong.toJSON());
    expect(wrongMethod.toJSON()).toEqual(wrong.toJSON());
  });

  it('refuses an expired secret, but only to the holder of the right secret', async () => {
    const expired = await failure(basic('expired-client', SECRET), {});
    expect(expired).toMatchObject({ error: 'invalid_client', status: 401 });
    expect(expired.description).toMatch(/expired/);
    const wrong = await failure(basic('expired-client', 'wrong'), {});
    expect(wrong.description).not.toMatch(/expired/);
  });

  it('RFC 6749 §2.3: refuses Basic plus client_secret in the body with invalid_request', async () => {
    const error = await failure(basic('basic-client', SECRET), { client_secret: SECRET });
    expect(error).toMatchObject({ error: 'invalid_request', status: 400 });
    expect(store.lookups).toHaveLength(0);
  });

  it('refuses repeated credentials with invalid_request before any lookup', async () => {
    const error = await failure(undefined, { client_id: ['public-client', 'public-client'] });
    expect(error.error).toBe('invalid_request');
    expect(store.lookups).toHaveLength(0);
  });

  it('never puts the presented secret in the error', async () => {
    const secret = 'super-secret-value-that-must-not-leak';
    const error = await failure(undefined, { client_id: 'post-client', client_secret: secret });
    expect(JSON.stringify(error.toJSON())).not.toContain(secret);
    expect(error.message).not.toContain(secret);
  });
});
