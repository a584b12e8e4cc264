import { Controller, Get } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { McpAuthModuleOptions } from '@app/mcp-auth';
import {
  createExternalResourceServerApp,
  createTestApp,
  type PlainTestApp,
  type TestApp,
} from './support/test-app';
import { DATABASE_TARGETS, openTestDatabase, type TestDatabase } from './support/test-database';

@Controller('host')
class HostController {
  @Get('status')
  status(): { ok: boolean } {
    return { ok: true };
  }
}

const PRM = '/.well-known/oauth-protected-resource';

/** Path → its methods, sorted. */
function operations(document: OpenAPIObject): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(document.paths).map(([path, item]) => [
      path,
      Object.keys(item)
        .filter((key) => ['get', 'post', 'put', 'delete', 'patch', 'options', 'head'].includes(key))
        .sort(),
    ]),
  );
}

function document(t: { app: TestApp['app'] }): OpenAPIObject {
  return SwaggerModule.createDocument(t.app, new DocumentBuilder().build());
}

describe("OpenAPI: the module in the host's Swagger document", () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await openTestDatabase(DATABASE_TARGETS[DATABASE_TARGETS.length - 1]);
  });

  afterAll(async () => {
    await db?.close();
  });

  async function withApp(
    auth: Partial<McpAuthModuleOptions>,
    check: (t: TestApp) => void | Promise<void>,
  ): Promise<void> {
    const t = await createTestApp({
      db,
      auth: () => auth,
      module: { controllers: [HostController] },
    });
    try {
      await check(t);
    } finally {
      await t.close();
    }
  }

  it("by default, lists the host's routes and none of the module's", async () => {
    await withApp({}, (t) => {
      expect(operations(document(t))).toEqual({ '/host/status': ['get'] });
    });
  });

  it('openApi: { include: false } is the default', async () => {
    await withApp({ openApi: { include: false } }, (t) => {
      expect(Object.keys(document(t).paths)).toEqual(['/host/status']);
    });
  });

  it('with include, lists each endpoint once per real method, tagged', async () => {
    await withApp({ openApi: { include: true }, routePrefix: '/oauth' }, (t) => {
      const doc = document(t);
      expect(operations(doc)).toEqual({
        '/host/status': ['get'],
        '/.well-known/oauth-authorization-server': ['get'],
        '/.well-known/jwks.json': ['get'],
        '/oauth/register': ['post'],
        '/oauth/authorize': ['get', 'post'],
        '/oauth/interaction/{id}': ['get'],
        '/oauth/interaction/{id}/login': ['post'],
        '/oauth/interaction/{id}/consent': ['post'],
        '/oauth/interaction/{id}/federate/{provider}': ['post'],
        '/oauth/federation/{provider}/connected-apps': ['post'],
        '/oauth/federation/{provider}/callback': ['get'],
        '/oauth/token': ['post'],
        '/oauth/revoke': ['post'],
        '/oauth/introspect': ['post'],
        // The root document and the resource's own, as exact paths: no `{path}` parameter.
        [PRM]: ['get'],
        [`${PRM}/mcp`]: ['get'],
      });
      for (const [path, item] of Object.entries(doc.paths)) {
        if (path === '/host/status') {
          // Swagger tags the host's controllers by name; none of ours reaches them.
          expect(item.get?.tags).toEqual(['Host']);
          continue;
        }
        for (const operation of [item.get, item.post]) {
          if (!operation) continue;
          expect({ path, tags: operation.tags }).toEqual({ path, tags: ['OAuth'] });
          expect(operation.summary).toEqual(expect.any(String));
        }
      }
    });
  });

  it('describes the token request form and its responses', async () => {
    await withApp({ openApi: { include: true } }, (t) => {
      const token = document(t).paths['/token'].post;
      expect(token?.summary).toBe('Exchange a grant for tokens');
      const body = token?.requestBody as {
        required: boolean;
        content: Record<string, { schema: { required: string[]; properties: object } }>;
      };
      expect(Object.keys(body.content)).toEqual(['application/x-www-form-urlencoded']);
      const form = body.content['application/x-www-form-urlencoded'].schema;
      expect(form.required).toEqual(['grant_type']);
      expect(form.properties).toMatchObject({
        grant_type: { type: 'string', enum: ['authorization_code', 'refresh_token'] },
        code: { type: 'string' },
        code_verifier: { type: 'string' },
        redirect_uri: { type: 'string' },
        refresh_token: { type: 'string' },
        resource: { type: 'string' },
        client_id: { type: 'string' },
      });
      const responses = token?.responses as Record<
        string,
        { content?: Record<string, { schema: { properties: object; required?: string[] } }> }
      >;
      expect(Object.keys(responses).sort()).toEqual(['200', '400', '401']);
      expect(responses['200'].content?.['application/json'].schema).toMatchObject({
        required: ['access_token', 'token_type', 'expires_in'],
        properties: {
          access_token: { type: 'string' },
          token_type: { enum: ['Bearer'] },
          expires_in: { type: 'integer' },
        },
      });
      expect(responses['400'].content?.['application/json'].schema).toMatchObject({
        required: ['error'],
        properties: { error: { type: 'string' }, error_description: { type: 'string' } },
      });
    });
  });

  it('describes registration, revocation, introspection and the metadata documents', async () => {
    await withApp({ openApi: { include: true, tag: 'Authorization' } }, (t) => {
      const { paths } = document(t);
      const register = paths['/register'].post;
      expect(register?.tags).toEqual(['Authorization']);
      expect(register?.requestBody).toMatchObject({
        content: {
          'application/json': {
            schema: {
              required: ['redirect_uris'],
              properties: { redirect_uris: { type: 'array' } },
            },
          },
        },
      });
      expect(register?.responses['201']).toMatchObject({
        content: {
          'application/json': { schema: { required: ['client_id', 'client_id_issued_at'] } },
        },
      });
      expect(paths['/revoke'].post?.requestBody).toMatchObject({
        content: { 'application/x-www-form-urlencoded': { schema: { required: ['token'] } } },
      });
      expect(Object.keys(paths['/revoke'].post?.responses ?? {})).toContain('200');
      expect(paths['/introspect'].post?.responses['200']).toMatchObject({
        content: { 'application/json': { schema: { required: ['active'] } } },
      });
      expect(paths['/.well-known/oauth-authorization-server'].get?.responses['200']).toMatchObject({
        content: {
          'application/json': { schema: { required: expect.arrayContaining(['issuer']) } },
        },
      });
      expect(paths['/.well-known/jwks.json'].get?.responses['200']).toMatchObject({
        content: { 'application/json': { schema: { required: ['keys'] } } },
      });
      expect(paths[PRM].get?.tags).toEqual(['Authorization']);
      expect(paths[`${PRM}/mcp`].get?.responses['200']).toMatchObject({
        content: {
          'application/json': { schema: { required: ['resource', 'authorization_servers'] } },
        },
      });
      expect(paths[PRM].get?.responses['200']).toMatchObject({
        content: {
          'application/json': { schema: { required: ['resource', 'authorization_servers'] } },
        },
      });
    });
  });

  it('refuses an invalid openApi option at boot', async () => {
    await expect(
      createTestApp({ db, auth: () => ({ openApi: { include: 'yes' as unknown as boolean } }) }),
    ).rejects.toThrow('openApi.include must be a boolean');
  });

  describe('McpResourceServerModule alone', () => {
    async function withResourceServer(
      openApi: { include?: boolean } | undefined,
      check: (rs: PlainTestApp) => void,
    ): Promise<void> {
      const rs = await createExternalResourceServerApp(
        (origin) => ({
          resources: [{ uri: `${origin}/mcp`, scopes: ['mcp:tools'] }],
          authorizationServers: ['https://idp.example.com'],
          verifier: { type: 'jwks' },
          ...(openApi ? { openApi } : {}),
        }),
        { controllers: [HostController] },
      );
      try {
        check(rs);
      } finally {
        await rs.close();
      }
    }

    it('leaves its metadata out by default', async () => {
      await withResourceServer(undefined, (rs) => {
        expect(operations(document(rs))).toEqual({ '/host/status': ['get'] });
      });
    });

    it('lists its metadata, GET only, with include', async () => {
      await withResourceServer({ include: true }, (rs) => {
        const doc = document(rs);
        expect(operations(doc)).toEqual({
          '/host/status': ['get'],
          [PRM]: ['get'],
          [`${PRM}/mcp`]: ['get'],
        });
        expect(doc.paths[PRM].get?.tags).toEqual(['OAuth']);
      });
    });
  });
});
