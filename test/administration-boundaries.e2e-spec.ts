import {
  type CanActivate,
  type ExecutionContext,
  ForbiddenException,
  Injectable,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Server } from 'node:http';
import request from 'supertest';
import {
  AccessTokenIssuer,
  McpAuthModule,
  type McpAuthModuleOptions,
  ResourceOwnerAuthenticator,
} from '@app/mcp-auth';
import {
  type EnterpriseIdp,
  JWT_BEARER_GRANT_TYPE,
  startEnterpriseIdp,
} from './support/enterprise-idp';
import { DATABASE_TARGETS, openTestDatabase, type TestDatabase } from './support/test-database';
import {
  closeAppKeepingDatabase,
  createHttpApplication,
  createTestApp,
  defaultAuthOptions,
  freePort,
  type TestApp,
} from './support/test-app';
import { TestAuthenticator } from './support/test-authenticator';
import {
  expectOAuthError,
  postForm,
  redeemCode,
  refresh,
  registerClient,
  seedCode,
  type TestClient,
} from './support/token-endpoints';

/**
 * The administration API's edges: only an operator's client credentials token gets
 * in, the administration audience and scope are reachable by no other way (refresh, ID-JAG,
 * registration, /authorize, metadata), unknown paths answer the module's 404, a host guard must
 * name the administrator, conflicting options fail at boot, and `forRootAsync` mounts the API
 * only when told to.
 */

const ADMIN_SCOPE = 'mcp-auth:admin';
const OPERATOR: TestClient = {
  clientId: 'ops-console',
  secret: 'ops-console-secret-0123456789abcdef',
  method: 'client_secret_basic',
};
const CHAT: TestClient = {
  clientId: 'chat-app',
  secret: 'chat-app-secret-0123456789abcdef',
  method: 'client_secret_basic',
};

/** The options of an instance with the API on, as a function of its origin. */
function adminOptions(origin: string): Partial<McpAuthModuleOptions> {
  return {
    scopes: { ...defaultAuthOptions(origin).scopes, [ADMIN_SCOPE]: 'Administer this server' },
    administration: { scope: ADMIN_SCOPE },
    clients: [
      ...(defaultAuthOptions(origin).clients ?? []),
      {
        client_id: OPERATOR.clientId,
        client_secret: OPERATOR.secret,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['client_credentials'],
        scope: ADMIN_SCOPE,
      },
    ],
  };
}

