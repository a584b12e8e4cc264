import { Logger } from '@nestjs/common';
import { createPublicKey, randomUUID, type JsonWebKey } from 'node:crypto';
import { base64url, decodeJwt, importJWK, SignJWT, type JWK } from 'jose';
import type { HostResolver, ResolvedAddress, StaticClientOptions } from '@app/mcp-auth';
import {
  assertionClaims,
  assertionParams,
  CLIENT_ASSERTION_TYPE,
  generateClientKey,
  jwksOf,
  signClientAssertion,
  unsecuredJwt,
  type AssertionOptions,
  type ClientKey,
} from '../support/client-assertions';
import {
  startMetadataDocumentServer,
  type MetadataDocumentServer,
} from '../support/metadata-document-server';
import { jailOutboundConnections, type NetworkJail } from '../support/network-jail';
import { TEST_RESOURCE_SERVER, type TestApp } from '../support/test-app';
import { NO_CHANGE } from './support/attack-battery';
import {
  basicAuth,
  captureLogs,
  changesOf,
  createSecurityApp,
  dumpModuleTables,
  expectErrorPage,
  expectOAuthJson,
  http,
  pkce,
  REDIRECT_URI,
  SecretRegistry,
  type CapturingLogger,
  type RawResponse,
  type TableChange,
} from './support/harness';

/**
 * Hostile `private_key_jwt` client assertions (RFC 7523 §3, RFC 7521 §5.2, RFC 6749 §2.3) at
 * the token, revocation and introspection endpoints, and hostile client key sets at
 * registration and behind `jwks_uri`. Every case asserts the exact answer (401
 * `invalid_client` with one description for every failure and no `Basic` challenge; 400
 * `invalid_request` where a request mixes methods or is malformed) and what it changed in the
 * `mcp_auth_` tables: nothing, except that an assertion which did authenticate is spent (its
 * `jti` recorded in `mcp_auth_used_jtis`) and a token it obtained records its grant.
 *
 * Host names of `jwks_uri`s go through the test's resolver only (`localhost` is loopback and
 * allowed; `private.test` resolves to 10.0.0.1), and a jail around `net.Socket#connect`
 * refuses any connection beyond loopback. The suite ends with scans: no assertion, private
 * key, token or secret in any table, error body or log line.
 */

/** The hostile cases declared below (the closing check counts them). */
const EXPECTED_CASES = 67;
const AUTHENTICATION_FAILED = 'Client authentication failed.';
const SECRET_CLIENT = { id: 'secret-client', secret: 'secret-client-secret-0123456789abcdef' };
const v4 = (address: string): ResolvedAddress => ({ address, family: 4 });
const added = (count = 1): TableChange => ({ added: count, removed: 0, changed: 0 });
const SPENT = { used_jtis: added() };
const ISSUED = { grants: added(), used_jtis: added() };

