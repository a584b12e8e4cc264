import {
  type CanActivate,
  Controller,
  type ExecutionContext,
  Get,
  Injectable,
  Post,
  UseGuards,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { decodeProtectedHeader } from 'jose';
import request, { type Response } from 'supertest';
import {
  AccessTokenIssuer,
  BearerGuard,
  ClientStore,
  type ClientStore as ClientStoreContract,
  GrantStore,
  type GrantStore as GrantStoreContract,
  McpAuthAudit,
  RequiredScopes,
} from '@app/mcp-auth';
import {
  assertionParams,
  generateClientKey,
  jwksOf,
  signClientAssertion,
  type ClientKey,
} from './support/client-assertions';
import { createTestApp, defaultAuthOptions, freePort, type TestApp } from './support/test-app';
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
 * The administration API: an operator's machine client gets a token for the API's
 * own resource with client credentials, then lists, inspects and deletes clients, lists and
 * revokes grants, rotates the signing key and reads the identity providers' status. Each
 * operation's effect is proven on a real client's tokens at a guarded MCP route.
 */

const ADMIN_SCOPE = 'mcp-auth:admin';
const OPERATOR: TestClient = {
  clientId: 'ops-console',
  secret: 'ops-console-secret-0123456789abcdef',
  method: 'client_secret_basic',
};
const TOOLS_ONLY: TestClient = {
  clientId: 'ops-tools-only',
  secret: 'ops-tools-only-secret-0123456789abcdef',
  method: 'client_secret_basic',
};

@Controller('mcp')
@UseGuards(BearerGuard)
@RequiredScopes('mcp:tools')
class GuardedController {
  @Post('ping')
  ping() {
    return { ok: true };
  }
}

describe('Administration API', () => {
  let t: TestApp;
  let adminResource: string;
  let adminToken: string;
  let signingKey: ClientKey;

  const server = () => t.app.getHttpServer() as Server;
  const admin = (token = adminToken) => ({ Authorization: `Bearer ${token}` });

  async function operatorToken(client: TestClient, resource: string): Promise<Response> {
    return postForm(t, '/token', { grant_type: 'client_credentials', resource }, client);
  }

  /** A user's client with a live access and refresh token, as after the code flow. */
  async function userClient() {
    const client = await registerClient(t, 'client_secret_basic');
    const seeded = await seedCode(t, client);
    const redeemed = await redeemCode(t, client, seeded);
    expect(redeemed.status).toBe(200);
    return {
      client,
      grantId: seeded.grantId,
      accessToken: redeemed.body.access_token as string,
      refreshToken: redeemed.body.refresh_token as string,
    };
  }

  const ping = (token: string) =>
    request(server()).post('/mcp/ping').set('Authorization', `Bearer ${token}`);

  /**
   * The guard refuses the token within ~1 s. The deny-list's poll runs hourly here, so the
   * refusal comes from the revocation itself (this instance's deny-list, and NOTIFY: see
   * typeorm-revocation-notices.spec.ts), never from a catch-up read.
   */
  async function expectRefusedSoon(token: string): Promise<void> {
    const deadline = Date.now() + 1500;
    let status = 0;
    while (Date.now() < deadline) {
      status = (await ping(token)).status;
      if (status === 401) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(status).toBe(401);
  }

  beforeAll(async () => {
    signingKey = await generateClientKey('ES256');
    t = await createTestApp({
      auth: (origin) => ({
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
            client_name: 'Operations console',
          },
          {
            client_id: 'ops-signed',
            token_endpoint_auth_method: 'private_key_jwt',
            jwks: jwksOf(signingKey),
            grant_types: ['client_credentials'],
            scope: ADMIN_SCOPE,
          },
          {
            client_id: TOOLS_ONLY.clientId,
            client_secret: TOOLS_ONLY.secret,
            token_endpoint_auth_method: 'client_secret_basic',
            grant_types: ['client_credentials'],
            scope: 'mcp:tools',
          },
        ],
      }),
      module: { controllers: [GuardedController] },
      resourceServer: { revocationPollInterval: 3600 },
    });
    adminResource = `${t.url}/admin`;
    const issued = await operatorToken(OPERATOR, adminResource);
    expect(issued.status).toBe(200);
    expect(issued.body.scope).toBe(ADMIN_SCOPE);
    adminToken = issued.body.access_token;
  });
  afterAll(() => t?.close());

  describe('authentication', () => {
    it('publishes the API as a protected resource with the administration scope', async () => {
      const prm = await request(server()).get('/.well-known/oauth-protected-resource/admin');
      expect(prm.status).toBe(200);
      expect(prm.body).toMatchObject({ resource: adminResource, scopes_supported: [ADMIN_SCOPE] });
    });

    it('issues an operator token to a private_key_jwt client too', async () => {
      const assertion = await signClientAssertion({
        clientId: 'ops-signed',
        audience: `${t.url}/token`,
        key: signingKey,
      });
      const issued = await postForm(t, '/token', {
        grant_type: 'client_credentials',
        resource: adminResource,
        ...assertionParams(assertion),
      });
      expect(issued.status).toBe(200);
      expect(issued.body).toMatchObject({ scope: ADMIN_SCOPE, token_type: 'Bearer' });
      const keys = await request(server())
        .get('/admin/signing-keys')
        .set(admin(issued.body.access_token));
      expect(keys.status).toBe(200);
    });

    it('answers 401 with a challenge without a token', async () => {
      const response = await request(server()).get('/admin/clients');
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toContain(
        '/.well-known/oauth-protected-resource/admin',
      );
    });

    it('refuses a token issued for another resource', async () => {
      const other = await operatorToken(TOOLS_ONLY, `${t.url}/mcp`);
      expect(other.status).toBe(200);
      const response = await request(server())
        .get('/admin/clients')
        .set(admin(other.body.access_token));
      expectOAuthError(response, 401, 'invalid_token');
    });

    it('never issues the administration scope to a client not registered for it', async () => {
      expectOAuthError(await operatorToken(TOOLS_ONLY, adminResource), 400, 'invalid_scope');
    });

    it('refuses the API resource at /authorize (no user consents to administration)', async () => {
      const client = await registerClient(t, 'none');
      const response = await request(server()).get('/authorize').query({
        response_type: 'code',
        client_id: client.clientId,
        redirect_uri: 'http://127.0.0.1:8976/callback',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
        resource: adminResource,
        state: 's',
      });
      expect(response.status).toBe(302);
      expect(new URL(response.headers.location).searchParams.get('error')).toBe('invalid_target');
    });

    it('refuses a token without the administration scope (insufficient_scope)', async () => {
      // A token for the API whose scope list lacks the scope: minted by the module's issuer.
      const issued = await t.app.get(AccessTokenIssuer).issue({
        subject: 'someone',
        clientId: TOOLS_ONLY.clientId,
        scopes: ['mcp:tools'],
        audience: adminResource,
        grantId: '00000000-0000-4000-8000-000000000001',
      });
      const response = await request(server()).get('/admin/clients').set(admin(issued.token));
      expect(response.status).toBe(403);
      expect(response.body.error).toBe('insufficient_scope');
      expect(response.headers['www-authenticate']).toContain(ADMIN_SCOPE);
    });
  });

  describe('clients', () => {
    it('pages through clients with a cursor and filters by source', async () => {
      const first = await request(server()).get('/admin/clients?limit=1').set(admin());
      expect(first.status).toBe(200);
      expect(first.headers['cache-control']).toBe('no-store');
      expect(first.body.clients).toHaveLength(1);
      expect(typeof first.body.next_cursor).toBe('string');
      const second = await request(server())
        .get('/admin/clients')
        .query({ limit: '1', cursor: first.body.next_cursor })
        .set(admin());
      expect(second.body.clients[0].client_id > first.body.clients[0].client_id).toBe(true);

      const statics = await request(server())
        .get('/admin/clients?source=static&limit=200')
        .set(admin());
      const ids = statics.body.clients.map((c: { client_id: string }) => c.client_id);
      expect(ids).toEqual(expect.arrayContaining([OPERATOR.clientId, TOOLS_ONLY.clientId]));
      expect(statics.body.clients.every((c: { source: string }) => c.source === 'static')).toBe(
        true,
      );
      // No secret, not even its hash.
      expect(JSON.stringify(statics.body)).not.toMatch(/secret_hash|ops-console-secret/);
    });

    it('inspects one client; an unknown id is 404', async () => {
      const found = await request(server())
        .get(`/admin/clients/${encodeURIComponent(OPERATOR.clientId)}`)
        .set(admin());
      expect(found.status).toBe(200);
      expect(found.body).toMatchObject({
        client_id: OPERATOR.clientId,
        source: 'static',
        has_secret: true,
        grant_types: ['client_credentials'],
      });
      expectOAuthError(
        await request(server()).get('/admin/clients/no-such-client').set(admin()),
        404,
        'invalid_request',
      );
    });

    it('finds, lists and deletes a metadata-document client by its URL id', async () => {
      const url = 'https://agent.example.com/oauth/client.json';
      await t.app.get<symbol, ClientStoreContract>(ClientStore).upsert({
        clientId: url,
        clientSecretHash: null,
        clientSecretExpiresAt: null,
        redirectUris: ['https://agent.example.com/cb'],
        tokenEndpointAuthMethod: 'none',
        grantTypes: ['authorization_code', 'refresh_token'],
        responseTypes: ['code'],
        applicationType: 'web',
        clientName: 'Agent',
        scope: null,
        metadata: {},
        source: 'metadata_document',
        documentExpiresAt: new Date(Date.now() + 60_000),
      });
      const listed = await request(server())
        .get('/admin/clients?source=metadata_document')
        .set(admin());
      expect(listed.body.clients.map((c: { client_id: string }) => c.client_id)).toEqual([url]);
      const path = `/admin/clients/${encodeURIComponent(url)}`;
      const found = await request(server()).get(path).set(admin());
      expect(found.status).toBe(200);
      expect(found.body).toMatchObject({ client_id: url, source: 'metadata_document' });
      expect((await request(server()).delete(path).set(admin())).status).toBe(204);
      expect((await request(server()).get(path).set(admin())).status).toBe(404);
    });

    it.each([
      ['limit=0'],
      ['limit=201'],
      ['limit=ten'],
      ['limit=1&limit=2'],
      ['cursor=not-a-cursor!'],
      ['cursor=YS1keW5hbWlj'],
      ['source=robots'],
      ['colour=blue'],
    ])('refuses the malformed query %s', async (query) => {
      expectOAuthError(
        await request(server()).get(`/admin/clients?${query}`).set(admin()),
        400,
        'invalid_request',
      );
    });

    it('DELETE revokes the client: its refresh token is refused, its access token within ~1 s', async () => {
      const user = await userClient();
      expect((await ping(user.accessToken)).status).toBe(201);
      const emitted = jest.spyOn(t.app.get(McpAuthAudit), 'emit');
      const deleted = await request(server())
        .delete(`/admin/clients/${encodeURIComponent(user.client.clientId)}`)
        .set(admin());
      expect(deleted.status).toBe(204);
      // The administrator is the operator's client (a client credentials token's subject).
      expect(emitted).toHaveBeenCalledWith({
        type: 'admin.client_deleted',
        administrator: OPERATOR.clientId,
        client_id: user.client.clientId,
        source: 'dynamic',
      });
      emitted.mockRestore();
      await expectRefusedSoon(user.accessToken);
      // The client is gone: its credentials no longer authenticate.
      expectOAuthError(await refresh(t, user.client, user.refreshToken), 401, 'invalid_client');
      expectOAuthError(
        await request(server())
          .delete(`/admin/clients/${encodeURIComponent(user.client.clientId)}`)
          .set(admin()),
        404,
        'invalid_request',
      );
    });
  });

  describe('grants', () => {
    it('lists grants by client and inspects one', async () => {
      const user = await userClient();
      const listed = await request(server())
        .get('/admin/grants')
        .query({ client_id: user.client.clientId, status: 'active' })
        .set(admin());
      expect(listed.status).toBe(200);
      expect(listed.body.grants).toEqual([
        expect.objectContaining({ id: user.grantId, subject: 'user-alice', status: 'active' }),
      ]);
      expect(listed.body.next_cursor).toBeNull();
      const one = await request(server()).get(`/admin/grants/${user.grantId}`).set(admin());
      expect(one.body).toMatchObject({ id: user.grantId, client_id: user.client.clientId });
    });

    it.each([
      ['/admin/grants/not-a-uuid'],
      ['/admin/grants?status=expired'],
      ['/admin/grants?cursor=%00'],
    ])('refuses %s', async (path) => {
      expectOAuthError(await request(server()).get(path).set(admin()), 400, 'invalid_request');
    });

    it('an unknown grant is 404', async () => {
      expectOAuthError(
        await request(server())
          .get('/admin/grants/00000000-0000-4000-8000-000000000000')
          .set(admin()),
        404,
        'invalid_request',
      );
    });

    it('DELETE revokes one grant: its tokens are refused', async () => {
      const user = await userClient();
      const revoked = await request(server()).delete(`/admin/grants/${user.grantId}`).set(admin());
      expect(revoked.status).toBe(200);
      expect(revoked.body).toMatchObject({
        status: 'revoked',
        revoked_reason: 'revoked_by_administrator',
      });
      await expectRefusedSoon(user.accessToken);
      expectOAuthError(await refresh(t, user.client, user.refreshToken), 400, 'invalid_grant');
    });

    it('POST grants/revoke ends every grant of a client', async () => {
      const user = await userClient();
      const revoked = await request(server())
        .post('/admin/grants/revoke')
        .send({ client_id: user.client.clientId })
        .set(admin());
      expect(revoked.status).toBe(200);
      expect(revoked.body).toEqual({
        revoked: 1,
        grant_ids: [user.grantId],
        grant_ids_truncated: false,
      });
      expect(
        (await request(server()).get(`/admin/grants/${user.grantId}`).set(admin())).body,
      ).toMatchObject({ status: 'revoked', revoked_reason: 'revoked_by_administrator' });
      await expectRefusedSoon(user.accessToken);
      expectOAuthError(await refresh(t, user.client, user.refreshToken), 400, 'invalid_grant');
    });

    it.each([
      [{}],
      [{ subject: '' }],
      [{ subject: 'user-alice', everyone: true }],
      [{ client_id: 42 }],
      [['user-alice']],
    ])('refuses the revocation body %j', async (body) => {
      expectOAuthError(
        await request(server()).post('/admin/grants/revoke').send(body).set(admin()),
        400,
        'invalid_request',
      );
    });

    it('refuses an oversized body', async () => {
      const response = await request(server())
        .post('/admin/grants/revoke')
        .set(admin())
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ subject: 'x'.repeat(2 * 1024 * 1024) }));
      expectOAuthError(response, 413, 'invalid_request');
    });
  });

  describe('signing keys', () => {
    it('rotates: new tokens carry the new kid, older tokens still verify, JWKS lists both', async () => {
      const before = await userClient();
      const oldKid = decodeProtectedHeader(before.accessToken).kid;
      const rotated = await request(server()).post('/admin/signing-keys/rotate').set(admin());
      expect(rotated.status).toBe(200);
      expect(rotated.body.kid).not.toBe(oldKid);

      const after = await userClient();
      expect(decodeProtectedHeader(after.accessToken).kid).toBe(rotated.body.kid);
      expect((await ping(before.accessToken)).status).toBe(201);
      expect((await ping(after.accessToken)).status).toBe(201);
      // The administrator's own token was signed by the old key too.
      expect((await request(server()).get('/admin/signing-keys').set(admin())).status).toBe(200);

      const jwks = await request(server()).get('/.well-known/jwks.json');
      const kids = jwks.body.keys.map((key: { kid: string }) => key.kid);
      expect(kids).toEqual(expect.arrayContaining([oldKid, rotated.body.kid]));

      const listed = await request(server()).get('/admin/signing-keys').set(admin());
      const byKid = Object.fromEntries(
        listed.body.keys.map((key: { kid: string }) => [key.kid, key]),
      );
      expect(byKid[rotated.body.kid]).toMatchObject({ status: 'signing', signing_until: null });
      expect(byKid[oldKid!]).toMatchObject({ status: 'verifying' });
      expect(Date.parse(byKid[oldKid!].verifying_until)).toBeGreaterThan(Date.now() + 600_000);
      expect(JSON.stringify(listed.body)).not.toMatch(/"d"|private/);
    });

    it('refuses a body on rotate', async () => {
      expectOAuthError(
        await request(server())
          .post('/admin/signing-keys/rotate')
          .send({ kid: 'mine' })
          .set(admin()),
        400,
        'invalid_request',
      );
    });
  });

  describe('identity providers', () => {
    it('lists the configured providers (none here)', async () => {
      const response = await request(server()).get('/admin/identity-providers').set(admin());
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ providers: [] });
    });
  });

  it('POST grants/revoke by subject ends that user\u2019s live grants at every client', async () => {
    // A subject of its own, so no other test's grants are counted.
    const subject = `user-bulk-${randomUUID()}`;
    const grants = t.app.get<symbol, GrantStoreContract>(GrantStore);
    const resource = `${t.url}/mcp`;
    const live = async (clientId: string) => {
      const grant = await grants.createGrant({
        clientId,
        subject,
        scopes: ['mcp:tools'],
        resource,
        expiresAt: new Date(Date.now() + 3_600_000),
      });
      const issued = await t.app.get(AccessTokenIssuer).issue({
        subject,
        clientId,
        scopes: ['mcp:tools'],
        audience: resource,
        grantId: grant.id,
      });
      expect((await ping(issued.token)).status).toBe(201);
      return { grantId: grant.id, token: issued.token };
    };
    const a = await live('client-a');
    const b = await live('client-b');
    // An expired grant is not live: not revoked, not counted.
    const expired = await grants.createGrant({
      clientId: 'client-c',
      subject,
      scopes: ['mcp:tools'],
      resource,
      expiresAt: new Date(Date.now() - 1000),
    });
    const emitted = jest.spyOn(t.app.get(McpAuthAudit), 'emit');
    const revoked = await request(server())
      .post('/admin/grants/revoke')
      .send({ subject })
      .set(admin());
    expect(revoked.status).toBe(200);
    expect(revoked.body.revoked).toBe(2);
    expect(revoked.body.grant_ids_truncated).toBe(false);
    expect([...revoked.body.grant_ids].sort()).toEqual([a.grantId, b.grantId].sort());
    expect(emitted).toHaveBeenCalledWith({
      type: 'admin.grant_revoked',
      administrator: OPERATOR.clientId,
      revoked_count: 2,
      grant_ids: revoked.body.grant_ids,
      subject,
      client_id: undefined,
    });
    emitted.mockRestore();
    expect((await grants.findGrant(expired.id))?.revokedAt).toBeNull();
    await expectRefusedSoon(a.token);
    await expectRefusedSoon(b.token);
    // The operator's own machine grant is another subject's: still working.
    expect((await request(server()).get('/admin/signing-keys').set(admin())).status).toBe(200);
  });

  it('POST grants/revoke counts every grant but lists the first 100', async () => {
    const subject = `user-many-${randomUUID()}`;
    const grants = t.app.get<symbol, GrantStoreContract>(GrantStore);
    for (let i = 0; i < 101; i += 1) {
      await grants.createGrant({
        clientId: 'client-many',
        subject,
        scopes: [],
        resource: `${t.url}/mcp`,
        expiresAt: new Date(Date.now() + 3_600_000),
      });
    }
    const revoked = await request(server())
      .post('/admin/grants/revoke')
      .send({ subject })
      .set(admin());
    expect(revoked.status).toBe(200);
    expect(revoked.body.revoked).toBe(101);
    expect(revoked.body.grant_ids).toHaveLength(100);
    expect(revoked.body.grant_ids_truncated).toBe(true);
  });

  it('DELETE grants/:id audits only the call that ended the grant', async () => {
    const user = await userClient();
    const emitted = jest.spyOn(t.app.get(McpAuthAudit), 'emit');
    const calls = await Promise.all(
      [1, 2, 3].map(() => request(server()).delete(`/admin/grants/${user.grantId}`).set(admin())),
    );
    expect(calls.map((c) => c.status)).toEqual([200, 200, 200]);
    expect(calls.every((c) => c.body.status === 'revoked')).toBe(true);
    const audited = emitted.mock.calls.filter(([event]) => event.type === 'admin.grant_revoked');
    expect(audited).toEqual([
      [
        {
          type: 'admin.grant_revoked',
          administrator: OPERATOR.clientId,
          revoked_count: 1,
          grant_ids: [user.grantId],
        },
      ],
    ]);
    emitted.mockRestore();
  });
});

