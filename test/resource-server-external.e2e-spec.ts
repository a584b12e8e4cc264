import { Controller, Logger, Post, Req, UseGuards } from '@nestjs/common';
import { generateKeyPair, SignJWT } from 'jose';
import request from 'supertest';
import {
  McpResourceServerModule,
  AccessTokenVerifier,
  type VerifiedAccessToken,
  type McpAuthenticatedRequest,
  BearerGuard,
  AccessToken,
  RequiredScopes,
} from '@app/mcp-auth';
import {
  postForm,
  redeemCode,
  registerClient,
  seedCode,
  type TestClient,
} from './support/token-endpoints';
import {
  startOidcProvider,
  type ExternalAuthorizationServer,
} from './support/oidc-provider-server';
import {
  createExternalResourceServerApp,
  createTestApp,
  TEST_RESOURCE_SERVER,
  type PlainTestApp,
  type TestApp,
} from './support/test-app';

@Controller()
@UseGuards(BearerGuard)
@RequiredScopes('mcp:tools')
class ExternalMcpController {
  @Post('mcp')
  handle(@AccessToken() token: VerifiedAccessToken, @Req() req: McpAuthenticatedRequest) {
    return {
      issuer: token.issuer,
      clientId: token.clientId,
      subject: token.subject ?? null,
      scopes: token.scopes,
      authResource: req.auth.resource?.href,
    };
  }
}

const PRM_PATH = '/.well-known/oauth-protected-resource';

const call = (app: PlainTestApp, token?: string, path = '/mcp') => {
  const req = request(app.app.getHttpServer()).post(path);
  return token === undefined ? req : req.set('Authorization', `Bearer ${token}`);
};

