import type { Request } from 'express';
import { Body, Controller, Get, Logger, Post, Req, UseGuards } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { createPublicKey, randomUUID, type JsonWebKey } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { base64url, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import request from 'supertest';
import {
  discoverOAuthProtectedResourceMetadata,
  discoverOAuthServerInfo,
  extractResourceMetadataUrl,
  extractWWWAuthenticateParams,
  UnauthorizedError,
  type OAuthClientProvider,
} from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthClientInformationMixed } from '@modelcontextprotocol/sdk/shared/auth.js';
import {
  type VerifiedAccessToken,
  type McpAuthenticatedRequest,
  BearerGuard,
  AccessToken,
  Public,
  RequiredScopes,
  requireScopes,
  GrantStore,
  REVOCATION_CHANNEL,
  type GrantStore as GrantStoreContract,
  AccessTokenIssuer,
  SigningKeyService,
} from '@app/mcp-auth';
import { postForm, redeemCode, registerClient, seedCode } from './support/token-endpoints';
import { createTestApp, type TestApp } from './support/test-app';
import { itOnPostgres } from './support/skip';

/** The MCP endpoint of the tests: class scope plus method scopes, per-operation checks. */
@Controller()
@UseGuards(BearerGuard)
@RequiredScopes('mcp:tools')
class McpTestController {
  @Post('mcp')
  handle(@AccessToken() token: VerifiedAccessToken, @Req() req: McpAuthenticatedRequest<Request>) {
    return {
      subject: token.subject,
      resource: token.resource,
      auth: { ...req.auth, resource: req.auth.resource?.href },
    };
  }

  @Post('mcp/admin')
  @RequiredScopes('mcp:admin')
  admin(@AccessToken('scopes') scopes: string[]) {
    return { scopes };
  }

  /** Per MCP tool: the helper must answer like the decorator would. */
  @Post('mcp/tools/call')
  callTool(@Req() req: McpAuthenticatedRequest<Request>, @Body() body: { name?: string }) {
    const toolScopes: Record<string, string[]> = { 'delete-everything': ['mcp:admin'] };
    requireScopes(req, toolScopes[body.name ?? ''] ?? []);
    return { called: body.name };
  }

  @Post('other')
  other() {
    return { ok: true };
  }
}

const PRM_PATH = '/.well-known/oauth-protected-resource';

