import { createRemoteJWKSet, jwtVerify } from 'jose';
import request from 'supertest';
import { discoverAuthorizationServerMetadata } from '@modelcontextprotocol/sdk/client/auth.js';
import { AccessTokenIssuer } from '@app/mcp-auth';
import { createTestApp, TEST_HTTP_ADAPTER, type TestApp } from './support/test-app';
import { DATABASE_TARGETS, openTestDatabase, type TestDatabase } from './support/test-database';

const METADATA_PATH = '/.well-known/oauth-authorization-server';
const JWKS_PATH = '/.well-known/jwks.json';
/** Private JWK members of EC, RSA, OKP and oct keys: none may ever be published. */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

describe('Authorization server metadata (RFC 8414) and JWKS', () => {
  let db: TestDatabase;
  let t: TestApp;

  beforeAll(async () => {
    db = await openTestDatabase(DATABASE_TARGETS[DATABASE_TARGETS.length - 1]);
    t = await createTestApp({ db });
  });

  afterAll(async () => {
    await t?.close();
    await db?.close();
  });

  /** RFC 7523 §2.2 client assertions: the algorithms clients may sign them with. */
  const ALGS = ['ES256', 'ES384', 'RS256', 'PS256', 'EdDSA'];

  describe('GET /.well-known/oauth-authorization-server', () => {
    it('AS-2/AS-5/AS-6/AS-7/AS-16: publishes every field, describing only what is built', async () => {
      const res = await request(t.url).get(METADATA_PATH).expect(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual({
        issuer: t.url,
        authorization_endpoint: `${t.url}/authorize`,
        token_endpoint: `${t.url}/token`,
        registration_endpoint: `${t.url}/register`,
        revocation_endpoint: `${t.url}/revoke`,
        introspection_endpoint: `${t.url}/introspect`,
        jwks_uri: `${t.url}/.well-known/jwks.json`,
        scopes_supported: ['mcp:tools', 'mcp:resources', 'mcp:admin', 'offline_access'],
        response_types_supported: ['code'],
        response_modes_supported: ['query'],
        grant_types_supported: ['authorization_code', 'refresh_token'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: [
          'client_secret_basic',
          'client_secret_post',
          'private_key_jwt',
          'none',
        ],
        token_endpoint_auth_signing_alg_values_supported: ALGS,
        revocation_endpoint_auth_methods_supported: [
          'client_secret_basic',
          'client_secret_post',
          'private_key_jwt',
          'none',
        ],
        revocation_endpoint_auth_signing_alg_values_supported: ALGS,
        introspection_endpoint_auth_methods_supported: [
          'client_secret_basic',
          'client_secret_post',
          'private_key_jwt',
        ],
        introspection_endpoint_auth_signing_alg_values_supported: ALGS,
        authorization_response_iss_parameter_supported: true,
        // AS-18: prompt is honoured, not ignored.
        prompt_values_supported: ['none', 'login', 'consent'],
        // AS-11: URL client ids (Client ID Metadata Documents) are accepted.
        client_id_metadata_document_supported: true,
      });
    });

    it('AS-3/AS-4: a client without PRM (2025-03-26) finds it at the MCP origin root, with issuer byte-identical to that origin', async () => {
      const mcpServerUrl = `${t.url}/mcp`;
      // 03 discovery: discard the path of the MCP URL, keep the origin.
      const origin = new URL(mcpServerUrl).origin;
      const res = await request(origin).get(METADATA_PATH).expect(200);
      const issuer: string = res.body.issuer;
      expect(issuer).toBe(origin);
      expect(Buffer.from(issuer, 'utf8').equals(Buffer.from(t.url, 'utf8'))).toBe(true);
      expect(issuer.endsWith('/')).toBe(false);
      // RFC 8414 §3.3: the document answers exactly the URL built from its issuer.
      expect(`${issuer}${METADATA_PATH}`).toBe(`${origin}${METADATA_PATH}`);
    });

    it('AS-2/AS-6: the MCP TypeScript SDK discovers and accepts the document', async () => {
      const metadata = await discoverAuthorizationServerMetadata(t.url, {
        protocolVersion: '2025-06-18',
      });
      expect(metadata?.issuer).toBe(t.url);
      expect(metadata?.code_challenge_methods_supported).toEqual(['S256']);
      expect(metadata?.registration_endpoint).toBe(`${t.url}/register`);
    });

    it('AS-8: answers a cross-origin GET that carries MCP-Protocol-Version with CORS headers and caching', async () => {
      const res = await request(t.url)
        .get(METADATA_PATH)
        .set('Origin', 'http://localhost:6274')
        .set('MCP-Protocol-Version', '2025-06-18')
        .expect(200);
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
      expect(res.headers['cache-control']).toBe('public, max-age=300');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    });

    it('AS-8: answers the CORS preflight with 204, allowing MCP-Protocol-Version, Authorization and Content-Type', async () => {
      const res = await request(t.url)
        .options(METADATA_PATH)
        .set('Origin', 'http://localhost:6274')
        .set('Access-Control-Request-Method', 'GET')
        .set('Access-Control-Request-Headers', 'mcp-protocol-version')
        .expect(204);
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(res.headers['access-control-allow-methods']).toBe('GET, HEAD, OPTIONS');
      const allowed = res.headers['access-control-allow-headers']
        .split(',')
        .map((name: string) => name.trim().toLowerCase());
      expect(allowed).toEqual(
        expect.arrayContaining(['mcp-protocol-version', 'authorization', 'content-type']),
      );
      expect(res.text).toBe('');
    });

    it('AS-8: HEAD answers like GET, without a body', async () => {
      const get = await request(t.url).get(METADATA_PATH).expect(200);
      const head = await request(t.url).head(METADATA_PATH).expect(200);
      expect(head.headers['content-type']).toBe(get.headers['content-type']);
      expect(head.headers['content-length']).toBe(get.headers['content-length']);
      expect(head.headers['access-control-allow-origin']).toBe('*');
      expect(head.text ?? '').toBe('');
    });

    it('AS-8: other methods get 405 with Allow, never a redirect', async () => {
      const res = await request(t.url).post(METADATA_PATH).send({}).expect(405);
      expect(res.headers.allow).toBe('GET, HEAD, OPTIONS');
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(res.body.error).toBe('invalid_request');
      await request(t.url).delete(METADATA_PATH).expect(405);
    });

    it('AS-8: a trailing slash is never redirected (Express serves it; Fastify, by default, does not route it)', async () => {
      const res = await request(t.url).get(`${METADATA_PATH}/`).redirects(0);
      if (TEST_HTTP_ADAPTER === 'fastify') {
        // Fastify's router keeps `/x/` apart from `/x` unless the host sets ignoreTrailingSlash.
        expect(res.status).toBe(404);
      } else {
        expect(res.status).toBe(200);
        expect(res.body.issuer).toBe(t.url);
      }
    });

    it('AS-2/AS-3: /.well-known/openid-configuration is not served (OAuth-only server, no ID tokens)', async () => {
      await request(t.url).get('/.well-known/openid-configuration').redirects(0).expect(404);
    });
  });

  describe('GET /.well-known/jwks.json', () => {
    it('AS-8: serves the public key set as JSON with CORS and a short cache lifetime', async () => {
      const res = await request(t.url)
        .get(JWKS_PATH)
        .set('Origin', 'https://other.example')
        .expect(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers['cache-control']).toBe('public, max-age=60');
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(res.body.keys).toHaveLength(1);
      const [key] = res.body.keys;
      expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
      expect(typeof key.kid).toBe('string');
      for (const member of PRIVATE_JWK_MEMBERS) {
        expect(key).not.toHaveProperty(member);
      }
    });

    it('AS-8: answers preflight, HEAD and other methods like the metadata', async () => {
      const preflight = await request(t.url)
        .options(JWKS_PATH)
        .set('Origin', 'https://other.example')
        .set('Access-Control-Request-Method', 'GET')
        .expect(204);
      expect(preflight.headers['access-control-allow-origin']).toBe('*');
      await request(t.url).head(JWKS_PATH).expect(200);
      const put = await request(t.url).put(JWKS_PATH).expect(405);
      expect(put.headers.allow).toBe('GET, HEAD, OPTIONS');
    });

    it('RS-6: verifies an access token from AccessTokenIssuer through metadata jwks_uri', async () => {
      const audience = `${t.url}/mcp`;
      const issued = await t.app.get(AccessTokenIssuer).issue({
        subject: 'user-1',
        clientId: 'client-1',
        audience,
        scopes: ['mcp:tools'],
        grantId: 'grant-1',
      });
      const metadata = (await request(t.url).get(METADATA_PATH).expect(200)).body;
      const jwks = createRemoteJWKSet(new URL(metadata.jwks_uri));
      const { payload, protectedHeader } = await jwtVerify(issued.token, jwks, {
        issuer: metadata.issuer,
        audience,
        typ: 'at+jwt',
      });
      expect(payload.sub).toBe('user-1');
      expect(protectedHeader.alg).toBe('ES256');
    });
  });

  describe('with options', () => {
    it('AS-3/AS-7: with a route prefix the document stays at the origin root and advertises prefixed endpoints', async () => {
      const prefixed = await createTestApp({
        db,
        auth: () => ({ routePrefix: '/oauth' }),
      });
      try {
        const res = await request(prefixed.url).get(METADATA_PATH).expect(200);
        expect(res.body.issuer).toBe(prefixed.url);
        expect(res.body.authorization_endpoint).toBe(`${prefixed.url}/oauth/authorize`);
        expect(res.body.token_endpoint).toBe(`${prefixed.url}/oauth/token`);
        expect(res.body.registration_endpoint).toBe(`${prefixed.url}/oauth/register`);
        // The JWKS is a well-known document too.
        expect(res.body.jwks_uri).toBe(`${prefixed.url}/.well-known/jwks.json`);
        await request(prefixed.url).get(JWKS_PATH).expect(200);
        await request(prefixed.url).get(`/oauth${METADATA_PATH}`).expect(404);
        // The advertised registration endpoint is the live one.
        await request(res.body.registration_endpoint)
          .post('')
          .send({ redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none' })
          .expect(201);
        await request(prefixed.url)
          .post('/register')
          .send({ redirect_uris: ['http://127.0.0.1/cb'] })
          .expect(404);
      } finally {
        await prefixed.close();
      }
    });

    it('AS-7/AS-9: without dynamic registration there is no registration_endpoint', async () => {
      const closed = await createTestApp({
        db,
        auth: () => ({ registration: { enabled: false } }),
      });
      try {
        const res = await request(closed.url).get(METADATA_PATH).expect(200);
        expect(res.body).not.toHaveProperty('registration_endpoint');
        expect(res.body.token_endpoint).toBe(`${closed.url}/token`);
      } finally {
        await closed.close();
      }
    });
  });
});