describe('McpResourceServerModule against node-oidc-provider', () => {
  let idp: ExternalAuthorizationServer;
  let rs: PlainTestApp;
  let introspecting: PlainTestApp;

  beforeAll(async () => {
    idp = await startOidcProvider();
    rs = await createExternalResourceServerApp(
      (origin) => ({
        resources: [
          { uri: `${origin}/mcp`, scopes: ['mcp:tools', 'mcp:admin'], name: 'External MCP' },
          { uri: `${origin}/other`, scopes: ['mcp:tools'] },
        ],
        authorizationServers: [idp.issuer],
        verifier: { type: 'jwks', refetchCooldown: 1 },
      }),
      { controllers: [ExternalMcpController] },
    );
    introspecting = await createExternalResourceServerApp(
      (origin) => {
        idp.opaqueResources.add(`${origin}/mcp`);
        idp.opaqueResources.add(`${origin}/other`);
        return {
          resources: [{ uri: `${origin}/mcp`, scopes: ['mcp:tools'] }],
          authorizationServers: [idp.issuer],
          verifier: {
            type: 'introspection',
            clientId: idp.resourceServer.clientId,
            clientSecret: idp.resourceServer.clientSecret,
          },
        };
      },
      { controllers: [ExternalMcpController] },
    );
    Logger.overrideLogger(['error']);
  });
  afterAll(async () => {
    await rs?.close();
    await introspecting?.close();
    await idp?.close();
  });

  describe('remote JWKS verification', () => {
    it('RS-4: publishes PRM naming the external issuer byte for byte', async () => {
      const response = await request(rs.app.getHttpServer()).get(`${PRM_PATH}/mcp`);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        resource: `${rs.url}/mcp`,
        authorization_servers: [idp.issuer],
        scopes_supported: ['mcp:tools', 'mcp:admin'],
        bearer_methods_supported: ['header'],
        resource_name: 'External MCP',
      });
    });

    it('RS-1/RS-2: challenges a request without a token', async () => {
      const response = await call(rs);
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toBe(
        `Bearer resource_metadata="${rs.url}${PRM_PATH}/mcp", scope="mcp:tools"`,
      );
    });

    it('RS-6: accepts a JWT access token oidc-provider issued for this resource over HTTP', async () => {
      const token = await idp.token({ scope: 'mcp:tools', resource: `${rs.url}/mcp` });
      const response = await call(rs, token);
      expect(response.status).toBe(201);
      expect(response.body).toEqual({
        issuer: idp.issuer,
        clientId: idp.machine.clientId,
        subject: idp.machine.clientId,
        scopes: ['mcp:tools'],
        authResource: `${rs.url}/mcp`,
      });
    });

    it('RS-9: 403 insufficient_scope for a token without the route scope', async () => {
      const token = await idp.token({ scope: 'mcp:resources', resource: `${rs.url}/mcp` });
      const response = await call(rs, token);
      expect(response.status).toBe(403);
      expect(response.headers['www-authenticate']).toMatch(
        /^Bearer error="insufficient_scope", error_description="[^"]+", resource_metadata="[^"]+\/mcp", scope="mcp:tools"$/,
      );
      expect(response.body.error).toBe('insufficient_scope');
    });

    it('RS-7/RS-10: refuses a token the same issuer made for another resource', async () => {
      const token = await idp.token({ scope: 'mcp:tools', resource: `${rs.url}/other` });
      const response = await call(rs, token);
      expect(response.status).toBe(401);
      expect(response.body).toEqual({
        error: 'invalid_token',
        error_description: 'audience not accepted',
      });
      expect((await call(rs, token, '/other')).status).toBe(404);
    });

    it('caches the keys: no fetch per request; an unknown kid refetches once, then cools down', async () => {
      // Counted where the keys are served: every JWKS fetch of the resource server.
      const jwksUri = await idp.endpoint('jwks_uri');
      const token = await idp.token({ scope: 'mcp:tools', resource: `${rs.url}/mcp` });
      const fetchesBefore = idp.requestCount(jwksUri);
      for (let i = 0; i < 5; i += 1) expect((await call(rs, token)).status).toBe(201);
      expect(idp.requestCount(jwksUri)).toBe(fetchesBefore);

      const stranger = await generateKeyPair('ES256');
      const forged = async (kid: string) =>
        new SignJWT({ client_id: 'machine', scope: 'mcp:tools' })
          .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid })
          .setIssuer(idp.issuer)
          .setAudience(`${rs.url}/mcp`)
          .setSubject('machine')
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(stranger.privateKey);
      // Past the cooldown since the last fetch, an unknown kid may cause one refetch.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const first = await call(rs, await forged('rotated-1'));
      expect(first.status).toBe(401);
      expect(first.body.error_description).toBe('unknown signing key');
      const second = await call(rs, await forged('rotated-2'));
      expect(second.status).toBe(401);
      expect(idp.requestCount(jwksUri)).toBe(fetchesBefore + 1);
    });

    it('refuses tokens of an issuer it does not trust and JWTs without at+jwt typ', async () => {
      const key = await generateKeyPair('ES256');
      const untrusted = await new SignJWT({ client_id: 'x', scope: 'mcp:tools' })
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'oidc-key-1' })
        .setIssuer('http://127.0.0.1:9')
        .setAudience(`${rs.url}/mcp`)
        .setExpirationTime('5m')
        .sign(key.privateKey);
      expect((await call(rs, untrusted)).body.error_description).toMatch(/iss/);
      const [, payload, signature] = (
        await idp.token({ scope: 'mcp:tools', resource: `${rs.url}/mcp` })
      ).split('.');
      const retyped = `${Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'JWT', kid: 'oidc-key-1' })).toString('base64url')}.${payload}.${signature}`;
      expect((await call(rs, retyped)).body.error_description).toMatch(/typ/);
    });
  });

  describe('RFC 7662 introspection', () => {
    it('accepts an opaque token after asking oidc-provider, and caches the positive answer', async () => {
      // Counted at oidc-provider's introspection endpoint.
      const introspectionEndpoint = await idp.endpoint('introspection_endpoint');
      const token = await idp.token({ scope: 'mcp:tools', resource: `${introspecting.url}/mcp` });
      expect(token.split('.')).toHaveLength(1);
      const before = idp.requestCount(introspectionEndpoint);
      const response = await call(introspecting, token);
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({
        issuer: idp.issuer,
        clientId: idp.machine.clientId,
        scopes: ['mcp:tools'],
      });
      expect((await call(introspecting, token)).status).toBe(201);
      expect(idp.requestCount(introspectionEndpoint)).toBe(before + 1);
    });

    it('refuses an unknown token (active: false) and one for another resource', async () => {
      const unknown = await call(introspecting, 'not-a-token-oidc-provider-knows');
      expect(unknown.status).toBe(401);
      expect(unknown.body).toEqual({
        error: 'invalid_token',
        error_description: 'token not active',
      });
      const foreign = await idp.token({
        scope: 'mcp:tools',
        resource: `${introspecting.url}/other`,
      });
      const response = await call(introspecting, foreign);
      expect(response.status).toBe(401);
      expect(response.body.error_description).toBe('audience not accepted');
    });

    it('answers 403 for an active token lacking the scope', async () => {
      const token = await idp.token({ scope: 'mcp:admin', resource: `${introspecting.url}/mcp` });
      expect((await call(introspecting, token)).status).toBe(403);
    });
  });
});