describe('Administration API: who may reach it', () => {
  let t: TestApp;
  let idp: EnterpriseIdp;
  let adminResource: string;
  let adminToken: string;
  const server = () => t.app.getHttpServer() as Server;

  beforeAll(async () => {
    idp = await startEnterpriseIdp();
    t = await createTestApp({
      auth: (origin) => {
        const base = adminOptions(origin);
        return {
          ...base,
          clients: [
            ...(base.clients ?? []),
            {
              client_id: CHAT.clientId,
              client_secret: CHAT.secret,
              token_endpoint_auth_method: 'client_secret_basic',
              grant_types: [JWT_BEARER_GRANT_TYPE],
            },
          ],
          enterprise: { trustedIdentityProviders: [{ issuer: idp.issuer }] },
        };
      },
    });
    adminResource = `${t.url}/admin`;
    const issued = await postForm(
      t,
      '/token',
      { grant_type: 'client_credentials', resource: adminResource },
      OPERATOR,
    );
    expect(issued.status).toBe(200);
    adminToken = issued.body.access_token;
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  it('refuses a person\u2019s token even when minted for the API with its scope', async () => {
    const issued = await t.app.get(AccessTokenIssuer).issue({
      subject: 'user-alice',
      clientId: 'some-app',
      scopes: [ADMIN_SCOPE],
      audience: adminResource,
      grantId: '00000000-0000-4000-8000-000000000002',
    });
    const response = await request(server())
      .get('/admin/clients')
      .set('Authorization', `Bearer ${issued.token}`);
    expectOAuthError(response, 403, 'access_denied');
  });

  it('refuses a refresh token asking for the API as its resource', async () => {
    const client = await registerClient(t, 'client_secret_basic');
    const seeded = await seedCode(t, client);
    const redeemed = await redeemCode(t, client, seeded);
    expect(redeemed.status).toBe(200);
    expectOAuthError(
      await refresh(t, client, redeemed.body.refresh_token, { resource: adminResource }),
      400,
      'invalid_target',
    );
  });

  it('refuses an ID-JAG naming the API, whatever scope it carries', async () => {
    const assertion = idp.mintIdJag({
      aud: t.url,
      client_id: CHAT.clientId,
      resource: adminResource,
      scope: ADMIN_SCOPE,
    });
    expectOAuthError(
      await postForm(t, '/token', { grant_type: JWT_BEARER_GRANT_TYPE, assertion }, CHAT),
      400,
      'invalid_target',
    );
  });

  it('never lets a dynamically registered client register or obtain the scope', async () => {
    const registered = await request(server())
      .post('/register')
      .send({
        redirect_uris: ['http://127.0.0.1:8976/callback'],
        token_endpoint_auth_method: 'client_secret_basic',
        scope: `mcp:tools ${ADMIN_SCOPE}`,
      });
    expectOAuthError(registered, 400, 'invalid_client_metadata');

    // A dynamic client that holds client_credentials (as a host's registration policy may
    // allow) and no registered scope: the API's scope is never its default.
    const machine = await registerClient(t, 'client_secret_basic', {
      grantTypes: ['client_credentials'],
    });
    expectOAuthError(
      await postForm(
        t,
        '/token',
        { grant_type: 'client_credentials', resource: adminResource, scope: ADMIN_SCOPE },
        machine,
      ),
      400,
      'invalid_scope',
    );
  });

  it('keeps the scope out of the server metadata and out of /authorize; the API\u2019s PRM lists it', async () => {
    const metadata = await request(server()).get('/.well-known/oauth-authorization-server');
    expect(metadata.body.scopes_supported).not.toContain(ADMIN_SCOPE);
    expect(metadata.body.scopes_supported).toContain('mcp:tools');
    const prm = await request(server()).get('/.well-known/oauth-protected-resource/admin');
    expect(prm.body.scopes_supported).toEqual([ADMIN_SCOPE]);

    const client = await registerClient(t, 'none');
    const response = await request(server())
      .get('/authorize')
      .query({
        response_type: 'code',
        client_id: client.clientId,
        redirect_uri: 'http://127.0.0.1:8976/callback',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
        resource: `${t.url}/mcp`,
        scope: `mcp:tools ${ADMIN_SCOPE}`,
        state: 's',
      });
    expect(response.status).toBe(302);
    expect(new URL(response.headers.location).searchParams.get('error')).toBe('invalid_scope');
  });

  it.each([
    ['GET', '/admin'],
    ['GET', '/admin/nothing-here'],
    ['PUT', '/admin/clients'],
    ['PATCH', '/admin/signing-keys'],
    ['GET', '/admin/clients/a/b'],
    ['DELETE', '/admin/a/b/c/d/e/f/g/h'],
    ['POST', '/admin/grants'],
  ])('answers %s %s with the module\u2019s 404', async (method, path) => {
    const response = await request(server())
      [method.toLowerCase() as 'get' | 'put' | 'patch' | 'post' | 'delete'](path)
      .set('Authorization', `Bearer ${adminToken}`);
    expectOAuthError(response, 404, 'invalid_request');
  });

  it('challenges before telling a caller without a token which paths exist', async () => {
    const response = await request(server()).get('/admin/nothing-here');
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer /);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
  });
});

/** A host gate that says yes and names nobody (as a roles guard without roles metadata). */
@Injectable()
class YesWithoutUserGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

/** A host gate that throws: a refusal of its own, or a crash. */
@Injectable()
class ThrowingGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ headers: Record<string, string> }>();
    if (req.headers['x-crash']) throw new Error('guard crashed with a secret-ish detail');
    throw new ForbiddenException('not you');
  }
}

describe('Administration API behind a host guard that does not decide', () => {
  it('refuses when the guard allows without naming an administrator', async () => {
    const t = await createTestApp({
      auth: () => ({ administration: { guard: YesWithoutUserGuard } }),
    });
    try {
      const response = await request(t.app.getHttpServer() as Server).get('/admin/clients');
      expectOAuthError(response, 403, 'access_denied');
    } finally {
      await t.close();
    }
  });

  it('answers a throwing guard in the module\u2019s error shape, never with its message', async () => {
    const t = await createTestApp({ auth: () => ({ administration: { guard: ThrowingGuard } }) });
    try {
      const server = t.app.getHttpServer() as Server;
      // Its own ForbiddenException is a refusal like `false`.
      expectOAuthError(await request(server).get('/admin/clients'), 403, 'access_denied');
      const crashed = await request(server).get('/admin/clients').set('x-crash', '1');
      expectOAuthError(crashed, 500, 'server_error');
      expect(JSON.stringify(crashed.body)).not.toContain('secret-ish');
    } finally {
      await t.close();
    }
  });
});

