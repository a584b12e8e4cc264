import { Controller, Post, Req, UseGuards } from '@nestjs/common';
import { createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import {
  BearerGuard,
  ClientStore,
  GrantStore,
  RequiredScopes,
  RequiresUser,
  type ClientStore as ClientStoreContract,
  type GrantStore as GrantStoreContract,
  type McpPrincipal,
  type StaticClientOptions,
} from '@app/mcp-auth';
import { TestBrowser } from './support/browser';
import {
  ASSERTION_ALGORITHMS,
  assertionParams,
  generateClientKey,
  jwksOf,
  signClientAssertion,
  type AssertionAlgorithm,
  type ClientKey,
} from './support/client-assertions';
import {
  startMetadataDocumentServer,
  type MetadataDocumentServer,
} from './support/metadata-document-server';
import { computeS256Challenge } from './support/pkce';
import {
  createTestApp,
  defaultAuthOptions,
  TEST_RESOURCE_SERVER,
  type TestApp,
} from './support/test-app';
import { basicHeader, redeemCode, registerClient, seedCode } from './support/token-endpoints';
import {
  changesOf,
  expectOAuthJson,
  http,
  type RawResponse,
  type TableChange,
} from './security/support/harness';

/**
 * Machine clients (the OAuth Client Credentials extension, RFC 7523 §2.2 client assertions):
 * the client credentials grant with a shared secret and with `private_key_jwt` (keys inline
 * and behind a `jwks_uri` on a local HTTPS server), the tokens it issues, its limits, what a
 * resource server sees of such a token (`McpPrincipal.machine`, `@RequiresUser()`), revocation
 * and introspection authenticated by assertion, `private_key_jwt` clients registered
 * dynamically and by metadata document redeeming codes, and what the metadata advertises.
 */

const CALLBACK = 'http://127.0.0.1:21002/callback';
const VERIFIER = 'm'.repeat(43);
const SECRETS = {
  basic: 'machine-basic-secret-0123456789abcdef',
  post: 'machine-post-secret-0123456789abcdef',
  limited: 'machine-limited-secret-0123456789abcdef',
  web: 'web-confidential-secret-0123456789abcdef',
} as const;
const JWKS_PATH = '/keys/machine-jwt-uri.json';

const added = (count = 1): TableChange => ({ added: count, removed: 0, changed: 0 });
const ISSUED_BY_SECRET = { grants: added() };
const ISSUED_BY_ASSERTION = { grants: added(), used_jtis: added() };

/** A static client of machine grants only: no browser, hence no redirect URI. */
function machineClient(client: StaticClientOptions): StaticClientOptions {
  return client;
}

/** Routes of the resource `/mcp`: one for people only, one for anyone with a token. */
@Controller('mcp')
@UseGuards(BearerGuard)
@RequiredScopes('mcp:tools')
class MachineAwareController {
  @Post('user-only')
  @RequiresUser()
  userOnly(@Req() request: { user: McpPrincipal }) {
    return describePrincipal(request.user);
  }

  @Post('any')
  any(@Req() request: { user: McpPrincipal }) {
    return describePrincipal(request.user);
  }
}

function describePrincipal(user: McpPrincipal) {
  return {
    machine: user.machine,
    subject: user.subject ?? null,
    clientId: user.clientId,
    scope: user.scope,
    gty: user.claims.gty ?? null,
  };
}

describe('Machine clients: client credentials and private_key_jwt', () => {
  let docs: MetadataDocumentServer;
  let t: TestApp;
  let resource: string;
  let otherResource: string;
  /** One key per advertised algorithm, all in the inline `jwks` of `machine-jwt`. */
  const inlineKeys = {} as Record<AssertionAlgorithm, ClientKey>;
  let uriKey: ClientKey;
  let introspectorKey: ClientKey;
  let appKeys: ReturnType<typeof createLocalJWKSet>;

  beforeAll(async () => {
    for (const alg of ASSERTION_ALGORITHMS) inlineKeys[alg] = await generateClientKey(alg);
    uriKey = await generateClientKey('PS256');
    introspectorKey = await generateClientKey('EdDSA');
    docs = await startMetadataDocumentServer();
    docs.publish(JWKS_PATH, jwksOf(uriKey), { 'cache-control': 'max-age=600' });
    t = await createTestApp({
      auth: (origin) => ({
        resources: [
          {
            path: '/mcp',
            scopes: ['mcp:tools', 'mcp:resources', 'mcp:admin'],
            defaultScopes: ['mcp:tools'],
          },
          { path: '/other', scopes: ['mcp:tools'] },
        ],
        clients: [
          ...(defaultAuthOptions(origin).clients ?? []),
          machineClient({
            client_id: 'machine-basic',
            client_secret: SECRETS.basic,
            token_endpoint_auth_method: 'client_secret_basic',
            grant_types: ['client_credentials'],
            scope: 'mcp:tools mcp:resources',
            client_name: 'Nightly report job',
          }),
          machineClient({
            client_id: 'machine-post',
            client_secret: SECRETS.post,
            token_endpoint_auth_method: 'client_secret_post',
            grant_types: ['client_credentials'],
          }),
          machineClient({
            client_id: 'machine-limited',
            client_secret: SECRETS.limited,
            token_endpoint_auth_method: 'client_secret_basic',
            grant_types: ['client_credentials'],
            scope: 'mcp:tools',
          }),
          machineClient({
            client_id: 'machine-jwt',
            token_endpoint_auth_method: 'private_key_jwt',
            grant_types: ['client_credentials'],
            jwks: jwksOf(...Object.values(inlineKeys)),
          }),
          machineClient({
            client_id: 'machine-jwt-uri',
            token_endpoint_auth_method: 'private_key_jwt',
            grant_types: ['client_credentials'],
            jwks_uri: docs.url(JWKS_PATH),
            scope: 'mcp:tools',
          }),
          machineClient({
            client_id: 'machine-introspector',
            token_endpoint_auth_method: 'private_key_jwt',
            grant_types: ['client_credentials'],
            jwks: jwksOf(introspectorKey),
          }),
          {
            client_id: 'web-confidential',
            client_secret: SECRETS.web,
            token_endpoint_auth_method: 'client_secret_basic',
            redirect_uris: ['https://app.example.com/cb'],
            application_type: 'web',
          },
        ],
        introspection: {
          allowedClients: [TEST_RESOURCE_SERVER.clientId, 'machine-introspector'],
        },
        clientMetadataDocuments: { allowLoopbackHosts: ['localhost'], ca: docs.ca },
      }),
      module: { controllers: [MachineAwareController] },
    });
    resource = `${t.url}/mcp`;
    otherResource = `${t.url}/other`;
    const metadata = await http(t.url, '/.well-known/oauth-authorization-server');
    const jwks = await http(t.url, new URL(metadata.json?.jwks_uri as string).pathname);
    appKeys = createLocalJWKSet(jwks.json as unknown as JSONWebKeySet);
  });

  afterAll(async () => {
    await t?.close();
    await docs?.close();
  });

  // ------------------------------------------------------------------------------------------
  // Helpers
  // ------------------------------------------------------------------------------------------

  function post(
    path: string,
    form: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<RawResponse> {
    return http(t.url, path, { form, headers });
  }

  function withSecret(clientId: string, secret: string, form: Record<string, string>) {
    return post('/token', form, { authorization: basicHeader(clientId, secret) });
  }

  /** A client credentials request of `clientId`, authenticated by an assertion of `key`. */
  async function withAssertion(
    clientId: string,
    key: ClientKey,
    form: Record<string, string>,
    path = '/token',
    audience: string | string[] = t.url,
  ): Promise<RawResponse> {
    const assertion = await signClientAssertion({ clientId, key, audience });
    return post(path, { ...form, ...assertionParams(assertion) });
  }

  /** A 200 token response: JSON, not cached, no refresh token; returns the verified claims. */
  async function expectMachineToken(response: RawResponse): Promise<JWTPayload> {
    expect({ status: response.status, body: response.json }).toEqual({
      status: 200,
      body: expect.objectContaining({ token_type: 'Bearer' }),
    });
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('pragma')).toBe('no-cache');
    const body = response.json as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'scope', 'token_type']);
    expect(body.refresh_token).toBeUndefined();
    expect(body.expires_in).toEqual(expect.any(Number));
    const { payload, protectedHeader } = await jwtVerify(body.access_token as string, appKeys, {
      issuer: t.url,
    });
    expect(protectedHeader.typ).toBe('at+jwt');
    // The token response's scope is the token's.
    expect(body.scope).toBe(payload.scope);
    return payload;
  }

  async function grantOf(token: JWTPayload) {
    return t.app.get<symbol, GrantStoreContract>(GrantStore).findGrant(token.gid as string);
  }

  function callRoute(route: 'user-only' | 'any', accessToken: string): Promise<RawResponse> {
    return http(t.url, `/mcp/${route}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}` },
      jsonBody: {},
    });
  }

  async function machineToken(): Promise<string> {
    const response = await withSecret('machine-basic', SECRETS.basic, {
      grant_type: 'client_credentials',
      resource,
    });
    expect(response.status).toBe(200);
    return response.json?.access_token as string;
  }

  async function userToken(): Promise<string> {
    const client = await registerClient(t, 'none');
    const seeded = await seedCode(t, client, { scopes: ['mcp:tools'] });
    const response = await redeemCode(t, client, seeded);
    expect(response.status).toBe(200);
    return (response.body as { access_token: string }).access_token;
  }

  function authorizeUrl(clientId: string): string {
    const url = new URL(`${t.url}/authorize`);
    const params: Record<string, string> = {
      response_type: 'code',
      client_id: clientId,
      redirect_uri: CALLBACK,
      code_challenge: computeS256Challenge(VERIFIER),
      code_challenge_method: 'S256',
      state: 'machine-state',
      scope: 'mcp:tools offline_access',
      resource,
    };
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
    return url.toString();
  }

  /** Signs alice in and approves; the code the client receives. */
  async function codeFor(clientId: string): Promise<string> {
    const browser = new TestBrowser(t.url);
    const redirect = await browser.authorize(authorizeUrl(clientId));
    expect(`${redirect.origin}${redirect.pathname}`).toBe(CALLBACK);
    expect(redirect.searchParams.get('error')).toBeNull();
    return redirect.searchParams.get('code') as string;
  }

  function codeForm(code: string): Record<string, string> {
    return {
      grant_type: 'authorization_code',
      code,
      redirect_uri: CALLBACK,
      code_verifier: VERIFIER,
      resource,
    };
  }

  // ------------------------------------------------------------------------------------------
  describe('client credentials with a client secret', () => {
    it('client_secret_basic: a token for the client itself (sub = client_id, gty, aud = resource, scope), no refresh token, no-store; one grant recorded', async () => {
      let response!: RawResponse;
      const changes = await changesOf(t.db.dataSource, async () => {
        response = await withSecret('machine-basic', SECRETS.basic, {
          grant_type: 'client_credentials',
          resource,
          scope: 'mcp:tools mcp:resources',
        });
      });
      const token = await expectMachineToken(response);
      expect(token).toMatchObject({
        iss: t.url,
        sub: 'machine-basic',
        client_id: 'machine-basic',
        gty: 'client_credentials',
        aud: resource,
        scope: 'mcp:tools mcp:resources',
      });
      expect(changes).toEqual(ISSUED_BY_SECRET);
      expect(await grantOf(token)).toMatchObject({
        clientId: 'machine-basic',
        subject: 'machine-basic',
        scopes: ['mcp:tools', 'mcp:resources'],
        resource,
        revokedAt: null,
      });
    });

    it('client_secret_post works the same way', async () => {
      const response = await post('/token', {
        grant_type: 'client_credentials',
        resource,
        scope: 'mcp:admin',
        client_id: 'machine-post',
        client_secret: SECRETS.post,
      });
      expect(await expectMachineToken(response)).toMatchObject({
        sub: 'machine-post',
        client_id: 'machine-post',
        gty: 'client_credentials',
        aud: resource,
        scope: 'mcp:admin',
      });
    });

    it('no scope asked: the resource defaults the client may have; no resource: the default resource', async () => {
      const response = await withSecret('machine-basic', SECRETS.basic, {
        grant_type: 'client_credentials',
      });
      expect(await expectMachineToken(response)).toMatchObject({
        aud: resource,
        scope: 'mcp:tools',
      });
    });

    it('the audience is the requested resource (RFC 8707): another resource of this server', async () => {
      const response = await withSecret('machine-basic', SECRETS.basic, {
        grant_type: 'client_credentials',
        resource: otherResource,
        scope: 'mcp:tools',
      });
      expect(await expectMachineToken(response)).toMatchObject({
        sub: 'machine-basic',
        aud: otherResource,
        scope: 'mcp:tools',
      });
    });

    it('a wrong secret is 401 invalid_client with a Basic challenge, nothing stored', async () => {
      let response!: RawResponse;
      const changes = await changesOf(t.db.dataSource, async () => {
        response = await withSecret('machine-basic', `${SECRETS.basic}-wrong`, {
          grant_type: 'client_credentials',
          resource,
        });
      });
      expectOAuthJson(response, 401, 'invalid_client');
      expect(response.headers.get('www-authenticate')).toMatch(/^Basic /);
      expect(changes).toEqual({});
    });
  });

  // ------------------------------------------------------------------------------------------
  describe('client credentials with private_key_jwt', () => {
    it.each(ASSERTION_ALGORITHMS)(
      'inline jwks, an assertion signed with %s: a token for the client, its jti recorded',
      async (alg) => {
        let response!: RawResponse;
        const changes = await changesOf(t.db.dataSource, async () => {
          response = await withAssertion('machine-jwt', inlineKeys[alg], {
            grant_type: 'client_credentials',
            resource,
          });
        });
        const token = await expectMachineToken(response);
        expect(token).toMatchObject({
          sub: 'machine-jwt',
          client_id: 'machine-jwt',
          gty: 'client_credentials',
          aud: resource,
          scope: 'mcp:tools',
        });
        expect(changes).toEqual(ISSUED_BY_ASSERTION);
      },
    );

    it('no client scope registered: every scope of the resource may be asked for', async () => {
      const response = await withAssertion('machine-jwt', inlineKeys.ES256, {
        grant_type: 'client_credentials',
        resource,
        scope: 'mcp:tools mcp:resources mcp:admin',
      });
      expect((await expectMachineToken(response)).scope).toBe('mcp:tools mcp:resources mcp:admin');
    });

    it.each([
      ['the issuer', (url: string) => url],
      ['the token endpoint URL', (url: string) => `${url}/token`],
      ['a list holding the token endpoint URL', (url: string) => ['urn:other', `${url}/token`]],
    ])('the assertion audience may be %s', async (_name, audience) => {
      const response = await withAssertion(
        'machine-jwt',
        inlineKeys.ES384,
        { grant_type: 'client_credentials', resource },
        '/token',
        audience(t.url),
      );
      expect((await expectMachineToken(response)).sub).toBe('machine-jwt');
    });

    it('the SDK-style client_id body parameter naming the same client is accepted', async () => {
      const assertion = await signClientAssertion({
        clientId: 'machine-jwt',
        key: inlineKeys.RS256,
        audience: t.url,
      });
      const response = await post('/token', {
        grant_type: 'client_credentials',
        resource,
        client_id: 'machine-jwt',
        ...assertionParams(assertion),
      });
      expect((await expectMachineToken(response)).client_id).toBe('machine-jwt');
    });

    it('jwks_uri: the key set is fetched from the client over HTTPS once, then cached', async () => {
      const before = docs.hits(JWKS_PATH);
      for (let i = 0; i < 2; i++) {
        let response!: RawResponse;
        const changes = await changesOf(t.db.dataSource, async () => {
          response = await withAssertion('machine-jwt-uri', uriKey, {
            grant_type: 'client_credentials',
            resource,
          });
        });
        expect(await expectMachineToken(response)).toMatchObject({
          sub: 'machine-jwt-uri',
          client_id: 'machine-jwt-uri',
          gty: 'client_credentials',
          aud: resource,
          scope: 'mcp:tools',
        });
        expect(changes).toEqual(ISSUED_BY_ASSERTION);
      }
      expect(docs.hits(JWKS_PATH)).toBe(before + 1);
      const fetched = docs.requests.filter((request) => request.path === JWKS_PATH).at(-1);
      expect(fetched?.headers.authorization).toBeUndefined();
      expect(fetched?.headers.cookie).toBeUndefined();
    });

    it('an assertion is single use: the same one again is 401 invalid_client', async () => {
      const assertion = await signClientAssertion({
        clientId: 'machine-jwt',
        key: inlineKeys.EdDSA,
        audience: t.url,
      });
      const form = { grant_type: 'client_credentials', resource, ...assertionParams(assertion) };
      await expectMachineToken(await post('/token', form));
      let replay!: RawResponse;
      const changes = await changesOf(t.db.dataSource, async () => {
        replay = await post('/token', form);
      });
      expectOAuthJson(replay, 401, 'invalid_client');
      expect(changes).toEqual({});
    });
  });

  // ------------------------------------------------------------------------------------------
  describe('limits: scopes, resources and which clients may use the grant', () => {
    /** Runs a token request; expects `status`/`error` and exactly `expected` table changes. */
    async function refused(
      request: () => Promise<RawResponse>,
      status: number,
      error: string,
      expected: Record<string, TableChange> = {},
    ): Promise<RawResponse> {
      let response!: RawResponse;
      const changes = await changesOf(t.db.dataSource, async () => {
        response = await request();
      });
      expectOAuthJson(response, status, error);
      expect(changes).toEqual(expected);
      return response;
    }

    it('a scope beyond the client’s registered scope is invalid_scope', async () => {
      await refused(
        () =>
          withSecret('machine-limited', SECRETS.limited, {
            grant_type: 'client_credentials',
            resource,
            scope: 'mcp:tools mcp:resources',
          }),
        400,
        'invalid_scope',
      );
      await refused(
        () =>
          withAssertion('machine-jwt-uri', uriKey, {
            grant_type: 'client_credentials',
            resource,
            scope: 'mcp:admin',
          }),
        400,
        'invalid_scope',
        // The client did authenticate: its assertion is spent.
        { used_jtis: added() },
      );
      // Within it, the same client is served.
      const ok = await withSecret('machine-limited', SECRETS.limited, {
        grant_type: 'client_credentials',
        resource,
        scope: 'mcp:tools',
      });
      expect((await expectMachineToken(ok)).scope).toBe('mcp:tools');
    });

    it('offline_access is refused (no refresh token for machines), with or without a client scope', async () => {
      await refused(
        () =>
          withSecret('machine-basic', SECRETS.basic, {
            grant_type: 'client_credentials',
            resource,
            scope: 'mcp:tools offline_access',
          }),
        400,
        'invalid_scope',
      );
      await refused(
        () =>
          withAssertion('machine-jwt', inlineKeys.ES256, {
            grant_type: 'client_credentials',
            resource,
            scope: 'offline_access',
          }),
        400,
        'invalid_scope',
        { used_jtis: added() },
      );
    });

    it('a scope the requested resource does not have is invalid_scope', async () => {
      await refused(
        () =>
          withAssertion('machine-jwt', inlineKeys.ES256, {
            grant_type: 'client_credentials',
            resource: otherResource,
            scope: 'mcp:resources',
          }),
        400,
        'invalid_scope',
        { used_jtis: added() },
      );
      await refused(
        () =>
          withSecret('machine-basic', SECRETS.basic, {
            grant_type: 'client_credentials',
            resource,
            scope: 'mcp:unknown',
          }),
        400,
        'invalid_scope',
      );
    });

    it.each([
      ['on another server', 'https://elsewhere.example/mcp'],
      ['a path here that is no resource', '/nope'],
      ['relative', 'mcp'],
      ['with a fragment', '/mcp#frag'],
    ])('resource %s: invalid_target', async (_name, value) => {
      const target = value.startsWith('/') ? `${t.url}${value}` : value;
      await refused(
        () =>
          withSecret('machine-basic', SECRETS.basic, {
            grant_type: 'client_credentials',
            resource: target,
          }),
        400,
        'invalid_target',
      );
    });

    it('a public client registered with the grant is unauthorized_client', async () => {
      const client = await registerClient(t, 'none', { grantTypes: ['client_credentials'] });
      await refused(
        () =>
          post('/token', {
            grant_type: 'client_credentials',
            resource,
            client_id: client.clientId,
          }),
        400,
        'unauthorized_client',
      );
    });

    it('a public client of the code flow (registered dynamically) is unauthorized_client', async () => {
      const registered = await http(t.url, '/register', {
        jsonBody: {
          redirect_uris: [CALLBACK],
          token_endpoint_auth_method: 'none',
          application_type: 'native',
          client_name: 'Public agent',
        },
      });
      expect(registered.status).toBe(201);
      await refused(
        () =>
          post('/token', {
            grant_type: 'client_credentials',
            resource,
            client_id: registered.json?.client_id as string,
          }),
        400,
        'unauthorized_client',
      );
    });

    it('a confidential client without the grant is unauthorized_client', async () => {
      await refused(
        () =>
          withSecret('web-confidential', SECRETS.web, {
            grant_type: 'client_credentials',
            resource,
          }),
        400,
        'unauthorized_client',
      );
    });

    it('dynamic registration may not ask for client_credentials', async () => {
      let response!: RawResponse;
      const changes = await changesOf(t.db.dataSource, async () => {
        response = await http(t.url, '/register', {
          jsonBody: {
            grant_types: ['client_credentials'],
            token_endpoint_auth_method: 'private_key_jwt',
            jwks: jwksOf(inlineKeys.ES256),
            client_name: 'Self-made machine',
          },
        });
      });
      expectOAuthJson(response, 400, 'invalid_client_metadata');
      expect(changes).toEqual({});
    });
  });

  // ------------------------------------------------------------------------------------------
  describe('the resource server: McpPrincipal.machine and @RequiresUser()', () => {
    it('a @RequiresUser() route refuses a machine token with 403 insufficient_user_authentication', async () => {
      const response = await callRoute('user-only', await machineToken());
      expect(response.status).toBe(403);
      expect(response.json).toEqual({
        error: 'insufficient_user_authentication',
        error_description: expect.any(String),
      });
      const challenge = response.headers.get('www-authenticate') ?? '';
      expect(challenge).toMatch(/^Bearer /);
      expect(challenge).toContain('error="insufficient_user_authentication"');
      expect(challenge).toContain(
        `resource_metadata="${t.url}/.well-known/oauth-protected-resource/mcp"`,
      );
      expect(response.headers.get('cache-control')).toBe('no-store');
    });

    it('a route without it accepts the machine token and sees req.user.machine === true', async () => {
      const response = await callRoute('any', await machineToken());
      expect({ status: response.status, body: response.json }).toEqual({
        status: 201,
        body: {
          machine: true,
          subject: 'machine-basic',
          clientId: 'machine-basic',
          scope: 'mcp:tools',
          gty: 'client_credentials',
        },
      });
    });

    it('a user token passes both routes, with machine === false', async () => {
      const token = await userToken();
      const expected = {
        machine: false,
        subject: 'user-alice',
        clientId: expect.any(String),
        scope: 'mcp:tools',
        gty: null,
      };
      for (const route of ['user-only', 'any'] as const) {
        const response = await callRoute(route, token);
        expect({ route, status: response.status, body: response.json }).toEqual({
          route,
          status: 201,
          body: expected,
        });
      }
    });

    it('a machine token for another resource is refused by the /mcp routes (audience)', async () => {
      const response = await withSecret('machine-basic', SECRETS.basic, {
        grant_type: 'client_credentials',
        resource: otherResource,
        scope: 'mcp:tools',
      });
      const other = await callRoute('any', response.json?.access_token as string);
      expect(other.status).toBe(401);
      expect(other.headers.get('www-authenticate')).toContain('error="invalid_token"');
    });
  });

  // ------------------------------------------------------------------------------------------
  describe('revocation and introspection authenticated by private_key_jwt', () => {
    let token: string;

    beforeAll(async () => {
      const response = await withAssertion('machine-jwt', inlineKeys.PS256, {
        grant_type: 'client_credentials',
        resource,
        scope: 'mcp:tools mcp:admin',
      });
      expect(response.status).toBe(200);
      token = response.json?.access_token as string;
    });

    it('a designated resource server introspects with an assertion (aud = the introspection endpoint)', async () => {
      const response = await withAssertion(
        'machine-introspector',
        introspectorKey,
        { token },
        '/introspect',
        `${t.url}/introspect`,
      );
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.json).toMatchObject({
        active: true,
        client_id: 'machine-jwt',
        sub: 'machine-jwt',
        scope: 'mcp:tools mcp:admin',
        aud: resource,
        iss: t.url,
        token_type: 'Bearer',
      });
    });

    it('a private_key_jwt client not designated for introspection gets 403 unauthorized_client', async () => {
      const response = await withAssertion(
        'machine-jwt',
        inlineKeys.ES256,
        { token },
        '/introspect',
        `${t.url}/introspect`,
      );
      expectOAuthJson(response, 403, 'unauthorized_client');
    });

    it('the client revokes its token with an assertion (aud = the revocation endpoint); it is then inactive and refused', async () => {
      expect((await callRoute('any', token)).status).toBe(201);
      let response!: RawResponse;
      const changes = await changesOf(t.db.dataSource, async () => {
        response = await withAssertion(
          'machine-jwt',
          inlineKeys.ES256,
          { token, token_type_hint: 'access_token' },
          '/revoke',
          `${t.url}/revoke`,
        );
      });
      expect(response.status).toBe(200);
      expect(changes.used_jtis).toEqual(added());
      const introspected = await withAssertion(
        'machine-introspector',
        introspectorKey,
        { token },
        '/introspect',
      );
      expect(introspected.json).toEqual({ active: false });
      // The resource server of the same app learns it too (the revocation is broadcast).
      const deadline = Date.now() + 5000;
      let status = 0;
      while (Date.now() < deadline) {
        status = (await callRoute('any', token)).status;
        if (status === 401) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(status).toBe(401);
    });

    it("a client's assertion cannot revoke another client's token (200 as RFC 7009 wants, the token still works)", async () => {
      const fresh = await machineToken();
      const response = await withAssertion(
        'machine-jwt',
        inlineKeys.ES256,
        { token: fresh },
        '/revoke',
        `${t.url}/revoke`,
      );
      // RFC 7009 §2.1: a token of another client is not revoked (the answer is still 200).
      expect(response.status).toBe(200);
      expect((await callRoute('any', fresh)).status).toBe(201);
    });
  });

  // ------------------------------------------------------------------------------------------
  describe('a private_key_jwt client registered dynamically (RFC 7591) redeems codes with assertions', () => {
    let key: ClientKey;
    let clientId: string;
    let registration: Record<string, unknown>;

    beforeAll(async () => {
      key = await generateClientKey('ES256');
      const response = await http(t.url, '/register', {
        jsonBody: {
          redirect_uris: [CALLBACK],
          token_endpoint_auth_method: 'private_key_jwt',
          jwks: jwksOf(key),
          application_type: 'native',
          client_name: 'Signed agent',
        },
      });
      expect(response.status).toBe(201);
      registration = response.json ?? {};
      clientId = registration.client_id as string;
    });

    it('registration keeps the method and the public keys', async () => {
      expect(registration).toMatchObject({
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: jwksOf(key),
        grant_types: ['authorization_code', 'refresh_token'],
      });
      const stored = await t.app.get<symbol, ClientStoreContract>(ClientStore).findById(clientId);
      expect(stored).toMatchObject({
        tokenEndpointAuthMethod: 'private_key_jwt',
        metadata: expect.objectContaining({ jwks: jwksOf(key) }),
      });
    });

    it('no client secret is issued to a client that authenticates with its keys', async () => {
      expect(registration.client_secret).toBeUndefined();
      expect(registration.client_secret_expires_at).toBeUndefined();
      const stored = await t.app.get<symbol, ClientStoreContract>(ClientStore).findById(clientId);
      expect(stored?.clientSecretHash).toBeNull();
    });

    it('the code flow: the code is redeemed and refreshed with assertions; without one the client is refused', async () => {
      const code = await codeFor(clientId);
      // Without its assertion the client proves nothing: refused before the code is touched.
      const bare = await post('/token', { ...codeForm(code), client_id: clientId });
      expectOAuthJson(bare, 401, 'invalid_client');

      const redeemed = await withAssertion(clientId, key, codeForm(code));
      expect(redeemed.status).toBe(200);
      expect(redeemed.json?.refresh_token).toEqual(expect.any(String));
      const claims = decodeJwt(redeemed.json?.access_token as string);
      expect(claims).toMatchObject({ sub: 'user-alice', client_id: clientId, aud: resource });
      expect(claims.gty).toBeUndefined();
      expect((await callRoute('user-only', redeemed.json?.access_token as string)).status).toBe(
        201,
      );

      const refreshed = await withAssertion(clientId, key, {
        grant_type: 'refresh_token',
        refresh_token: redeemed.json?.refresh_token as string,
      });
      expect(refreshed.status).toBe(200);
      expect(decodeJwt(refreshed.json?.access_token as string).sub).toBe('user-alice');
    });

    it('it may not use client_credentials (not registered for it)', async () => {
      const response = await withAssertion(clientId, key, {
        grant_type: 'client_credentials',
        resource,
      });
      expectOAuthJson(response, 400, 'unauthorized_client');
    });
  });

  // ------------------------------------------------------------------------------------------
  describe('a Client ID Metadata Document client with private_key_jwt', () => {
    it('is identified by its document, signs in a user, and redeems the code with an assertion', async () => {
      const key = await generateClientKey('RS256');
      const path = '/clients/signed-agent/metadata.json';
      const documentId = docs.url(path);
      docs.publish(
        path,
        {
          client_id: documentId,
          client_name: 'Signed Document Agent',
          redirect_uris: [CALLBACK],
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          token_endpoint_auth_method: 'private_key_jwt',
          jwks: jwksOf(key),
        },
        { 'cache-control': 'max-age=600' },
      );
      const code = await codeFor(documentId);
      expect(docs.hits(path)).toBe(1);
      const stored = await t.app.get<symbol, ClientStoreContract>(ClientStore).findById(documentId);
      expect(stored).toMatchObject({
        source: 'metadata_document',
        tokenEndpointAuthMethod: 'private_key_jwt',
        clientSecretHash: null,
      });

      const bare = await post('/token', { ...codeForm(code), client_id: documentId });
      expectOAuthJson(bare, 401, 'invalid_client');
      const wrongKey = await withAssertion(documentId, inlineKeys.RS256, codeForm(code));
      expectOAuthJson(wrongKey, 401, 'invalid_client');

      const redeemed = await withAssertion(documentId, key, codeForm(code));
      expect(redeemed.status).toBe(200);
      expect(decodeJwt(redeemed.json?.access_token as string)).toMatchObject({
        sub: 'user-alice',
        client_id: documentId,
        aud: resource,
      });
      const refreshed = await withAssertion(documentId, key, {
        grant_type: 'refresh_token',
        refresh_token: redeemed.json?.refresh_token as string,
      });
      expect(refreshed.status).toBe(200);
      // The token endpoint never fetches the document.
      expect(docs.hits(path)).toBe(1);
    });
  });

  // ------------------------------------------------------------------------------------------
  describe('authorization server metadata', () => {
    const ALGORITHMS = ['ES256', 'ES384', 'RS256', 'PS256', 'EdDSA'];

    function expectAssertionSupport(metadata: Record<string, unknown>): void {
      for (const endpoint of ['token', 'revocation', 'introspection']) {
        expect(metadata[`${endpoint}_endpoint_auth_methods_supported`]).toContain(
          'private_key_jwt',
        );
        expect(
          [
            ...(metadata[`${endpoint}_endpoint_auth_signing_alg_values_supported`] as string[]),
          ].sort(),
        ).toEqual([...ALGORITHMS].sort());
      }
    }

    it('advertises client_credentials when a static client has it, and private_key_jwt with its algorithms', async () => {
      const metadata = (await http(t.url, '/.well-known/oauth-authorization-server')).json ?? {};
      expect(metadata.grant_types_supported).toEqual([
        'authorization_code',
        'refresh_token',
        'client_credentials',
      ]);
      expectAssertionSupport(metadata);
    });

    it('does not advertise client_credentials when no static client has it (even with a private_key_jwt one)', async () => {
      const key = await generateClientKey('ES256');
      const plain = await createTestApp({
        db: t.db,
        auth: (origin) => ({
          clients: [
            ...(defaultAuthOptions(origin).clients ?? []),
            {
              client_id: 'signed-web-client',
              token_endpoint_auth_method: 'private_key_jwt',
              jwks: jwksOf(key),
              redirect_uris: ['https://app.example.com/cb'],
            },
          ],
        }),
      });
      try {
        const metadata =
          (await http(plain.url, '/.well-known/oauth-authorization-server')).json ?? {};
        expect(metadata.grant_types_supported).toEqual(['authorization_code', 'refresh_token']);
        expectAssertionSupport(metadata);
        // And the grant is unusable there even for a client that authenticates.
        const response = await http(plain.url, '/token', {
          form: { grant_type: 'client_credentials', resource: `${plain.url}/mcp` },
          headers: {
            authorization: basicHeader(TEST_RESOURCE_SERVER.clientId, TEST_RESOURCE_SERVER.secret),
          },
        });
        expectOAuthJson(response, 400, 'unauthorized_client');
      } finally {
        await plain.close();
      }
    });
  });
});