describe('McpResourceServerModule and a key rotation at the identity provider', () => {
  it('picks up the new key on the first token that uses it', async () => {
    let idp = await startOidcProvider({ kid: 'before-rotation' });
    const rs = await createExternalResourceServerApp(
      (origin) => ({
        resources: [{ uri: `${origin}/mcp`, scopes: ['mcp:tools'] }],
        authorizationServers: [idp.issuer],
        verifier: { type: 'jwks', refetchCooldown: 0.2 },
      }),
      { controllers: [ExternalMcpController] },
    );
    try {
      const resource = `${rs.url}/mcp`;
      expect((await call(rs, await idp.token({ scope: 'mcp:tools', resource }))).status).toBe(201);
      // Same issuer and jwks_uri, new signing key (the old one is gone at once).
      const port = Number(new URL(idp.issuer).port);
      await idp.close();
      idp = await startOidcProvider({ port, kid: 'after-rotation' });
      await new Promise((resolve) => setTimeout(resolve, 250));
      const response = await call(rs, await idp.token({ scope: 'mcp:tools', resource }));
      expect(response.status).toBe(201);
    } finally {
      await rs.close();
      await idp.close();
    }
  });
});

describe('McpResourceServerModule against a second instance of our own AS', () => {
  let as: TestApp;
  let jwksRs: PlainTestApp;
  let introspectionRs: PlainTestApp;
  let rsClient: TestClient;
  let app: TestClient;

  beforeAll(async () => {
    // Our AS on its own port; the RS apps run on other ports with no database at all.
    as = await createTestApp();
    // The AS's designated resource server: the only kind of client it lets introspect.
    rsClient = TEST_RESOURCE_SERVER;
    app = await registerClient(as, 'none');
    // The resource is the AS's configured one: our AS issues tokens for its own resources.
    const resources = [{ uri: `${as.url}/mcp`, scopes: ['mcp:tools', 'mcp:resources'] }];
    jwksRs = await createExternalResourceServerApp(
      () => ({ resources, authorizationServers: [as.url], verifier: { type: 'jwks' } }),
      { controllers: [ExternalMcpController] },
    );
    introspectionRs = await createExternalResourceServerApp(
      () => ({
        resources,
        authorizationServers: [as.url],
        verifier: {
          type: 'introspection',
          clientId: rsClient.clientId,
          clientSecret: rsClient.secret!,
          cacheTtl: 1,
        },
      }),
      { controllers: [ExternalMcpController] },
    );
    Logger.overrideLogger(['error']);
  });
  afterAll(async () => {
    await jwksRs?.close();
    await introspectionRs?.close();
    await as?.close();
  });

  async function tokens(scopes: string[]) {
    const seeded = await seedCode(as, app, { scopes });
    const response = await redeemCode(as, app, seeded);
    expect(response.status).toBe(200);
    return response.body as { access_token: string; refresh_token: string };
  }

  it('verifies its tokens through the discovered JWKS', async () => {
    const { access_token: token } = await tokens(['mcp:tools']);
    const response = await call(jwksRs, token);
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      issuer: as.url,
      clientId: app.clientId,
      subject: 'user-alice',
    });
    expect((await call(jwksRs, (await tokens(['mcp:resources'])).access_token)).status).toBe(403);
  });

  it('verifies its tokens through its introspection endpoint, and stops at revocation', async () => {
    const { access_token: token, refresh_token: refreshToken } = await tokens(['mcp:tools']);
    expect((await call(introspectionRs, token)).status).toBe(201);
    // A refresh token is not an access token.
    expect((await call(introspectionRs, refreshToken)).status).toBe(401);

    expect((await postForm(as, '/revoke', { token }, app)).status).toBe(200);
    // Positive answers are cached for at most cacheTtl (1 s here).
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const revoked = await call(introspectionRs, token);
    expect(revoked.status).toBe(401);
    expect(revoked.body.error_description).toBe('token not active');
  });
});