/** A host's own gate: a shared header, and the person it names as `request.user`. */
@Injectable()
class OpsHeaderGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{
      headers: Record<string, string | undefined>;
      user?: unknown;
    }>();
    if (req.headers['x-ops-key'] !== 'let-me-in') return false;
    req.user = { sub: 'ops-person' };
    return true;
  }
}

describe('Administration API behind a host guard, with identity providers', () => {
  const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
  const ENTERPRISE_CLIENT: TestClient = {
    clientId: 'chat-app',
    secret: 'chat-app-secret-0123456789abcdef',
    method: 'client_secret_basic',
  };
  let t: TestApp;
  let closedPort: number;
  const server = () => t.app.getHttpServer() as Server;
  const ops = { 'x-ops-key': 'let-me-in' };

  beforeAll(async () => {
    closedPort = await freePort();
    t = await createTestApp({
      auth: (origin) => ({
        administration: { guard: OpsHeaderGuard, path: '/ops' },
        clients: [
          ...(defaultAuthOptions(origin).clients ?? []),
          {
            client_id: ENTERPRISE_CLIENT.clientId,
            client_secret: ENTERPRISE_CLIENT.secret,
            token_endpoint_auth_method: 'client_secret_basic',
            grant_types: [JWT_BEARER],
          },
        ],
        enterprise: {
          trustedIdentityProviders: [{ issuer: `http://127.0.0.1:${closedPort}/idp` }],
        },
        federation: {
          providers: [
            {
              type: 'oidc',
              id: 'corp',
              name: 'Corp SSO',
              issuer: `http://127.0.0.1:${closedPort}/oidc`,
              clientId: 'mcp',
              clientSecret: 'upstream-client-secret-do-not-show',
              allowInsecureHttp: true,
              timeoutMs: 500,
            },
          ],
        },
      }),
    });
  });
  afterAll(() => t?.close());

  it('adds no protected resource for the API', async () => {
    const prm = await request(server()).get('/.well-known/oauth-protected-resource/ops');
    expect(prm.status).toBe(404);
  });

  it('asks the host guard: refused is 403 access_denied, allowed serves the API', async () => {
    expectOAuthError(await request(server()).get('/ops/clients'), 403, 'access_denied');
    const listed = await request(server()).get('/ops/clients').set(ops);
    expect(listed.status).toBe(200);
    expect(listed.body.clients.map((c: { client_id: string }) => c.client_id)).toContain(
      ENTERPRISE_CLIENT.clientId,
    );
  });

  it('audits with the administrator the host guard named', async () => {
    const audit = t.app.get(McpAuthAudit);
    const keys = await request(server()).get('/ops/signing-keys').set(ops);
    const signing = keys.body.keys.find((key: { status: string }) => key.status === 'signing');
    const emitted = jest.spyOn(audit, 'emit');
    const rotated = await request(server()).post('/ops/signing-keys/rotate').set(ops);
    expect(rotated.status).toBe(200);
    expect(emitted).toHaveBeenCalledWith({
      type: 'admin.signing_key_rotated',
      administrator: 'ops-person',
      kid: rotated.body.kid,
      retired_kids: [signing.kid],
    });
    emitted.mockRestore();
  });

  it('reports providers not yet contacted, then a failing discovery, never a secret', async () => {
    const before = await request(server()).get('/ops/identity-providers').set(ops);
    expect(before.status).toBe(200);
    expect(before.body.providers).toEqual([
      expect.objectContaining({
        kind: 'federation',
        id: 'corp',
        type: 'oidc',
        issuer: `http://127.0.0.1:${closedPort}/oidc`,
        status: 'not_contacted',
        last_error: null,
      }),
      expect.objectContaining({
        kind: 'enterprise',
        issuer: `http://127.0.0.1:${closedPort}/idp`,
        jwks_uri: null,
        status: 'not_contacted',
      }),
    ]);

    // An ID-JAG naming the trusted issuer makes the server look for its keys: nobody answers.
    const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'oauth-id-jag+jwt' })).toString(
      'base64url',
    );
    const claims = Buffer.from(
      JSON.stringify({ iss: `http://127.0.0.1:${closedPort}/idp`, sub: 'alice' }),
    ).toString('base64url');
    const redeemed = await postForm(
      t,
      '/token',
      { grant_type: JWT_BEARER, assertion: `${header}.${claims}.${'A'.repeat(86)}` },
      ENTERPRISE_CLIENT,
    );
    // The issuer's keys cannot be found right now: try again later, not a bad grant.
    expectOAuthError(redeemed, 503, 'temporarily_unavailable');

    const after = await request(server()).get('/ops/identity-providers').set(ops);
    const enterprise = after.body.providers.find((p: { kind: string }) => p.kind === 'enterprise');
    expect(enterprise).toMatchObject({ status: 'failing', last_success_at: null });
    expect(typeof enterprise.last_failure_at).toBe('string');
    expect(enterprise.last_error).toMatch(/jwks_uri|discover/i);
    expect(JSON.stringify(after.body)).not.toContain('upstream-client-secret-do-not-show');
  });
});

/** A host's own route where the API would be: the API is off, so the host keeps the path. */
@Controller('admin')
class HostAdminController {
  @Get('clients')
  clients() {
    return { host: true };
  }
}

describe('Administration API when not configured', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ module: { controllers: [HostAdminController] } });
  });
  afterAll(() => t?.close());

  it('mounts nothing: the host\u2019s own /admin/clients answers, no resource is published', async () => {
    const server = t.app.getHttpServer() as Server;
    const host = await request(server).get('/admin/clients').set('Authorization', 'Bearer x');
    expect(host.status).toBe(200);
    expect(host.body).toEqual({ host: true });
    expect((await request(server).get('/.well-known/oauth-protected-resource/admin')).status).toBe(
      404,
    );
  });
});
