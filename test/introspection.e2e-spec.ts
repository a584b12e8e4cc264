import { Logger } from '@nestjs/common';
import { SignJWT, decodeJwt } from 'jose';
import request from 'supertest';
import {
  createTokenTestApp,
  expectOAuthError,
  postForm,
  redeemCode,
  refresh,
  registerClient,
  seedCode,
  type TestClient,
} from './support/token-endpoints';
import {
  GrantStore,
  type GrantStore as GrantStoreContract,
  SigningKeyService,
} from '@app/mcp-auth';
import type { TestApp } from './support/test-app';

interface TokenBody {
  access_token: string;
  refresh_token: string;
}

describe('POST /introspect (RFC 7662, AS-27)', () => {
  let t: TestApp;
  let resourceServer: TestClient;
  let postClient: TestClient;
  let publicClient: TestClient;

  beforeAll(async () => {
    t = await createTokenTestApp({
      auth: () => ({ introspection: { allowedClients: ['rs-basic', 'rs-post'] } }),
    });
    Logger.overrideLogger(['error']);
    resourceServer = await registerClient(t, 'client_secret_basic', { clientId: 'rs-basic' });
    postClient = await registerClient(t, 'client_secret_post', { clientId: 'rs-post' });
    publicClient = await registerClient(t, 'none');
  });
  afterAll(() => t?.close());

  async function tokensFor(client: TestClient, scopes?: string[]) {
    const seeded = await seedCode(t, client, { scopes });
    const response = await redeemCode(t, client, seeded);
    expect(response.status).toBe(200);
    return { ...(response.body as TokenBody), grantId: seeded.grantId };
  }

  const introspect = (token: string, caller: TestClient = resourceServer) =>
    postForm(t, '/introspect', { token }, caller);

  /** A JWT signed by our current key with the claims a test wants. */
  async function signWithOurKey(claims: Record<string, unknown>): Promise<string> {
    const { kid, alg, key } = t.app.get(SigningKeyService).getSigningKey();
    return new SignJWT(claims).setProtectedHeader({ alg, kid, typ: 'at+jwt' }).sign(key);
  }

  it('AS-27: describes a live access token with exactly the RFC 7662 members', async () => {
    const tokens = await tokensFor(publicClient, ['mcp:tools']);
    const response = await introspect(tokens.access_token);

    expect(response.status).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const claims = decodeJwt(tokens.access_token);
    expect(response.body).toEqual({
      active: true,
      scope: 'mcp:tools',
      client_id: publicClient.clientId,
      sub: 'user-alice',
      aud: `${t.url}/mcp`,
      iss: t.url,
      exp: claims.exp,
      iat: claims.iat,
      jti: claims.jti,
      token_type: 'Bearer',
    });
    expect(response.body).not.toHaveProperty('gid');
  });

  it('AS-27: client_secret_post callers may introspect too', async () => {
    const tokens = await tokensFor(publicClient);
    expect((await introspect(tokens.access_token, postClient)).body).toMatchObject({
      active: true,
    });
  });

  it('AS-27: describes a live refresh token to the client that holds it', async () => {
    const tokens = await tokensFor(postClient);
    const response = await introspect(tokens.refresh_token, postClient);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      active: true,
      scope: 'mcp:tools mcp:resources',
      client_id: postClient.clientId,
      sub: 'user-alice',
      exp: expect.any(Number),
      token_type: 'refresh_token',
    });
    const exp = (response.body as { exp: number }).exp;
    expect(Math.abs(exp - (Date.now() / 1000 + 30 * 24 * 3600))).toBeLessThan(60);
  });

  it('AS-27: a refresh token is inactive for other clients, after rotation and after revocation', async () => {
    const tokens = await tokensFor(postClient);
    expect((await introspect(tokens.refresh_token, resourceServer)).body).toEqual({
      active: false,
    });

    const next = (await refresh(t, postClient, tokens.refresh_token)).body as TokenBody;
    expect((await introspect(tokens.refresh_token, postClient)).body).toEqual({ active: false });
    expect((await introspect(next.refresh_token, postClient)).body).toMatchObject({
      active: true,
    });

    await t.app
      .get<symbol, GrantStoreContract>(GrantStore)
      .revokeGrant(tokens.grantId, 'revoked_by_owner');
    expect((await introspect(next.refresh_token, postClient)).body).toEqual({ active: false });
    expect((await introspect(next.access_token)).body).toEqual({ active: false });
  });

  it('AS-27: an access token whose jti was revoked is inactive', async () => {
    const tokens = await tokensFor(publicClient);
    const claims = decodeJwt(tokens.access_token);
    await t.app
      .get<symbol, GrantStoreContract>(GrantStore)
      .revokeAccessToken(claims.jti!, new Date(claims.exp! * 1000));
    expect((await introspect(tokens.access_token)).body).toEqual({ active: false });
  });

  it('AS-27: expired, forged, foreign and garbage tokens are just { active: false }', async () => {
    const tokens = await tokensFor(publicClient);
    const claims = decodeJwt(tokens.access_token);
    const now = Math.floor(Date.now() / 1000);
    const expired = await signWithOurKey({ ...claims, iat: now - 700, exp: now - 60 });
    const [header, payload] = tokens.access_token.split('.');
    const forged = `${header}.${payload}.${'A'.repeat(86)}`;
    const otherAudience = await signWithOurKey({ ...claims, aud: 'https://other.example/mcp' });
    const noGrant = await signWithOurKey({ ...claims, gid: undefined });

    for (const token of [expired, forged, otherAudience, noGrant, 'garbage', 'x'.repeat(43)]) {
      const response = await introspect(token);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ active: false });
    }
  });

  it('AS-27: refuses public clients with 401 invalid_client', async () => {
    const tokens = await tokensFor(publicClient);
    expectOAuthError(await introspect(tokens.access_token, publicClient), 401, 'invalid_client');
  });

  it('AS-27: confidential clients the operator did not designate get 403 unauthorized_client, and learn nothing', async () => {
    const tokens = await tokensFor(publicClient);
    // Anyone can register a confidential client through open dynamic registration.
    const registered = await request(t.app.getHttpServer())
      .post('/register')
      .send({
        redirect_uris: ['https://attacker.example/callback'],
        token_endpoint_auth_method: 'client_secret_basic',
      });
    expect(registered.status).toBe(201);
    const stranger: TestClient = {
      clientId: registered.body.client_id as string,
      secret: registered.body.client_secret as string,
      method: 'client_secret_basic',
    };
    const unlisted = await registerClient(t, 'client_secret_post');
    for (const caller of [stranger, unlisted]) {
      for (const token of [tokens.access_token, tokens.refresh_token, 'garbage']) {
        const response = await introspect(token, caller);
        expectOAuthError(response, 403, 'unauthorized_client');
        expect(JSON.stringify(response.body)).not.toMatch(/active|user-alice|mcp:/);
      }
    }
    // Credentials are still checked first: a wrong secret stays 401.
    expectOAuthError(
      await introspect(tokens.access_token, { ...stranger, secret: 'nope' }),
      401,
      'invalid_client',
    );
  });

  it('AS-27: refuses unauthenticated callers and wrong secrets with 401 invalid_client', async () => {
    const tokens = await tokensFor(publicClient);
    expectOAuthError(
      await postForm(t, '/introspect', { token: tokens.access_token }),
      401,
      'invalid_client',
    );
    const wrong = await introspect(tokens.access_token, { ...resourceServer, secret: 'nope' });
    expectOAuthError(wrong, 401, 'invalid_client');
    expect(wrong.headers['www-authenticate']).toMatch(/^Basic realm=/);
  });

  it('AS-24: answers invalid_request for a missing or repeated token and for JSON bodies', async () => {
    expectOAuthError(await postForm(t, '/introspect', {}, resourceServer), 400, 'invalid_request');
    expectOAuthError(
      await postForm(t, '/introspect', { token: ['a', 'b'] }, resourceServer),
      400,
      'invalid_request',
    );
    const json = await request(t.app.getHttpServer())
      .post('/introspect')
      .set('Content-Type', 'application/json')
      .send({ token: 'abc' });
    expectOAuthError(json, 400, 'invalid_request');
  });
});