describe('BearerGuard with our own authorization server (RS-1..RS-10)', () => {
  let t: TestApp;
  let server: ReturnType<TestApp['app']['getHttpServer']>;
  let resource: string;
  let prmUrl: string;

  beforeAll(async () => {
    t = await createTestApp({
      auth: () => ({
        resources: [
          { path: '/mcp', scopes: ['mcp:tools', 'mcp:resources', 'mcp:admin'] },
          { path: '/other', scopes: ['mcp:tools'] },
        ],
      }),
      resourceServer: {
        scopeHierarchy: { 'mcp:admin': ['mcp:tools'] },
        // No catch-up poll during the suite: revocations must arrive through NOTIFY.
        revocationPollInterval: 3600,
      },
      module: { controllers: [McpTestController] },
    });
    Logger.overrideLogger(['error']);
    server = t.app.getHttpServer();
    resource = `${t.url}/mcp`;
    prmUrl = `${t.url}${PRM_PATH}/mcp`;
  });
  afterAll(() => t?.close());

  /** A token from our AS's issuer, as the token endpoint would mint it. */
  async function ourToken(
    overrides: { scopes?: string[]; audience?: string; grantId?: string } = {},
  ): Promise<string> {
    const issued = await t.app.get(AccessTokenIssuer).issue({
      subject: 'user-alice',
      clientId: 'client-1',
      audience: overrides.audience ?? resource,
      scopes: overrides.scopes ?? ['mcp:tools'],
      grantId: overrides.grantId ?? randomUUID(),
    });
    return issued.token;
  }

  /** A JWT signed with our current key, with whatever claims and header the test wants. */
  async function craft(claims: JWTPayload = {}, header: Record<string, unknown> = {}) {
    const { kid, alg, key } = t.app.get(SigningKeyService).getSigningKey();
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      iss: t.url,
      sub: 'user-alice',
      aud: resource,
      client_id: 'client-1',
      scope: 'mcp:tools',
      iat: now,
      exp: now + 300,
      jti: randomUUID(),
      ...claims,
    })
      .setProtectedHeader({ alg, kid, typ: 'at+jwt', ...header })
      .sign(key);
  }

  /** `alg: none`, no signature. */
  function unsigned(): string {
    const segment = (value: object) => base64url.encode(JSON.stringify(value));
    const { kid } = t.app.get(SigningKeyService).getSigningKey();
    const now = nowS();
    return `${segment({ alg: 'none', typ: 'at+jwt', kid })}.${segment({
      iss: t.url,
      sub: 'user-alice',
      aud: resource,
      client_id: 'client-1',
      scope: 'mcp:tools',
      iat: now,
      exp: now + 300,
      jti: randomUUID(),
    })}.`;
  }

  /** Algorithm confusion: HS256 keyed with our published public key. */
  async function hmacWithPublicKey(): Promise<string> {
    const jwk = t.app.get(SigningKeyService).getJwks().keys[0];
    const pem = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' })
      .export({ type: 'spki', format: 'pem' })
      .toString();
    return craftWith(new TextEncoder().encode(pem), { alg: 'HS256', kid: jwk.kid });
  }

  async function tampered(): Promise<string> {
    const [header, payload, signature] = (await craft()).split('.');
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload))) as JWTPayload;
    const forged = base64url.encode(JSON.stringify({ ...claims, scope: 'mcp:tools mcp:admin' }));
    return `${header}.${forged}.${signature}`;
  }

  async function foreignKey(): Promise<string> {
    const attacker = await generateKeyPair('ES256');
    const { kid } = t.app.get(SigningKeyService).getSigningKey();
    return craftWith(attacker.privateKey, { alg: 'ES256', kid });
  }

  async function craftWith(
    key: CryptoKey | Uint8Array,
    header: { alg: string; kid?: string },
  ): Promise<string> {
    const now = nowS();
    return new SignJWT({ client_id: 'client-1', scope: 'mcp:tools', jti: randomUUID() })
      .setProtectedHeader({ typ: 'at+jwt', ...header })
      .setIssuer(t.url)
      .setSubject('user-alice')
      .setAudience(resource)
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(key);
  }

  const call = (token?: string, path = '/mcp') => {
    const req = request(server).post(path);
    return token === undefined ? req : req.set('Authorization', `Bearer ${token}`);
  };

  function expectChallenge(
    response: request.Response,
    status: number,
    error: string | undefined,
    scope = 'mcp:tools',
  ): void {
    expect(response.status).toBe(status);
    const header: string = response.headers['www-authenticate'];
    const expected = error
      ? new RegExp(
          `^Bearer error="${error}"(, error_description="[^"\\\\]*")?, resource_metadata="${escape(prmUrl)}", scope="${escape(scope)}"$`,
        )
      : new RegExp(`^Bearer resource_metadata="${escape(prmUrl)}", scope="${escape(scope)}"$`);
    expect(header).toMatch(expected);
    expect(response.headers['access-control-expose-headers']).toMatch(/WWW-Authenticate/i);
    expect(response.headers['cache-control']).toBe('no-store');
    // The JSON body carries the same error as the header, or none.
    if (error) {
      expect(response.body.error).toBe(error);
      expect(Object.keys(response.body).sort()).toEqual(
        header.includes('error_description') ? ['error', 'error_description'] : ['error'],
      );
      if (response.body.error_description) {
        expect(header).toContain(`error_description="${response.body.error_description}"`);
      }
    } else {
      expect(response.body).toEqual({});
    }
  }

  describe('RS-1/RS-2/RS-3: no credentials', () => {
    it('answers 401 with resource_metadata and the route scope, and no error', async () => {
      const response = await call();
      expectChallenge(response, 401, undefined);
      expect(response.headers['www-authenticate']).toBe(
        `Bearer resource_metadata="${prmUrl}", scope="mcp:tools"`,
      );
    });

    it('names all scopes of method and class in the challenge', async () => {
      expectChallenge(await call(undefined, '/mcp/admin'), 401, undefined, 'mcp:tools mcp:admin');
    });

    it('treats another scheme (Basic) as no credentials (RFC 6750 §3.1)', async () => {
      const response = await request(server)
        .post('/mcp')
        .set('Authorization', 'Basic dXNlcjpwdw==');
      expectChallenge(response, 401, undefined);
    });

    it('points a route of another resource at that resource metadata', async () => {
      const response = await call(undefined, '/other');
      expect(response.headers['www-authenticate']).toBe(
        `Bearer resource_metadata="${t.url}${PRM_PATH}/other", scope="mcp:tools"`,
      );
    });
  });

  describe('accepted tokens', () => {
    it('RS-6: accepts our token, hands @AccessToken() and req.auth (MCP AuthInfo) to the handler', async () => {
      const token = await ourToken();
      const response = await call(token);
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({
        subject: 'user-alice',
        resource,
        auth: {
          token,
          clientId: 'client-1',
          scopes: ['mcp:tools'],
          expiresAt: expect.any(Number),
          resource,
          extra: { sub: 'user-alice', iss: t.url, aud: resource, client_id: 'client-1' },
        },
      });
      // No challenge, so nothing to expose: the header goes only with a WWW-Authenticate.
      expect(response.headers['www-authenticate']).toBeUndefined();
      expect(response.headers['access-control-expose-headers']).toBeUndefined();
    });

    it('accepts a lower-case scheme and several spaces (RFC 7235 1*SP)', async () => {
      const token = await ourToken();
      const lower = await request(server).post('/mcp').set('Authorization', `bearer ${token}`);
      expect(lower.status).toBe(201);
      const spaced = await request(server).post('/mcp').set('Authorization', `Bearer   ${token}`);
      expect(spaced.status).toBe(201);
    });

    it('RS-7: accepts an upper-case scheme/host spelling of the resource', async () => {
      const upper = resource.replace('http://127.0.0.1', 'HTTP://127.0.0.1');
      expect((await call(await craft({ aud: upper }))).status).toBe(201);
    });
  });

  describe('RS-1: refused tokens → 401 invalid_token', () => {
    const cases: [string, () => Promise<string>, RegExp][] = [
      ['garbage', async () => 'abc.def.ghi', /malformed/],
      ['expired', () => craft({ iat: nowS() - 900, exp: nowS() - 60 }), /expired/],
      ['not yet valid (nbf)', () => craft({ nbf: nowS() + 120 }), /nbf/],
      ['wrong issuer', () => craft({ iss: 'http://127.0.0.1:1' }), /iss/],
      ['wrong audience', () => craft({ aud: 'https://elsewhere.example/mcp' }), /audience/],
      ['wrong typ (an ID-token-like JWT)', () => craft({}, { typ: 'JWT' }), /typ/],
      ['unknown kid', () => craft({}, { kid: 'nobody-knows-me' }), /unknown signing key/],
      ['no kid', () => craft({}, { kid: undefined }), /kid/],
      ['alg none', async () => unsigned(), /algorithm|malformed/],
      ['HS256 keyed with our public key', () => hmacWithPublicKey(), /algorithm not allowed/],
      ['tampered payload', () => tampered(), /signature/],
      ['signed by another key under our kid', () => foreignKey(), /signature/],
    ];

    it.each(cases)('%s', async (_name, make, reason) => {
      const response = await call(await make());
      expectChallenge(response, 401, 'invalid_token');
      expect(response.body.error_description).toMatch(reason);
    });

    it('RS-7/RS-10: a token our AS issued for another of its resources is refused (no passthrough)', async () => {
      const forOther = await ourToken({ audience: `${t.url}/other` });
      const response = await call(forOther);
      expectChallenge(response, 401, 'invalid_token');
      expect(response.body.error_description).toBe('audience not accepted');
      // ...and is fine where it belongs.
      expect((await call(forOther, '/other')).status).toBe(201);
    });

    it('never echoes the token in the challenge or body', async () => {
      const token = await craft({ exp: nowS() - 60, iat: nowS() - 600 });
      const response = await call(token);
      for (const part of token.split('.')) {
        expect(response.headers['www-authenticate']).not.toContain(part);
        expect(JSON.stringify(response.body)).not.toContain(part);
      }
    });
  });

  describe('RS-5/RS-8: malformed requests → 400 invalid_request', () => {
    it.each([['Bearer'], ['Bearer '], ['Bearer a b'], ['Bearer tok"en'], ['Bearer tok,en']])(
      'Authorization: %j',
      async (value) => {
        const response = await request(server).post('/mcp').set('Authorization', value);
        expectChallenge(response, 400, 'invalid_request');
      },
    );

    it('refuses a token in the query string, even a valid one', async () => {
      const token = await ourToken();
      const response = await request(server).post(`/mcp?access_token=${token}`);
      expectChallenge(response, 400, 'invalid_request');
      expect(response.body.error_description).toMatch(/Authorization header/);
    });

    it('refuses a token in a JSON or form body, with or without a header', async () => {
      const token = await ourToken();
      expectChallenge(
        await request(server).post('/mcp').send({ access_token: token }),
        400,
        'invalid_request',
      );
      expectChallenge(
        await request(server).post('/mcp').type('form').send({ access_token: token }),
        400,
        'invalid_request',
      );
      expectChallenge(await call(token).send({ access_token: token }), 400, 'invalid_request');
    });

    it('refuses two Authorization headers', async () => {
      const token = await ourToken();
      const response = await rawPost(t.port, '/mcp', [`Bearer ${token}`, `Bearer ${token}`]);
      expect(response.status).toBe(400);
      expect(response.headers['www-authenticate']).toMatch(/^Bearer error="invalid_request"/);
      expect(JSON.parse(response.body)).toMatchObject({ error: 'invalid_request' });
    });
  });

  describe('RS-9: scopes', () => {
    it('a valid token lacking the scope → 403 insufficient_scope naming the scope', async () => {
      const response = await call(await ourToken({ scopes: ['mcp:resources'] }));
      expectChallenge(response, 403, 'insufficient_scope');
    });

    it('method and class scopes both apply; the challenge names all of them', async () => {
      const response = await call(await ourToken({ scopes: ['mcp:tools'] }), '/mcp/admin');
      expectChallenge(response, 403, 'insufficient_scope', 'mcp:tools mcp:admin');
      const both = await call(await ourToken({ scopes: ['mcp:tools', 'mcp:admin'] }), '/mcp/admin');
      expect(both.status).toBe(201);
    });

    it('respects the scope hierarchy: mcp:admin implies mcp:tools', async () => {
      const admin = await ourToken({ scopes: ['mcp:admin'] });
      expect((await call(admin)).status).toBe(201);
      const response = await call(admin, '/mcp/admin');
      expect(response.status).toBe(201);
      expect(response.body).toEqual({ scopes: ['mcp:admin'] });
    });

    it('the per-operation helper answers the same 403 step-up challenge', async () => {
      const token = await ourToken({ scopes: ['mcp:tools'] });
      const harmless = await call(token, '/mcp/tools/call').send({ name: 'echo' });
      expect(harmless.status).toBe(201);
      const response = await call(token, '/mcp/tools/call').send({ name: 'delete-everything' });
      expectChallenge(response, 403, 'insufficient_scope', 'mcp:tools mcp:admin');
      const allowed = await call(await ourToken({ scopes: ['mcp:admin'] }), '/mcp/tools/call').send(
        { name: 'delete-everything' },
      );
      expect(allowed.status).toBe(201);
    });
  });

  describe('revocation via the deny-list (design "Known tensions")', () => {
    it('listens for revocations (LISTEN/NOTIFY)', async () => {
      if (t.db.url) {
        // Real Postgres: a dedicated connection whose last statement is the LISTEN.
        const listeners = await t.db.dataSource.query<{ query: string }[]>(
          `SELECT query FROM pg_stat_activity
           WHERE application_name = 'mcp-auth revocations' AND datname = current_database()`,
        );
        expect(listeners.map((row) => row.query)).toEqual([`LISTEN ${REVOCATION_CHANNEL}`]);
      } else {
        // Embedded: one shared session, which the listener has subscribed to the channel.
        const channels = await t.db.dataSource.query<{ channel: string }[]>(
          'SELECT pg_listening_channels() AS channel',
        );
        expect(channels.map((row) => row.channel)).toContain(REVOCATION_CHANNEL);
      }
    });

    it('refuses a token of a revoked grant within about a second, without a restart', async () => {
      const grants = t.app.get<symbol, GrantStoreContract>(GrantStore);
      const grant = await grants.createGrant({
        clientId: 'client-1',
        subject: 'user-alice',
        scopes: ['mcp:tools'],
        resource,
        expiresAt: new Date(Date.now() + 3600_000),
      });
      const token = await ourToken({ grantId: grant.id });
      expect((await call(token)).status).toBe(201);
      await grants.revokeGrant(grant.id, 'revoked_by_owner');
      const refusedAfter = await waitForStatus(() => call(token), 401, 2000);
      expect(refusedAfter).toBeLessThan(2000);
      const response = await call(token);
      expectChallenge(response, 401, 'invalid_token');
      expect(response.body.error_description).toBe('token revoked');
    });

    itOnPostgres(
      'Postgres: re-listens after losing its LISTEN connection and catches up',
      async () => {
        const grants = t.app.get<symbol, GrantStoreContract>(GrantStore);
        const grant = await grants.createGrant({
          clientId: 'client-1',
          subject: 'user-alice',
          scopes: ['mcp:tools'],
          resource,
          expiresAt: new Date(Date.now() + 3600_000),
        });
        const token = await ourToken({ grantId: grant.id });
        const killed = await t.db.dataSource.query<{ pid: number }[]>(
          `SELECT pg_terminate_backend(pid) AS pid FROM pg_stat_activity
           WHERE application_name = 'mcp-auth revocations' AND datname = current_database()`,
        );
        expect(killed).toHaveLength(1);
        // Revoked while nobody listens: only the catch-up after the reconnect can learn it.
        await grants.revokeGrant(grant.id, 'revoked_by_owner');
        expect(await waitForStatus(() => call(token), 401, 5000)).toBeLessThan(5000);
      },
    );

    it('refuses an access token revoked at /revoke (AS-26) by its jti', async () => {
      const client = await registerClient(t, 'client_secret_basic');
      const seeded = await seedCode(t, client, { scopes: ['mcp:tools'] });
      const tokens = await redeemCode(t, client, seeded);
      expect(tokens.status).toBe(200);
      const token = (tokens.body as { access_token: string }).access_token;
      expect((await call(token)).status).toBe(201);
      expect((await postForm(t, '/revoke', { token }, client)).status).toBe(200);
      expect(await waitForStatus(() => call(token), 401, 2000)).toBeLessThan(2000);
      // Another token of the same grant is unaffected: only that jti was revoked.
      const second = await ourToken({ grantId: seeded.grantId });
      expect((await call(second)).status).toBe(201);
    });
  });

  describe('RS-4: protected resource metadata (RFC 9728)', () => {
    it('serves each resource at its path-inserted URL', async () => {
      const response = await request(server).get(`${PRM_PATH}/mcp`);
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.headers['access-control-allow-origin']).toBe('*');
      expect(response.body).toEqual({
        resource,
        authorization_servers: [t.url],
        scopes_supported: ['mcp:tools', 'mcp:resources', 'mcp:admin'],
        bearer_methods_supported: ['header'],
      });
      // AS-4: byte-identical to the AS metadata issuer.
      const asMetadata = await request(server).get('/.well-known/oauth-authorization-server');
      expect(response.body.authorization_servers[0]).toBe(asMetadata.body.issuer);
      const other = await request(server).get(`${PRM_PATH}/other`);
      expect(other.body).toMatchObject({
        resource: `${t.url}/other`,
        scopes_supported: ['mcp:tools'],
      });
    });

    it('serves the root document for the first resource', async () => {
      const response = await request(server).get(PRM_PATH);
      expect(response.status).toBe(200);
      expect(response.body.resource).toBe(resource);
    });

    it('answers 404 for a path with no resource, 405 for other methods, and CORS preflights', async () => {
      expect((await request(server).get(`${PRM_PATH}/nothing`)).status).toBe(404);
      const post = await request(server).post(`${PRM_PATH}/mcp`);
      expect(post.status).toBe(405);
      expect(post.headers.allow).toBe('GET, HEAD, OPTIONS');
      const preflight = await request(server)
        .options(`${PRM_PATH}/mcp`)
        .set('Origin', 'https://inspector.example')
        .set('Access-Control-Request-Method', 'GET')
        .set('Access-Control-Request-Headers', 'mcp-protocol-version');
      expect(preflight.status).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe('*');
      expect(preflight.headers['access-control-allow-headers']).toMatch(/MCP-Protocol-Version/);
      expect(preflight.headers['access-control-allow-headers']).toMatch(/Authorization/);
    });
  });

  describe('the official MCP SDK client', () => {
    it('discovers the authorization server from the 401 challenge, given only the MCP URL', async () => {
      const mcpUrl = `${t.url}/mcp`;
      const challenge = await fetch(mcpUrl, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} }),
      });
      expect(challenge.status).toBe(401);
      const resourceMetadataUrl = extractResourceMetadataUrl(challenge);
      expect(resourceMetadataUrl?.href).toBe(prmUrl);
      expect(extractWWWAuthenticateParams(challenge)).toMatchObject({ scope: 'mcp:tools' });

      const prm = await discoverOAuthProtectedResourceMetadata(mcpUrl, { resourceMetadataUrl });
      expect(prm.resource).toBe(resource);

      const info = await discoverOAuthServerInfo(mcpUrl, { resourceMetadataUrl });
      expect(info.authorizationServerUrl).toBe(t.url);
      expect(info.authorizationServerMetadata?.issuer).toBe(t.url);
      // Without the header, well-known discovery by path finds the same document.
      expect((await discoverOAuthProtectedResourceMetadata(mcpUrl)).resource).toBe(resource);
    });

    it('Client + StreamableHTTPClientTransport: a 401 leads it to our /authorize for this resource', async () => {
      let authorizationUrl: URL | undefined;
      let clientInformation: OAuthClientInformationMixed | undefined;
      let verifier = '';
      const provider: OAuthClientProvider = {
        redirectUrl: 'http://127.0.0.1:8976/callback',
        clientMetadata: {
          client_name: 'sdk-discovery-test',
          redirect_uris: ['http://127.0.0.1:8976/callback'],
          token_endpoint_auth_method: 'none',
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
        },
        clientInformation: () => clientInformation,
        saveClientInformation: (info) => {
          clientInformation = info;
        },
        tokens: () => undefined,
        saveTokens: () => undefined,
        redirectToAuthorization: (url) => {
          authorizationUrl = url;
        },
        saveCodeVerifier: (value) => {
          verifier = value;
        },
        codeVerifier: () => verifier,
      };
      const client = new Client({ name: 'discovery-test', version: '1.0.0' });
      const transport = new StreamableHTTPClientTransport(new URL(`${t.url}/mcp`), {
        authProvider: provider,
      });
      await expect(client.connect(transport)).rejects.toThrow(UnauthorizedError);
      await transport.close();
      expect(authorizationUrl).toBeDefined();
      const url = authorizationUrl as URL;
      expect(`${url.origin}${url.pathname}`).toBe(`${t.url}/authorize`);
      expect(url.searchParams.get('resource')).toBe(resource);
      expect(url.searchParams.get('scope')).toBe('mcp:tools');
      expect(url.searchParams.get('client_id')).toBe(clientInformation?.client_id);
    });
  });
});