describe('McpResourceServerModule variants', () => {
  const JWT = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln';

  it('forRootAsync builds its options in a factory', async () => {
    const rs = await createExternalResourceServerApp(
      (origin) =>
        McpResourceServerModule.forRootAsync({
          useFactory: async () => ({
            resources: [{ uri: `${origin}/mcp`, scopes: ['mcp:tools'] }],
            authorizationServers: ['https://idp.example.com'],
            verifier: { type: 'jwks' },
          }),
        }),
      { controllers: [ExternalMcpController] },
    );
    try {
      const response = await call(rs);
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toBe(
        `Bearer resource_metadata="${rs.url}${PRM_PATH}/mcp", scope="mcp:tools"`,
      );
      const prm = await request(rs.app.getHttpServer()).get(PRM_PATH);
      expect(prm.body.authorization_servers).toEqual(['https://idp.example.com']);
    } finally {
      await rs.close();
    }
  });

  it('a custom AccessTokenVerifier from extraProviders; the guard still checks the audience', async () => {
    const verify = jest.fn(async (token: string, { resource }: { resource: string }) => ({
      token,
      issuer: 'https://idp.example.com',
      clientId: 'custom-client',
      subject: 'someone',
      scopes: ['mcp:tools'],
      expiresAt: Math.floor(Date.now() / 1000) + 60,
      // A careless verifier: it trusts whatever audience the token names.
      audience: [token === 'for-us' ? resource : 'https://elsewhere.example/mcp'],
      resource,
      jti: undefined,
      claims: {},
    }));
    const rs = await createExternalResourceServerApp(
      (origin) => ({
        resources: [{ uri: `${origin}/mcp`, scopes: ['mcp:tools'] }],
        authorizationServers: ['https://idp.example.com'],
        verifier: { type: 'custom' },
        extraProviders: [{ provide: AccessTokenVerifier, useValue: { verify } }],
      }),
      { controllers: [ExternalMcpController] },
    );
    try {
      expect((await call(rs, 'for-us')).body.clientId).toBe('custom-client');
      const foreign = await call(rs, 'for-someone-else');
      expect(foreign.status).toBe(401);
      expect(foreign.body.error_description).toBe('audience not accepted');
      expect(verify).toHaveBeenCalledWith('for-us', { resource: `${rs.url}/mcp` });
    } finally {
      await rs.close();
    }
  });

  it('answers 503 (not 401) while the authorization server cannot be reached', async () => {
    const rs = await createExternalResourceServerApp(
      (origin) => ({
        resources: [{ uri: `${origin}/mcp`, scopes: ['mcp:tools'] }],
        authorizationServers: ['http://127.0.0.1:9'],
        verifier: {
          type: 'introspection',
          clientId: 'rs',
          clientSecret: 'rs-secret',
          timeout: 1,
        },
      }),
      { controllers: [ExternalMcpController] },
    );
    try {
      const response = await call(rs, JWT);
      expect(response.status).toBe(503);
      expect(response.headers['retry-after']).toBe('5');
      expect(response.body.error).toBe('temporarily_unavailable');
      expect(response.headers['www-authenticate']).toBeUndefined();
    } finally {
      await rs.close();
    }
  });
});