describe('Administration API options that conflict fail at boot', () => {
  // Passed to every attempt: a boot that fails in compile would leave its own database open.
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase(DATABASE_TARGETS[DATABASE_TARGETS.length - 1]);
  });
  afterAll(() => db?.close());

  it.each([
    [
      'guard with scope',
      { administration: { guard: YesWithoutUserGuard, scope: ADMIN_SCOPE } },
      /either guard .* or scope .*, not both/,
    ],
    [
      'the scope on a regular resource',
      { resources: [{ path: '/mcp', scopes: ['mcp:tools', ADMIN_SCOPE] }] },
      /resources\[0\]\.scopes must not contain the administration scope/,
    ],
    [
      'a resource under the API',
      {
        resources: [
          { path: '/mcp', scopes: ['mcp:tools'] },
          { path: '/admin/mcp', scopes: ['mcp:tools'] },
        ],
      },
      /overlaps the path of a resource \(\/admin\/mcp\)/,
    ],
    [
      'the connected-apps page',
      { administration: { scope: ADMIN_SCOPE, path: '/connected-apps' } },
      /overlaps the path of the connected-apps page/,
    ],
    [
      'an endpoint of the module',
      { administration: { scope: ADMIN_SCOPE, path: '/token' } },
      /overlaps the path of an endpoint of the module \(\/token\)/,
    ],
  ])('refuses %s', async (_name, overrides, message) => {
    await expect(
      createTestApp({ db, auth: (origin) => ({ ...adminOptions(origin), ...overrides }) }),
    ).rejects.toThrow(message);
  });
});

describe('Administration API with forRootAsync', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase(DATABASE_TARGETS[DATABASE_TARGETS.length - 1]);
  });
  afterAll(() => db?.close());

  /** An app whose options come from a factory; `mount` is the static `administration` flag. */
  async function bootAsync(mount: boolean | undefined, withApi: boolean) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({ type: 'postgres' }),
          dataSourceFactory: async () => db.dataSource,
        }),
        McpAuthModule.forRootAsync({
          ...(mount === undefined ? {} : { administration: mount }),
          extraProviders: [{ provide: ResourceOwnerAuthenticator, useClass: TestAuthenticator }],
          useFactory: async () => ({
            ...defaultAuthOptions(url),
            ...(withApi ? adminOptions(url) : {}),
          }),
        }),
      ],
    }).compile();
    const app = createHttpApplication(moduleRef);
    try {
      await app.init();
      await app.listen(port, '127.0.0.1');
    } catch (error) {
      await closeAppKeepingDatabase(app, db).catch(() => undefined);
      throw error;
    }
    return { app, url, close: () => closeAppKeepingDatabase(app, db) };
  }

  it('mounts the API when told to, and it works', async () => {
    const booted = await bootAsync(true, true);
    try {
      const server = booted.app.getHttpServer() as Server;
      const issued = await request(server)
        .post('/token')
        .auth(OPERATOR.clientId, OPERATOR.secret!)
        .type('form')
        .send({ grant_type: 'client_credentials', resource: `${booted.url}/admin` });
      expect(issued.status).toBe(200);
      const listed = await request(server)
        .get('/admin/clients')
        .set('Authorization', `Bearer ${issued.body.access_token}`);
      expect(listed.status).toBe(200);
    } finally {
      await booted.close();
    }
  });

  it('refuses to boot when the options configure the API but nobody said to mount it', async () => {
    await expect(bootAsync(undefined, true)).rejects.toThrow(/add administration: true/);
  });

  it('mounted without options for it, the API answers the module\u2019s 404', async () => {
    const booted = await bootAsync(true, false);
    try {
      const response = await request(booted.app.getHttpServer() as Server).get('/admin/clients');
      expectOAuthError(response, 404, 'invalid_request');
    } finally {
      await booted.close();
    }
  });
});