describe('BearerGuard and signing-key rotation', () => {
  it('picks up a key rotated by another instance on the same database, without a restart', async () => {
    const t = await createTestApp({ module: { controllers: [McpTestController] } });
    const other = await createTestApp({ db: t.db, auth: () => ({ issuer: t.url }) });
    try {
      const before = t.app.get(SigningKeyService).getSigningKey().kid;
      await other.app.get(SigningKeyService).rotate();
      const issued = await other.app.get(AccessTokenIssuer).issue({
        subject: 'user-bob',
        clientId: 'client-2',
        audience: `${t.url}/mcp`,
        scopes: ['mcp:tools'],
        grantId: randomUUID(),
      });
      expect(other.app.get(SigningKeyService).getSigningKey().kid).not.toBe(before);
      const response = await request(t.app.getHttpServer())
        .post('/mcp')
        .set('Authorization', `Bearer ${issued.token}`);
      expect(response.status).toBe(201);
      expect(response.body.subject).toBe('user-bob');
    } finally {
      await other.close();
      await t.close();
    }
  });
});

describe('BearerGuard as a global guard (APP_GUARD) with @Public()', () => {
  @Controller()
  class MixedController {
    @Get('health')
    @Public()
    health() {
      return { status: 'ok' };
    }

    @Get('private')
    secret() {
      return { secret: true };
    }
  }

  @Controller('open')
  @Public()
  class OpenController {
    @Get()
    open() {
      return { open: true };
    }
  }

  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      module: {
        controllers: [MixedController, OpenController],
        providers: [{ provide: APP_GUARD, useExisting: BearerGuard }],
      },
    });
  });
  afterAll(() => t?.close());

  it('guards every route not marked @Public()', async () => {
    const server = t.app.getHttpServer();
    const denied = await request(server).get('/private');
    expect(denied.status).toBe(401);
    expect(denied.headers['www-authenticate']).toBe(
      `Bearer resource_metadata="${t.url}${PRM_PATH}/mcp", scope="mcp:tools mcp:resources"`,
    );
    expect((await request(server).get('/health')).status).toBe(200);
    expect((await request(server).get('/open')).status).toBe(200);
  });

  it('keeps the module own discovery and OAuth endpoints reachable', async () => {
    const server = t.app.getHttpServer();
    expect((await request(server).get(`${PRM_PATH}/mcp`)).status).toBe(200);
    expect((await request(server).get('/.well-known/oauth-authorization-server')).status).toBe(200);
    expect((await request(server).get('/.well-known/jwks.json')).status).toBe(200);
    // Reaches the endpoint, which refuses the empty request on its own terms.
    const token = await request(server).post('/token').type('form').send({});
    expect(token.status).toBe(400);
    expect(token.body.error).toBe('invalid_request');
  });
});

function nowS(): number {
  return Math.floor(Date.now() / 1000);
}

function escape(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Milliseconds until `probe` answers `status`; fails after `timeoutMs`. */
async function waitForStatus(
  probe: () => PromiseLike<{ status: number }>,
  status: number,
  timeoutMs: number,
): Promise<number> {
  const start = Date.now();
  for (;;) {
    if ((await probe()).status === status) return Date.now() - start;
    if (Date.now() - start > timeoutMs) throw new Error(`no ${status} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A POST with repeated Authorization headers, which supertest cannot send. */
function rawPost(
  port: number,
  path: string,
  authorization: string[],
): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path, method: 'POST', headers: { Authorization: authorization } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}