describe('Security: client assertion (private_key_jwt) attacks', () => {
  const secrets = new SecretRegistry();
  /** Every answer of the suite, for the closing scan. */
  const bodies: string[] = [];
  /** Every jti the suite sent: stored only hashed. */
  const jtis = new Set<string>();
  let docs: MetadataDocumentServer;
  let t: TestApp;
  let logs: { logger: CapturingLogger; restore(): void } | undefined;
  let jail: NetworkJail;
  let cases = 0;
  let keys: {
    a: ClientKey;
    /** An RSA key of client-a registered without `alg`: only the advertised algorithms may use it. */
    aRsa: ClientKey;
    b: ClientKey;
    uri: ClientKey;
    introspector: ClientKey;
    attacker: ClientKey;
  };
  let clients: StaticClientOptions[];
  /** A token of secret-client, for /revoke and /introspect. */
  let victimToken: string;

  const resolutions: string[] = [];
  const zone: Record<string, readonly ResolvedAddress[]> = {
    localhost: [v4('127.0.0.1')],
    'private.test': [v4('10.0.0.1')],
  };
  const resolver: HostResolver = (hostname) => {
    resolutions.push(hostname);
    const answers = zone[hostname];
    if (!answers) {
      const error: NodeJS.ErrnoException = new Error(`${hostname} is not in the test zone`);
      error.code = 'ENOTFOUND';
      return Promise.reject(error);
    }
    return Promise.resolve(answers);
  };

  /** Remembers every private member of a key: they must never show up anywhere. */
  function recordPrivateKey(jwk: JWK): void {
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) {
      secrets.add('private_key', (jwk as Record<string, string | undefined>)[member]);
    }
  }

  async function newKey(alg: ClientKey['alg'], kid?: string): Promise<ClientKey> {
    const key = await generateClientKey(alg, kid);
    recordPrivateKey(key.privateJwk);
    return key;
  }

  beforeAll(async () => {
    jail = jailOutboundConnections();
    docs = await startMetadataDocumentServer();
    keys = {
      a: await newKey('ES256', 'a-1'),
      aRsa: await newKey('RS256', 'a-rsa'),
      b: await newKey('ES256', 'b-1'),
      uri: await newKey('ES256', 'uri-1'),
      introspector: await newKey('EdDSA', 'introspector-1'),
      attacker: await newKey('ES256', 'attacker-1'),
    };
    const aRsaWithoutAlg = { ...keys.aRsa.publicJwk };
    delete aRsaWithoutAlg.alg;
    const keySet = jwksOf(keys.uri);
    docs.publish('/keys/ok.json', keySet);
    docs.publish('/keys/redirect-target.json', keySet);
    docs.route('/keys/redirect.json', (_request, response) => {
      response.writeHead(302, { location: docs.url('/keys/redirect-target.json') });
      response.end();
    });
    docs.publish('/keys/with-private.json', {
      keys: [{ ...keys.uri.privateJwk, use: 'sig' }],
    });
    docs.route('/keys/not-json.json', (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<html>keys</html>');
    });
    docs.publish('/attacker/jwks.json', jwksOf(keys.attacker));

    const keyClient = (
      clientId: string,
      member: Pick<StaticClientOptions, 'jwks' | 'jwks_uri'>,
    ): StaticClientOptions => ({
      client_id: clientId,
      token_endpoint_auth_method: 'private_key_jwt',
      grant_types: ['client_credentials'],
      ...member,
    });
    const uriAt = (path: string, host = 'localhost') => `https://${host}:${docs.port}${path}`;
    clients = [
      {
        client_id: TEST_RESOURCE_SERVER.clientId,
        client_secret: TEST_RESOURCE_SERVER.secret,
        token_endpoint_auth_method: TEST_RESOURCE_SERVER.method,
        redirect_uris: ['https://rs.example.com/unused'],
      },
      keyClient('client-a', { jwks: { keys: [keys.a.publicJwk, aRsaWithoutAlg] } }),
      keyClient('client-b', { jwks: jwksOf(keys.b) }),
      keyClient('introspector-jwt', { jwks: jwksOf(keys.introspector) }),
      keyClient('client-uri-ok', { jwks_uri: uriAt('/keys/ok.json') }),
      keyClient('client-uri-private', { jwks_uri: uriAt('/keys/ok.json', 'private.test') }),
      keyClient('client-uri-redirect', { jwks_uri: uriAt('/keys/redirect.json') }),
      keyClient('client-uri-private-key', { jwks_uri: uriAt('/keys/with-private.json') }),
      keyClient('client-uri-not-json', { jwks_uri: uriAt('/keys/not-json.json') }),
      {
        client_id: SECRET_CLIENT.id,
        client_secret: SECRET_CLIENT.secret,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['client_credentials'],
      },
    ];
    secrets.add('client_secret', SECRET_CLIENT.secret);
    secrets.add('client_secret', TEST_RESOURCE_SERVER.secret);
    t = await createSecurityApp({ auth: () => authOptions() });
    logs = captureLogs(t.app);
    const issued = await http(t.url, '/token', {
      form: { grant_type: 'client_credentials' },
      headers: { authorization: basicAuth(SECRET_CLIENT.id, SECRET_CLIENT.secret) },
    });
    expect(issued.status).toBe(200);
    victimToken = issued.json?.access_token as string;
    secrets.add('access_token', victimToken);
  });

  function authOptions(extraClients: StaticClientOptions[] = []) {
    return {
      clients: [...clients, ...extraClients],
      introspection: { allowedClients: [TEST_RESOURCE_SERVER.clientId, 'introspector-jwt'] },
      clientMetadataDocuments: { allowLoopbackHosts: ['localhost'], ca: docs.ca, resolver },
    };
  }

  afterAll(async () => {
    logs?.restore();
    await t?.close();
    await docs?.close();
    jail?.release();
  });

  // ------------------------------------------------------------------------------------------
  // The frame
  // ------------------------------------------------------------------------------------------

  /**
   * One hostile case: `setup` runs first (outside the comparison), then `attack`, whose
   * changes to the `mcp_auth_` tables must be exactly `expected`; then `after`. No connection
   * may leave loopback.
   */
  function hostile(
    name: string,
    attack: () => Promise<void>,
    expected: Record<string, TableChange> = NO_CHANGE,
    hooks: { setup?: () => Promise<void>; after?: () => Promise<void> } = {},
  ): void {
    cases++;
    it(name, async () => {
      await hooks.setup?.();
      const blocked = jail.blocked.length;
      const changes = await changesOf(t.db.dataSource, attack);
      expect(changes).toEqual(expected);
      expect(jail.blocked.slice(blocked)).toEqual([]);
      await hooks.after?.();
    });
  }

  /** Signs an assertion (default: client-a's key, aud = the issuer) and records it. */
  async function assertion(
    options: Partial<AssertionOptions> & { clientId?: string } = {},
  ): Promise<string> {
    const signed = await signClientAssertion({
      clientId: options.clientId ?? 'client-a',
      key: options.key ?? keys.a,
      audience: options.audience ?? t.url,
      ...options,
    });
    return remember(signed);
  }

  function remember(jwt: string): string {
    secrets.add('client_assertion', jwt);
    secrets.add('client_assertion_signature', jwt.split('.')[2]);
    try {
      const jti = decodeJwt(jwt).jti;
      if (typeof jti === 'string' && jti.length >= 16) jtis.add(jti);
    } catch {
      // Not a JWT: nothing to remember.
    }
    return jwt;
  }

  async function send(
    path: string,
    form: Record<string, string | string[]>,
    headers: Record<string, string> = {},
  ): Promise<RawResponse> {
    const response = await http(t.url, path, { form, headers });
    bodies.push(response.text);
    const token = response.json?.access_token;
    if (typeof token === 'string') secrets.add('access_token', token);
    return response;
  }

  /** A client credentials request authenticated by `jwt`. */
  function tokenWith(jwt: string, extra: Record<string, string | string[]> = {}) {
    return send('/token', { grant_type: 'client_credentials', ...assertionParams(jwt), ...extra });
  }

  /** 401 invalid_client, the one description, no Basic challenge (none was tried). */
  function expectInvalidClient(response: RawResponse): void {
    expectOAuthJson(response, 401, 'invalid_client');
    expect(response.json?.error_description).toBe(AUTHENTICATION_FAILED);
    expect(response.headers.get('www-authenticate')).toBeNull();
  }

  function expectInvalidRequest(response: RawResponse): void {
    expectOAuthJson(response, 400, 'invalid_request');
  }

  /** `jwt` authenticates client-a right now (a control: the refusal is the check at work). */
  async function expectIssued(jwt: string, extra: Record<string, string> = {}): Promise<void> {
    const response = await tokenWith(jwt, extra);
    expect({ status: response.status, error: response.json?.error }).toEqual({
      status: 200,
      error: undefined,
    });
  }

  /** Whether the victim token is still accepted (introspection by the resource server). */
  async function victimActive(): Promise<boolean> {
    const response = await send(
      '/introspect',
      { token: victimToken },
      { authorization: basicAuth(TEST_RESOURCE_SERVER.clientId, TEST_RESOURCE_SERVER.secret) },
    );
    return response.json?.active === true;
  }

  /** An HS256 JWT with client-a's claims, keyed with `secret`. */
  async function hmacAssertion(secret: Uint8Array | string): Promise<string> {
    const key = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
    const claims = assertionClaims({ clientId: 'client-a', audience: t.url, key: keys.a });
    return remember(
      await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(key),
    );
  }

  /** client-a's claims signed ES256 with its key by WebCrypto, with extra header members. */
  async function handSigned(extraHeader: Record<string, unknown> = {}): Promise<string> {
    const header = { alg: 'ES256', kid: keys.a.kid, typ: 'JWT', ...extraHeader };
    const claims = assertionClaims({ clientId: 'client-a', audience: t.url, key: keys.a });
    const input = `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(claims))}`;
    const signature = await crypto.subtle.sign(
      { name: 'ECDSA', hash: 'SHA-256' },
      keys.a.privateKey,
      new TextEncoder().encode(input),
    );
    return remember(`${input}.${base64url.encode(new Uint8Array(signature))}`);
  }

  // ------------------------------------------------------------------------------------------
  it('controls: each key client authenticates with a fresh assertion (so refusals below are the checks at work)', async () => {
    await expectIssued(await assertion());
    await expectIssued(await assertion({ key: keys.aRsa }));
    await expectIssued(await handSigned());
    await expectIssued(await assertion({ clientId: 'client-b', key: keys.b }));
    await expectIssued(await assertion({ clientId: 'client-uri-ok', key: keys.uri }));
    expect(docs.hits('/keys/ok.json')).toBe(1);
  });

  // ------------------------------------------------------------------------------------------
  describe('replay: a jti is good for one request, on any endpoint, under concurrency', () => {
    let spent: string;
    hostile(
      'the same assertion again at /token: 401',
      async () => expectInvalidClient(await tokenWith(spent)),
      NO_CHANGE,
      {
        setup: async () => {
          spent = await assertion();
          await expectIssued(spent);
        },
      },
    );

    hostile(
      'an assertion spent at /token (aud = issuer), replayed at /revoke: 401, the token stays',
      async () => {
        expectInvalidClient(
          await send('/revoke', { token: victimToken, ...assertionParams(spent) }),
        );
      },
      NO_CHANGE,
      {
        setup: async () => {
          spent = await assertion();
          await expectIssued(spent);
        },
        after: async () => expect(await victimActive()).toBe(true),
      },
    );

    hostile(
      'an assertion spent at /introspect, replayed there: 401',
      async () => {
        expectInvalidClient(
          await send('/introspect', { token: victimToken, ...assertionParams(spent) }),
        );
      },
      NO_CHANGE,
      {
        setup: async () => {
          spent = await assertion({ clientId: 'introspector-jwt', key: keys.introspector });
          const first = await send('/introspect', {
            token: victimToken,
            ...assertionParams(spent),
          });
          expect(first.json?.active).toBe(true);
        },
      },
    );

    hostile(
      'a new assertion (new exp, new signature) reusing a spent jti: 401',
      async () => {
        const jti = decodeJwt(spent).jti;
        expectInvalidClient(
          await tokenWith(await assertion({ claims: { jti }, lifetimeSeconds: 120 })),
        );
      },
      NO_CHANGE,
      {
        setup: async () => {
          spent = await assertion();
          await expectIssued(spent);
        },
      },
    );

    hostile(
      '10 concurrent requests with one assertion: exactly one token, nine 401',
      async () => {
        const jwt = await assertion();
        const responses = await Promise.all(Array.from({ length: 10 }, () => tokenWith(jwt)));
        const statuses = responses.map((response) => response.status).sort();
        expect(statuses).toEqual([200, 401, 401, 401, 401, 401, 401, 401, 401, 401]);
        for (const response of responses.filter((r) => r.status !== 200)) {
          expectInvalidClient(response);
        }
      },
      ISSUED,
    );

    hostile(
      'an assertion spent by an authenticated but refused request (invalid_scope) cannot be retried',
      async () => {
        const jwt = await assertion();
        expectOAuthJson(await tokenWith(jwt, { scope: 'offline_access' }), 400, 'invalid_scope');
        expectInvalidClient(await tokenWith(jwt));
      },
      SPENT,
    );

    it('a jti is spent per client: another client may use the same jti value', async () => {
      const jti = `shared-${randomUUID()}`;
      await expectIssued(await assertion({ claims: { jti } }));
      await expectIssued(await assertion({ clientId: 'client-b', key: keys.b, claims: { jti } }));
    });
  });

  // ------------------------------------------------------------------------------------------
  describe('claims', () => {
    const now = () => Math.floor(Date.now() / 1000);
    const claimCases: [string, () => Partial<AssertionOptions> & { clientId?: string }][] = [
      ['aud another server', () => ({ audience: 'https://evil.example/token' })],
      ['aud the MCP resource, not the server', () => ({ audience: `${t.url}/mcp` })],
      ['aud the revocation endpoint, used at /token', () => ({ audience: `${t.url}/revoke` })],
      ['aud a list naming only others', () => ({ audience: ['https://evil.example', 'urn:x'] })],
      ['no aud', () => ({ claims: { aud: undefined } })],
      ['iss another client (iss ≠ sub)', () => ({ claims: { iss: 'client-b' } })],
      [
        'sub another client (iss ≠ sub), signed by the issuer',
        () => ({ claims: { sub: 'client-b' } }),
      ],
      ['no iss', () => ({ claims: { iss: undefined } })],
      ['expired two minutes ago', () => ({ claims: { exp: now() - 120, iat: now() - 180 } })],
      ['exp an hour ahead', () => ({ lifetimeSeconds: 3600 })],
      ['exp just past the 5-minute maximum (and its tolerance)', () => ({ lifetimeSeconds: 400 })],
      ['no exp', () => ({ claims: { exp: undefined } })],
      ['nbf ten minutes ahead', () => ({ claims: { nbf: now() + 600 } })],
      ['no jti', () => ({ claims: { jti: undefined } })],
      ['an empty jti', () => ({ claims: { jti: '' } })],
      ['a 300-character jti', () => ({ claims: { jti: 'j'.repeat(300) } })],
      ['a numeric jti', () => ({ claims: { jti: 1234567 } })],
    ];
    for (const [name, options] of claimCases) {
      hostile(`${name}: 401`, async () => {
        expectInvalidClient(await tokenWith(await assertion(options())));
      });
    }

    hostile('at /introspect, aud the revocation endpoint: 401', async () => {
      const jwt = await assertion({
        clientId: 'introspector-jwt',
        key: keys.introspector,
        audience: `${t.url}/revoke`,
      });
      expectInvalidClient(
        await send('/introspect', { token: victimToken, ...assertionParams(jwt) }),
      );
    });

    hostile(
      'at /revoke, an expired assertion: 401, the token stays',
      async () => {
        const jwt = await assertion({
          clientId: 'client-a',
          audience: `${t.url}/revoke`,
          claims: { exp: now() - 120 },
        });
        expectInvalidClient(await send('/revoke', { token: victimToken, ...assertionParams(jwt) }));
      },
      NO_CHANGE,
      { after: async () => expect(await victimActive()).toBe(true) },
    );
  });

  // ------------------------------------------------------------------------------------------
  describe('signatures, algorithms and keys', () => {
    hostile('alg: none (unsigned): 401', async () => {
      const claims = assertionClaims({ clientId: 'client-a', audience: t.url, key: keys.a });
      expectInvalidClient(await tokenWith(remember(unsecuredJwt(claims, { kid: keys.a.kid }))));
    });

    hostile('alg: none with the signature of a real assertion pasted on: 401', async () => {
      const real = await assertion();
      const claims = decodeJwt(real);
      const forged = `${unsecuredJwt(claims)}${real.split('.')[2]}`;
      expectInvalidClient(await tokenWith(remember(forged)));
    });

    hostile('HS256 keyed with a guessed secret (the client_id): 401', async () => {
      expectInvalidClient(await tokenWith(await hmacAssertion('client-a')));
    });

    hostile('HS256 keyed with the client’s public key (algorithm confusion): 401', async () => {
      const pem = createPublicKey({ key: keys.aRsa.publicJwk as JsonWebKey, format: 'jwk' })
        .export({ type: 'spki', format: 'pem' })
        .toString();
      expectInvalidClient(await tokenWith(await hmacAssertion(pem)));
    });

    hostile('an algorithm not advertised (RS384) with a registered RSA key: 401', async () => {
      const rs384 = await importJWK({ ...keys.aRsa.privateJwk, alg: 'RS384' }, 'RS384');
      const jwt = await new SignJWT(
        assertionClaims({ clientId: 'client-a', audience: t.url, key: keys.aRsa }),
      )
        .setProtectedHeader({ alg: 'RS384', kid: keys.aRsa.kid })
        .sign(rs384);
      expectInvalidClient(await tokenWith(remember(jwt)));
    });

    hostile('signed by a key not in the client’s set: 401', async () => {
      expectInvalidClient(await tokenWith(await assertion({ key: keys.attacker })));
    });

    hostile('signed by another key claiming the client’s kid: 401', async () => {
      expectInvalidClient(
        await tokenWith(await assertion({ key: keys.attacker, header: { kid: keys.a.kid } })),
      );
    });

    hostile('kid and signature of another client’s key (iss = sub = client-a): 401', async () => {
      expectInvalidClient(await tokenWith(await assertion({ key: keys.b })));
    });

    hostile('the attacker’s public key embedded in the header (jwk): 401', async () => {
      expectInvalidClient(
        await tokenWith(
          await assertion({ key: keys.attacker, header: { jwk: keys.attacker.publicJwk } }),
        ),
      );
    });

    hostile('a jku header naming the attacker’s key set: 401, never fetched', async () => {
      const before = docs.hits('/attacker/jwks.json');
      expectInvalidClient(
        await tokenWith(
          await assertion({
            key: keys.attacker,
            header: { jku: docs.url('/attacker/jwks.json') },
          }),
        ),
      );
      expect(docs.hits('/attacker/jwks.json')).toBe(before);
    });

    hostile('a critical header extension the server does not know: 401', async () => {
      // Signed by hand (jose will not sign a header it does not understand either); the same
      // signing without `crit` is accepted (see the controls).
      expectInvalidClient(
        await tokenWith(await handSigned({ crit: ['x-unknown'], 'x-unknown': 1 })),
      );
    });

    hostile('a valid signature over other claims (payload swapped): 401', async () => {
      const real = await assertion();
      const [header, , signature] = real.split('.');
      const claims = assertionClaims({ clientId: 'client-a', audience: t.url, key: keys.a });
      const payload = base64url.encode(JSON.stringify(claims));
      expectInvalidClient(await tokenWith(remember(`${header}.${payload}.${signature}`)));
    });

    hostile('a signature truncated by one byte: 401', async () => {
      const real = await assertion();
      const [header, payload, signature] = real.split('.');
      const bytes = base64url.decode(signature);
      const truncated = base64url.encode(bytes.subarray(0, bytes.length - 1));
      expectInvalidClient(await tokenWith(remember(`${header}.${payload}.${truncated}`)));
    });
  });

  // ------------------------------------------------------------------------------------------
  describe('client key sets: refused at registration, and jwks_uri fetched only safely', () => {
    const register = async (metadata: Record<string, unknown>) => {
      const response = await http(t.url, '/register', {
        jsonBody: {
          redirect_uris: [REDIRECT_URI],
          application_type: 'native',
          client_name: 'Hostile signer',
          token_endpoint_auth_method: 'private_key_jwt',
          ...metadata,
        },
      });
      bodies.push(response.text);
      expectOAuthJson(response, 400, 'invalid_client_metadata');
      return response;
    };
    const without = (jwk: JWK, members: string[]) =>
      Object.fromEntries(Object.entries(jwk).filter(([name]) => !members.includes(name)));

    hostile('registration with a private EC key in jwks: 400', async () => {
      const key = await newKey('ES256');
      await register({ jwks: { keys: [key.privateJwk] } });
    });

    hostile('registration with a private RSA key in jwks (beside a public one): 400', async () => {
      const key = await newKey('RS256');
      await register({ jwks: { keys: [keys.a.publicJwk, key.privateJwk] } });
    });

    hostile('registration with only d of an RSA key hidden among public members: 400', async () => {
      const key = await newKey('RS256');
      await register({ jwks: { keys: [without(key.privateJwk, ['p', 'q', 'dp', 'dq', 'qi'])] } });
    });

    hostile('registration with a symmetric (oct) key: 400', async () => {
      const k = base64url.encode(new TextEncoder().encode(`shared-${randomUUID()}`));
      secrets.add('private_key', k);
      await register({ jwks: { keys: [{ kty: 'oct', k, alg: 'HS256' }] } });
    });

    hostile('registration with both jwks and jwks_uri: 400', async () => {
      await register({ jwks: jwksOf(keys.attacker), jwks_uri: docs.url('/attacker/jwks.json') });
    });

    hostile('registration with neither jwks nor jwks_uri: 400', async () => {
      await register({});
    });

    hostile('registration with an http jwks_uri on loopback: 400', async () => {
      await register({ jwks_uri: `http://127.0.0.1:${docs.port}/keys/ok.json` });
    });

    hostile(
      'a static client with a private key in jwks: the module refuses to boot and writes nothing',
      async () => {
        const key = await newKey('ES256');
        const bad = {
          client_id: 'static-private-key',
          token_endpoint_auth_method: 'private_key_jwt',
          grant_types: ['client_credentials'],
          jwks: { keys: [key.privateJwk] },
        } as StaticClientOptions;
        await expect(
          createSecurityApp({
            db: t.db,
            auth: () => ({ ...authOptions([bad]), issuer: t.url }),
          }),
        ).rejects.toThrow(/static-private-key/);
      },
      NO_CHANGE,
      {
        // Booting an app replaces the process-wide Nest logger: capture again.
        after: async () => {
          Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose', 'fatal']);
          t.app.useLogger(logs!.logger);
        },
      },
    );

    hostile('a metadata document with a private key in jwks: refused at /authorize', async () => {
      const key = await newKey('ES256');
      const path = `/documents/private-key-${randomUUID()}.json`;
      const clientId = docs.url(path);
      docs.publish(path, {
        client_id: clientId,
        client_name: 'Leaky document',
        redirect_uris: [REDIRECT_URI],
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [key.privateJwk] },
      });
      const url = new URL('/authorize', t.url);
      for (const [name, value] of Object.entries({
        response_type: 'code',
        client_id: clientId,
        redirect_uri: REDIRECT_URI,
        code_challenge: pkce().challenge,
        code_challenge_method: 'S256',
        state: 'leaky',
      })) {
        url.searchParams.set(name, value);
      }
      const response = await http(t.url, `${url.pathname}${url.search}`);
      bodies.push(response.text);
      expectErrorPage(response, 400);
      expect(docs.hits(path)).toBe(1);
    });

    hostile(
      'jwks_uri on a host resolving to a private address (10.0.0.1): 401, never connected',
      async () => {
        const resolved = resolutions.length;
        const jwt = await assertion({ clientId: 'client-uri-private', key: keys.uri });
        expectInvalidClient(await tokenWith(jwt));
        expect(resolutions.slice(resolved)).toContain('private.test');
        expect(logs!.logger.lines.join('\n')).toMatch(
          /jwks_uri of client client-uri-private refused: .*10\.0\.0\.1/,
        );
      },
    );

    hostile('jwks_uri redirecting to a valid key set: 401, the redirect not followed', async () => {
      const jwt = await assertion({ clientId: 'client-uri-redirect', key: keys.uri });
      expectInvalidClient(await tokenWith(jwt));
      expect(docs.hits('/keys/redirect.json')).toBeGreaterThanOrEqual(1);
      expect(docs.hits('/keys/redirect-target.json')).toBe(0);
    });

    hostile('jwks_uri serving a private key: not used, 401', async () => {
      const jwt = await assertion({ clientId: 'client-uri-private-key', key: keys.uri });
      expectInvalidClient(await tokenWith(jwt));
      expect(docs.hits('/keys/with-private.json')).toBeGreaterThanOrEqual(1);
    });

    hostile('jwks_uri serving HTML: 401', async () => {
      const jwt = await assertion({ clientId: 'client-uri-not-json', key: keys.uri });
      expectInvalidClient(await tokenWith(jwt));
    });
  });

  // ------------------------------------------------------------------------------------------
  describe('malformed, mixed and misdirected requests', () => {
    hostile('an oversized assertion (9000 characters): 400 invalid_request', async () => {
      const jwt = await assertion({ claims: { pad: 'p'.repeat(9000) } });
      expect(jwt.length).toBeGreaterThan(8192);
      expectInvalidRequest(await tokenWith(jwt));
    });

    for (const [name, garbage] of [
      ['not a JWT at all', 'not-a-jwt'],
      ['three dots of nothing', 'a.b.c'],
      [
        'a JSON array as payload',
        `${base64url.encode('{"alg":"ES256"}')}.${base64url.encode('[1,2]')}.c2ln`,
      ],
      ['five segments (a JWE shape)', 'a.b.c.d.e'],
    ] as const) {
      hostile(`garbage: ${name}: 401`, async () => {
        expectInvalidClient(await tokenWith(garbage, { client_id: 'client-a' }));
      });
    }

    hostile('a SAML client_assertion_type: 401', async () => {
      const jwt = await assertion();
      expectInvalidClient(
        await send('/token', {
          grant_type: 'client_credentials',
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer',
          client_assertion: jwt,
        }),
      );
    });

    hostile('client_assertion without client_assertion_type: 401', async () => {
      const jwt = await assertion();
      expectInvalidClient(
        await send('/token', { grant_type: 'client_credentials', client_assertion: jwt }),
      );
    });

    hostile('client_assertion_type without client_assertion: 401', async () => {
      expectInvalidClient(
        await send('/token', {
          grant_type: 'client_credentials',
          client_id: 'client-a',
          client_assertion_type: CLIENT_ASSERTION_TYPE,
        }),
      );
    });

    hostile('two client_assertion parameters: 400 invalid_request', async () => {
      const first = await assertion();
      const second = await assertion();
      expectInvalidRequest(
        await send('/token', {
          grant_type: 'client_credentials',
          client_assertion_type: CLIENT_ASSERTION_TYPE,
          client_assertion: [first, second],
        }),
      );
    });

    hostile('an assertion plus a client_secret: 400 invalid_request', async () => {
      const jwt = await assertion();
      expectInvalidRequest(await tokenWith(jwt, { client_secret: SECRET_CLIENT.secret }));
    });

    hostile(
      'an assertion plus a Basic header (another client’s valid secret): 400 invalid_request',
      async () => {
        const jwt = await assertion();
        expectInvalidRequest(
          await send(
            '/token',
            { grant_type: 'client_credentials', ...assertionParams(jwt) },
            { authorization: basicAuth(SECRET_CLIENT.id, SECRET_CLIENT.secret) },
          ),
        );
      },
    );

    let untouched: string;
    hostile(
      'client_id naming another client beside client-a’s valid assertion: 401, the assertion not spent',
      async () => {
        untouched = await assertion();
        expectInvalidClient(await tokenWith(untouched, { client_id: 'client-b' }));
      },
      NO_CHANGE,
      // Refused before anything was checked or recorded: its rightful holder can still use it.
      { after: () => expectIssued(untouched) },
    );

    hostile('an assertion for a client_secret client (signed by the attacker): 401', async () => {
      const jwt = await assertion({ clientId: SECRET_CLIENT.id, key: keys.attacker });
      expectInvalidClient(await tokenWith(jwt));
    });

    hostile('an assertion for an unknown client: 401', async () => {
      const jwt = await assertion({ clientId: `ghost-${randomUUID()}`, key: keys.attacker });
      expectInvalidClient(await tokenWith(jwt));
    });

    hostile('sub a metadata-document URL never seen: 401, nothing fetched at /token', async () => {
      const path = `/documents/unseen-${randomUUID()}.json`;
      const jwt = await assertion({ clientId: docs.url(path), key: keys.attacker });
      expectInvalidClient(await tokenWith(jwt));
      expect(docs.hits(path)).toBe(0);
    });

    hostile('sub with a control character: 401', async () => {
      const jwt = await assertion({ clientId: 'client-a\u0000', key: keys.a });
      expectInvalidClient(await tokenWith(jwt));
    });
  });

  // ------------------------------------------------------------------------------------------
  describe('secrets at rest, in answers and in logs; no traffic beyond loopback', () => {
    it('no mcp_auth_ table holds an assertion, a private key, a token, a secret or a raw jti', async () => {
      expect(
        secrets.kindsNotSeen([
          'client_assertion',
          'client_assertion_signature',
          'private_key',
          'access_token',
          'client_secret',
        ]),
      ).toEqual([]);
      const dump = await dumpModuleTables(t.db.dataSource);
      expect(dump).toContain('mcp_auth_used_jtis');
      expect(secrets.foundIn(dump)).toEqual([]);
      expect(jtis.size).toBeGreaterThan(50);
      expect([...jtis].filter((jti) => dump.includes(jti))).toEqual([]);
    });

    it('no answer of the suite holds any of them', () => {
      expect(bodies.length).toBeGreaterThan(60);
      const answers = bodies.join('\n');
      // Tokens are in the 200 answers by design; none of the other kinds may be.
      expect(secrets.foundIn(answers).filter((found) => found.kind !== 'access_token')).toEqual([]);
    });

    it('the log output names the refused key sets and holds none of them', () => {
      const output = logs!.logger.lines.join('\n');
      expect(output).toContain('jwks_uri of client client-uri-redirect refused');
      expect(output).toContain('jwks_uri of client client-uri-private-key refused');
      expect(secrets.foundIn(output)).toEqual([]);
    });

    it('every outbound connection went to loopback; the jail refused none', () => {
      expect(jail.blocked).toEqual([]);
      expect(jail.connectedTo.some((target) => target.endsWith(`:${docs.port}`))).toBe(true);
      expect(jail.connectedTo.filter((target) => target.includes('10.0.0.1'))).toEqual([]);
    });

    it(`ran ${EXPECTED_CASES} distinct hostile cases`, () => {
      expect(cases).toBe(EXPECTED_CASES);
    });
  });
});
