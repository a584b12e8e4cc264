import { McpAuthConfig } from '../../mcp-auth.config';
import { OAuthError } from '../../oauth/oauth-error';
import type { NewClient, TokenEndpointAuthMethod } from '../../storage/client-store.interface';
import { hashSecret } from '../../tokens/secret-hash';
import { ClientAuthenticator } from './client-authenticator.service';
import { FormParameters } from './form-parameters';

const ISSUER = 'https://mcp.example.com';
const SECRET = 'a-sufficiently-long-client-secret';

import { ClientLookup, ClientMetadataDocuments } from '../client-metadata-document';
import { ClientAssertionVerifier } from './client-assertion.verifier';
import { ClientKeySets } from './client-key-sets';
import { InMemoryClientStore } from '../../../../../test/support/in-memory-client-store';
import { randomUUID } from 'node:crypto';
import { type CryptoKey, exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { UsedJtiStore } from '../../storage/used-jti-store.interface';

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
      new ClientAssertionVerifier(config, new ClientKeySets(config), new InMemoryUsedJtis()),
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

/** `UsedJtiStore` with the same contract as the database store. */
class InMemoryUsedJtis implements UsedJtiStore {
  private readonly seen = new Set<string>();
  async use(namespace: string, jti: string): Promise<boolean> {
    const key = `${namespace}\n${jti}`;
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    return true;
  }
}

describe('ClientAuthenticator: private_key_jwt (RFC 7523 §2.2)', () => {
  const TOKEN_URL = `${ISSUER}/token`;
  let store: InMemoryClientStore;
  let authenticator: ClientAuthenticator;
  let privateKey: CryptoKey;
  let otherKey: CryptoKey;

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    privateKey = pair.privateKey;
    otherKey = (await generateKeyPair('ES256')).privateKey;
    const publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256' };
    store = new InMemoryClientStore();
    const config = new McpAuthConfig({
      issuer: ISSUER,
      resources: [{ path: '/mcp', scopes: ['mcp:tools'] }],
      scopes: { 'mcp:tools': 'Call tools' },
    });
    authenticator = new ClientAuthenticator(
      new ClientLookup(store, new ClientMetadataDocuments(config, store)),
      config,
      new ClientAssertionVerifier(config, new ClientKeySets(config), new InMemoryUsedJtis()),
    );
    await store.create(
      client('jwt-client', 'private_key_jwt', { metadata: { jwks: { keys: [publicJwk] } } }),
    );
    await store.create(client('basic-client', 'client_secret_basic'));
  });

  async function assertion(
    overrides: Record<string, unknown> = {},
    options: { key?: CryptoKey; alg?: string; kid?: string; jti?: string } = {},
  ): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      iss: 'jwt-client',
      sub: 'jwt-client',
      aud: TOKEN_URL,
      jti: options.jti ?? randomUUID(),
      iat: now,
      exp: now + 60,
      ...overrides,
    })
      .setProtectedHeader({ alg: options.alg ?? 'ES256', kid: options.kid ?? 'k1' })
      .sign(options.key ?? privateKey);
  }

  const withAssertion = (jwt: string, extra: Record<string, unknown> = {}) =>
    form({
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: jwt,
      ...extra,
    });

  it('accepts an assertion signed with the client key, audience the token endpoint or the issuer', async () => {
    await expect(
      authenticator.authenticate(undefined, withAssertion(await assertion()), TOKEN_URL),
    ).resolves.toMatchObject({ method: 'private_key_jwt', client: { clientId: 'jwt-client' } });
    await expect(
      authenticator.authenticate(
        undefined,
        withAssertion(await assertion({ aud: ISSUER })),
        TOKEN_URL,
      ),
    ).resolves.toMatchObject({ method: 'private_key_jwt' });
  });

  it('accepts each jti once', async () => {
    const jwt = await assertion({}, { jti: 'once' });
    await authenticator.authenticate(undefined, withAssertion(jwt), TOKEN_URL);
    await expect(
      authenticator.authenticate(undefined, withAssertion(jwt), TOKEN_URL),
    ).rejects.toMatchObject({ error: 'invalid_client', status: 401 });
  });

  it.each<[string, () => Promise<string>]>([
    ['signed by another key', () => assertion({}, { key: otherKey })],
    ['for another audience', () => assertion({ aud: 'https://other.example.com/token' })],
    ['with iss other than sub', () => assertion({ iss: 'someone-else' })],
    ['expired', () => assertion({ exp: Math.floor(Date.now() / 1000) - 120 })],
    ['living too long', () => assertion({ exp: Math.floor(Date.now() / 1000) + 3600 })],
    ['without a jti', () => assertion({ jti: undefined })],
    [
      'unsigned (alg none)',
      async () => {
        const header = Buffer.from('{"alg":"none"}').toString('base64url');
        const body = Buffer.from(
          JSON.stringify({
            iss: 'jwt-client',
            sub: 'jwt-client',
            aud: TOKEN_URL,
            jti: 'x',
            exp: 9e9,
          }),
        ).toString('base64url');
        return `${header}.${body}.`;
      },
    ],
    [
      'for a client registered with a secret',
      () => assertion({ iss: 'basic-client', sub: 'basic-client' }),
    ],
    ['for an unknown client', () => assertion({ iss: 'nobody', sub: 'nobody' })],
  ])('refuses an assertion %s with invalid_client', async (_case, make) => {
    await expect(
      authenticator.authenticate(undefined, withAssertion(await make()), TOKEN_URL),
    ).rejects.toMatchObject({ error: 'invalid_client', status: 401 });
  });

  it('refuses a wrong assertion type, a client_id other than the subject, and garbage', async () => {
    const jwt = await assertion();
    await expect(
      authenticator.authenticate(
        undefined,
        form({ client_assertion_type: 'urn:example:other', client_assertion: jwt }),
        TOKEN_URL,
      ),
    ).rejects.toMatchObject({ error: 'invalid_client' });
    await expect(
      authenticator.authenticate(
        undefined,
        withAssertion(jwt, { client_id: 'basic-client' }),
        TOKEN_URL,
      ),
    ).rejects.toMatchObject({ error: 'invalid_client' });
    await expect(
      authenticator.authenticate(undefined, withAssertion('not.a.jwt'), TOKEN_URL),
    ).rejects.toMatchObject({ error: 'invalid_client' });
  });

  it('refuses two methods at once (RFC 6749 §2.3) with invalid_request', async () => {
    const jwt = await assertion();
    await expect(
      authenticator.authenticate(
        undefined,
        withAssertion(jwt, { client_secret: 'x'.repeat(20) }),
        TOKEN_URL,
      ),
    ).rejects.toMatchObject({ error: 'invalid_request' });
    await expect(
      authenticator.authenticate(basic('basic-client', SECRET), withAssertion(jwt), TOKEN_URL),
    ).rejects.toMatchObject({ error: 'invalid_request' });
  });
});

/** A store that stamps its rows with a version, as the Postgres store does (row xmin). */
class VersionedClientStore extends InMemoryClientStore {
  private versions = 0;
  override async findById(clientId: string) {
    const found = await super.findById(clientId);
    return found ? { ...found, version: String(++this.versions) } : null;
  }
}

describe('ClientAuthenticator, reusing a recent client (code and refresh grants)', () => {
  let store: VersionedClientStore;
  let authenticator: ClientAuthenticator;
  const reuse = { reuseRecentClient: true };

  beforeEach(async () => {
    store = new VersionedClientStore();
    const config = new McpAuthConfig({
      issuer: ISSUER,
      resources: [{ path: '/mcp', scopes: ['mcp:tools'] }],
      scopes: { 'mcp:tools': 'Call tools' },
    });
    authenticator = new ClientAuthenticator(
      new ClientLookup(store, new ClientMetadataDocuments(config, store)),
      config,
      new ClientAssertionVerifier(config, new ClientKeySets(config), new InMemoryUsedJtis()),
    );
    await store.create(client('public-client', 'none'));
    await store.create(client('basic-client', 'client_secret_basic'));
  });

  it('reads the client once, then reuses it without the store', async () => {
    const params = form({ client_id: 'public-client' });
    const first = await authenticator.authenticate(undefined, params, undefined, reuse);
    const second = await authenticator.authenticate(undefined, params, undefined, reuse);
    expect(second.client).toBe(first.client);
    expect(second.client.version).toBe('1');
    expect(store.lookups).toEqual(['public-client']);
    // Callers that do not confirm the version always read it.
    await authenticator.authenticate(undefined, params);
    expect(store.lookups).toEqual(['public-client', 'public-client']);
  });

  it('a secret rotated since takes effect at once: the new one is checked against the store', async () => {
    await authenticator.authenticate(basic('basic-client', SECRET), form({}), undefined, reuse);
    const rotated = 'a-new-and-sufficiently-long-client-secret';
    await store.upsert({
      ...client('basic-client', 'client_secret_basic'),
      clientSecretHash: hashSecret(rotated),
    });
    const fresh = await authenticator.authenticate(
      basic('basic-client', rotated),
      form({}),
      undefined,
      reuse,
    );
    expect(fresh.client.clientSecretHash).toBe(hashSecret(rotated));
    expect(store.lookups).toEqual(['basic-client', 'basic-client']);
    // The old secret, still in a stale entry elsewhere, is refused by the grant's statement
    // (client_changed); here the fresh read has replaced the entry, so it fails outright.
    await expect(
      authenticator.authenticate(basic('basic-client', SECRET), form({}), undefined, reuse),
    ).rejects.toMatchObject({ error: 'invalid_client' });
  });

  it('a wrong secret or another method is judged by the store, with the usual answer', async () => {
    await authenticator.authenticate(basic('basic-client', SECRET), form({}), undefined, reuse);
    await expect(
      authenticator.authenticate(basic('basic-client', 'x'.repeat(30)), form({}), undefined, reuse),
    ).rejects.toMatchObject({ error: 'invalid_client', status: 401 });
    await expect(
      authenticator.authenticate(undefined, form({ client_id: 'basic-client' }), undefined, reuse),
    ).rejects.toMatchObject({ error: 'invalid_client' });
    expect(store.lookups).toEqual(['basic-client', 'basic-client', 'basic-client']);
  });

  it('forgets a client after 30 seconds', async () => {
    const params = form({ client_id: 'public-client' });
    await authenticator.authenticate(undefined, params, undefined, reuse);
    const now = Date.now();
    const spy = jest.spyOn(Date, 'now').mockReturnValue(now + 30_001);
    try {
      await authenticator.authenticate(undefined, params, undefined, reuse);
    } finally {
      spy.mockRestore();
    }
    expect(store.lookups).toEqual(['public-client', 'public-client']);
  });

  it('never reuses a client of a store without versions', async () => {
    const plain = new InMemoryClientStore();
    await plain.create(client('public-client', 'none'));
    const config = new McpAuthConfig({
      issuer: ISSUER,
      resources: [{ path: '/mcp', scopes: ['mcp:tools'] }],
      scopes: { 'mcp:tools': 'Call tools' },
    });
    const lookup = new ClientLookup(plain, new ClientMetadataDocuments(config, plain));
    const auth = new ClientAuthenticator(
      lookup,
      config,
      new ClientAssertionVerifier(config, new ClientKeySets(config), new InMemoryUsedJtis()),
    );
    const params = form({ client_id: 'public-client' });
    await auth.authenticate(undefined, params, undefined, reuse);
    await auth.authenticate(undefined, params, undefined, reuse);
    expect(plain.lookups).toEqual(['public-client', 'public-client']);
  });
});
