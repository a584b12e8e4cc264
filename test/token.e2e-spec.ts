import { Logger } from '@nestjs/common';
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import request from 'supertest';
import {
  basicHeader,
  createTokenTestApp,
  expectOAuthError,
  postForm,
  REDIRECT_URI,
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
import { computeS256Challenge } from './support/pkce';
import { randomToken } from './support/secrets';
import { TestBrowser } from './support/browser';
import type { TestApp } from './support/test-app';

interface TokenBody {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope?: string;
  refresh_token?: string;
}

describe('POST /token', () => {
  let t: TestApp;
  let basic: TestClient;
  let post: TestClient;
  let publicClient: TestClient;

  beforeAll(async () => {
    // Reuse of a rotated refresh token revokes the family at once (no grace window).
    t = await createTokenTestApp({
      auth: () => ({
        tokens: { refreshReuseGraceSeconds: 0 },
        // The basic client also stands in for a resource server (AS-27).
        introspection: { allowedClients: ['token-spec-basic'] },
      }),
    });
    // Replays and reuse are logged as warnings on purpose; keep the test output readable.
    Logger.overrideLogger(['error']);
    basic = await registerClient(t, 'client_secret_basic', { clientId: 'token-spec-basic' });
    post = await registerClient(t, 'client_secret_post');
    publicClient = await registerClient(t, 'none');
  });
  afterAll(() => t?.close());

  /** Redeems a fresh code for `client` and returns the parsed token response. */
  async function tokensFor(client: TestClient, scopes?: string[]): Promise<TokenBody> {
    const seeded = await seedCode(t, client, { scopes });
    const response = await redeemCode(t, client, seeded);
    expect(response.status).toBe(200);
    return response.body as TokenBody;
  }

  function introspect(token: string) {
    return postForm(t, '/introspect', { token }, basic);
  }

  describe('grant_type=authorization_code', () => {
    it('AS-21: answers a JSON token response with no-store, a Bearer JWT and a refresh token', async () => {
      const seeded = await seedCode(t, basic);
      const response = await redeemCode(t, basic, seeded);

      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.headers.pragma).toBe('no-cache');
      const body = response.body as TokenBody;
      expect(Object.keys(body).sort()).toEqual(
        ['access_token', 'expires_in', 'refresh_token', 'scope', 'token_type'].sort(),
      );
      expect(body).toMatchObject({
        token_type: 'Bearer',
        expires_in: 600,
        scope: 'mcp:tools mcp:resources',
      });
      expect(body.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    });

    it('AS-15 / RS-7: the access token verifies with plain jose against our JWKS and is bound to the resource', async () => {
      const seeded = await seedCode(t, basic, { scopes: ['mcp:tools'] });
      const body = (await redeemCode(t, basic, seeded)).body as TokenBody;

      const jwks = createLocalJWKSet(t.app.get(SigningKeyService).getJwks());
      const { payload, protectedHeader } = await jwtVerify(body.access_token, jwks, {
        issuer: t.url,
        audience: `${t.url}/mcp`,
        typ: 'at+jwt',
      });
      expect(protectedHeader.alg).toBe('ES256');
      expect(payload).toMatchObject({
        sub: 'user-alice',
        client_id: basic.clientId,
        scope: 'mcp:tools',
        gid: seeded.grantId,
      });
      expect(payload.exp! - payload.iat!).toBe(600);
    });

    it('AS-20: authenticates client_secret_post clients', async () => {
      const seeded = await seedCode(t, post);
      expect((await redeemCode(t, post, seeded)).status).toBe(200);
    });

    it('AS-20: authenticates public clients (none) by client_id alone', async () => {
      const seeded = await seedCode(t, publicClient);
      const response = await redeemCode(t, publicClient, seeded);
      expect(response.status).toBe(200);
      expect((response.body as TokenBody).refresh_token).toBeDefined();
    });

    it('AS-20: Basic credentials may repeat the matching client_id in the body', async () => {
      const seeded = await seedCode(t, basic);
      const response = await redeemCode(t, basic, seeded, { client_id: basic.clientId });
      expect(response.status).toBe(200);
    });

    it('AS-23: issues no refresh token to a client not registered for refresh_token', async () => {
      const noRefresh = await registerClient(t, 'none', { grantTypes: ['authorization_code'] });
      const body = await tokensFor(noRefresh);
      expect(body.refresh_token).toBeUndefined();
      expect(body.access_token).toBeDefined();
    });

    it('AS-15: accepts no resource (default audience) and an upper-case scheme/host form', async () => {
      const omitted = await seedCode(t, basic);
      const noResource = await redeemCode(t, basic, omitted, { resource: '' });
      expect(noResource.status).toBe(200);
      expect(decodeJwt((noResource.body as TokenBody).access_token).aud).toBe(`${t.url}/mcp`);

      const upper = await seedCode(t, basic);
      const response = await redeemCode(t, basic, upper, {
        resource: `${t.url.replace('http://', 'HTTP://')}/mcp`,
      });
      expect(response.status).toBe(200);
    });

    it('AS-19: redirect_uri may be omitted when the authorization request had none', async () => {
      const seeded = await seedCode(t, basic, { redirectUriProvided: false });
      expect((await redeemCode(t, basic, seeded, { redirect_uri: '' })).status).toBe(200);
    });
  });

  describe('with a code from the real /authorize endpoint', () => {
    it('AS-13 / AS-19 / AS-21: a browser-approved code redeems once, for the resource it names', async () => {
      const verifier = randomToken(48);
      const authorizeUrl = new URL(`${t.url}/authorize`);
      authorizeUrl.search = new URLSearchParams({
        response_type: 'code',
        client_id: publicClient.clientId,
        redirect_uri: REDIRECT_URI,
        code_challenge: computeS256Challenge(verifier),
        code_challenge_method: 'S256',
        scope: 'mcp:tools',
        resource: `${t.url}/mcp`,
        state: 'xyz',
      }).toString();
      const redirect = await new TestBrowser(t.url).authorize(authorizeUrl.toString());
      const code = redirect.searchParams.get('code');
      expect(code).toBeTruthy();

      const form = {
        grant_type: 'authorization_code',
        code: code!,
        redirect_uri: REDIRECT_URI,
        code_verifier: verifier,
        resource: `${t.url}/mcp`,
      };
      const response = await postForm(t, '/token', form, publicClient);
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ token_type: 'Bearer', scope: 'mcp:tools' });
      expect(decodeJwt((response.body as TokenBody).access_token)).toMatchObject({
        aud: `${t.url}/mcp`,
        sub: 'user-alice',
        client_id: publicClient.clientId,
      });
      expectOAuthError(await postForm(t, '/token', form, publicClient), 400, 'invalid_grant');
    });
  });

  describe('client authentication (AS-20, AS-24)', () => {
    it('refuses a wrong secret with 401 invalid_client and a Basic challenge naming the issuer', async () => {
      const seeded = await seedCode(t, basic);
      const response = await redeemCode(t, { ...basic, secret: 'wrong-secret' }, seeded);
      expectOAuthError(response, 401, 'invalid_client');
      expect(response.headers['www-authenticate']).toBe(`Basic realm="${t.url}", charset="UTF-8"`);
    });

    it('refuses a wrong client_secret_post secret with 401 and no Basic challenge', async () => {
      const seeded = await seedCode(t, post);
      const response = await redeemCode(t, { ...post, secret: 'wrong' }, seeded);
      expectOAuthError(response, 401, 'invalid_client');
      expect(response.headers['www-authenticate']).toBeUndefined();
      // The code was never looked at: the real client can still redeem it.
      expect((await redeemCode(t, post, seeded)).status).toBe(200);
    });

    it('answers an unknown client exactly like a wrong secret', async () => {
      const seeded = await seedCode(t, post);
      const wrongSecret = await redeemCode(t, { ...post, secret: 'wrong' }, seeded);
      const unknown = await redeemCode(t, { ...post, clientId: 'no-such-client' }, seeded);
      expectOAuthError(unknown, 401, 'invalid_client');
      expect(unknown.body).toEqual(wrongSecret.body);
    });

    it('refuses a secret presented for a public client', async () => {
      const seeded = await seedCode(t, publicClient);
      for (const method of ['client_secret_post', 'client_secret_basic'] as const) {
        const response = await redeemCode(
          t,
          { ...publicClient, method, secret: 'some-secret-value' },
          seeded,
        );
        expectOAuthError(response, 401, 'invalid_client');
      }
    });

    it('refuses a confidential client that sends no secret, or the wrong method', async () => {
      const seeded = await seedCode(t, basic);
      expectOAuthError(
        await redeemCode(t, { ...basic, method: 'none' }, seeded),
        401,
        'invalid_client',
      );
      expectOAuthError(
        await redeemCode(t, { ...basic, method: 'client_secret_post' }, seeded),
        401,
        'invalid_client',
      );
    });

    it('refuses Basic credentials that are not valid base64', async () => {
      const response = await request(t.app.getHttpServer())
        .post('/token')
        .set('Content-Type', 'application/x-www-form-urlencoded')
        .set('Authorization', 'Basic %%%not-base64')
        .send('grant_type=authorization_code&code=x&code_verifier=y');
      expectOAuthError(response, 401, 'invalid_client');
      expect(response.headers['www-authenticate']).toMatch(/^Basic realm=/);
    });

    it('refuses a body client_id that differs from the Basic one', async () => {
      const seeded = await seedCode(t, basic);
      const response = await redeemCode(t, basic, seeded, { client_id: post.clientId });
      expectOAuthError(response, 401, 'invalid_client');
    });

    it('refuses Basic credentials combined with client_secret in the body (invalid_request)', async () => {
      const seeded = await seedCode(t, basic);
      const response = await redeemCode(t, basic, seeded, { client_secret: basic.secret! });
      expectOAuthError(response, 400, 'invalid_request');
    });

    it('refuses an expired client secret', async () => {
      const expired = await registerClient(t, 'client_secret_basic', {
        clientSecretExpiresAt: new Date(Date.now() - 1000),
      });
      const seeded = await seedCode(t, expired);
      const response = await redeemCode(t, expired, seeded);
      expectOAuthError(response, 401, 'invalid_client');
    });

    it('refuses a request with no client identification at all', async () => {
      const seeded = await seedCode(t, publicClient);
      const response = await postForm(t, '/token', {
        grant_type: 'authorization_code',
        code: seeded.code,
        code_verifier: seeded.verifier,
      });
      expectOAuthError(response, 401, 'invalid_client');
    });
  });

  describe('authorization code binding (AS-13, AS-19)', () => {
    it('AS-13: a missing code_verifier is invalid_request and does not burn the code', async () => {
      const seeded = await seedCode(t, basic);
      expectOAuthError(
        await redeemCode(t, basic, seeded, { code_verifier: '' }),
        400,
        'invalid_request',
      );
      expect((await redeemCode(t, basic, seeded)).status).toBe(200);
    });

    it('AS-13: a malformed code_verifier is invalid_request and does not burn the code', async () => {
      const seeded = await seedCode(t, basic);
      expectOAuthError(
        await redeemCode(t, basic, seeded, { code_verifier: 'too-short' }),
        400,
        'invalid_request',
      );
      expect((await redeemCode(t, basic, seeded)).status).toBe(200);
    });

    it('AS-13: a wrong code_verifier is invalid_grant and changes nothing', async () => {
      const seeded = await seedCode(t, basic);
      const wrong = 'x'.repeat(43);
      expectOAuthError(
        await redeemCode(t, basic, seeded, { code_verifier: wrong }),
        400,
        'invalid_grant',
      );
      const grant = await t.app
        .get<symbol, GrantStoreContract>(GrantStore)
        .findGrant(seeded.grantId);
      expect(grant?.revokedAt).toBeNull();
      // The holder of the right verifier can still redeem it.
      expect((await redeemCode(t, basic, seeded)).status).toBe(200);
    });

    it('AS-19: a different redirect_uri is invalid_grant', async () => {
      const seeded = await seedCode(t, basic);
      const response = await redeemCode(t, basic, seeded, {
        redirect_uri: 'http://127.0.0.1:8976/other',
      });
      expectOAuthError(response, 400, 'invalid_grant');
    });

    it('AS-19: omitting redirect_uri when the authorization request sent one is invalid_grant', async () => {
      const seeded = await seedCode(t, basic, { redirectUriProvided: true });
      expectOAuthError(
        await redeemCode(t, basic, seeded, { redirect_uri: '' }),
        400,
        'invalid_grant',
      );
    });

    it('AS-19: a redirect_uri that was not in the authorization request must still match', async () => {
      const seeded = await seedCode(t, basic, { redirectUriProvided: false });
      expectOAuthError(
        await redeemCode(t, basic, seeded, { redirect_uri: 'http://127.0.0.1:8976/other' }),
        400,
        'invalid_grant',
      );
    });

    it('AS-19: a code issued to another client is invalid_grant', async () => {
      const seeded = await seedCode(t, basic);
      expectOAuthError(await redeemCode(t, post, seeded), 400, 'invalid_grant');
      // Nothing changed: another client cannot burn or revoke it.
      expect((await redeemCode(t, basic, seeded)).status).toBe(200);
    });

    it('AS-19: an expired code is invalid_grant', async () => {
      const seeded = await seedCode(t, basic, { expiresIn: -5 });
      expectOAuthError(await redeemCode(t, basic, seeded), 400, 'invalid_grant');
    });

    it('AS-19: an unknown code is invalid_grant', async () => {
      const seeded = await seedCode(t, basic);
      expectOAuthError(
        await redeemCode(t, basic, seeded, { code: 'not-a-code' }),
        400,
        'invalid_grant',
      );
    });

    it('AS-19: a replayed code is invalid_grant and revokes the tokens of the first use', async () => {
      const seeded = await seedCode(t, basic);
      const first = await redeemCode(t, basic, seeded);
      expect(first.status).toBe(200);
      const tokens = first.body as TokenBody;
      expect((await introspect(tokens.access_token)).body).toMatchObject({ active: true });

      expectOAuthError(await redeemCode(t, basic, seeded), 400, 'invalid_grant');

      expectOAuthError(await refresh(t, basic, tokens.refresh_token!), 400, 'invalid_grant');
      expect((await introspect(tokens.access_token)).body).toEqual({ active: false });
      expect((await introspect(tokens.refresh_token!)).body).toEqual({ active: false });
    });

    it('AS-19: of 20 concurrent redemptions of one code exactly one succeeds', async () => {
      const seeded = await seedCode(t, publicClient);
      const responses = await Promise.all(
        Array.from({ length: 20 }, () => redeemCode(t, publicClient, seeded)),
      );
      const statuses = responses.map((response) => response.status);
      expect(statuses.filter((status) => status === 200)).toHaveLength(1);
      for (const response of responses.filter((r) => r.status !== 200)) {
        expectOAuthError(response, 400, 'invalid_grant');
      }
    });

    it('AS-15: a resource this server does not serve is invalid_target and does not burn the code', async () => {
      const seeded = await seedCode(t, basic);
      for (const resource of [`${t.url}/other`, 'https://evil.example/mcp', `${t.url}/mcp#x`]) {
        expectOAuthError(await redeemCode(t, basic, seeded, { resource }), 400, 'invalid_target');
      }
      expectOAuthError(
        await redeemCode(t, basic, seeded, { resource: [seeded.resource, seeded.resource] }),
        400,
        'invalid_target',
      );
      expect((await redeemCode(t, basic, seeded)).status).toBe(200);
    });

    it('AS-15: a served resource other than the code’s is invalid_target', async () => {
      const multi = await createTokenTestApp({
        db: t.db,
        auth: () => ({
          resources: [
            { path: '/mcp', scopes: ['mcp:tools', 'mcp:resources'] },
            { path: '/other', scopes: ['mcp:tools'] },
          ],
        }),
      });
      try {
        const client = await registerClient(multi, 'none');
        const seeded = await seedCode(multi, client);
        const response = await redeemCode(multi, client, seeded, {
          resource: `${multi.url}/other`,
        });
        expectOAuthError(response, 400, 'invalid_target');
      } finally {
        await multi.close();
      }
    });
  });

  describe('grant_type=refresh_token (AS-23)', () => {
    it('rotates on every use: a new refresh token, the old one refused afterwards', async () => {
      const first = await tokensFor(publicClient);
      const response = await refresh(t, publicClient, first.refresh_token!);
      expect(response.status).toBe(200);
      expect(response.headers['cache-control']).toBe('no-store');
      const second = response.body as TokenBody;
      expect(second).toMatchObject({
        token_type: 'Bearer',
        expires_in: 600,
        scope: 'mcp:tools mcp:resources',
      });
      expect(second.refresh_token).toBeDefined();
      expect(second.refresh_token).not.toBe(first.refresh_token);
      expect(second.access_token).not.toBe(first.access_token);

      expectOAuthError(await refresh(t, publicClient, first.refresh_token!), 400, 'invalid_grant');
    });

    it('reuse of a rotated token revokes the family: the newest refresh token fails too', async () => {
      const first = await tokensFor(basic);
      const second = (await refresh(t, basic, first.refresh_token!)).body as TokenBody;
      expectOAuthError(await refresh(t, basic, first.refresh_token!), 400, 'invalid_grant');

      expectOAuthError(await refresh(t, basic, second.refresh_token!), 400, 'invalid_grant');
      expect((await introspect(second.access_token)).body).toEqual({ active: false });
    });

    it('narrows the access token scope on request; the refresh token keeps the grant scope', async () => {
      const first = await tokensFor(basic);
      const narrowed = await refresh(t, basic, first.refresh_token!, { scope: 'mcp:tools' });
      expect(narrowed.status).toBe(200);
      const body = narrowed.body as TokenBody;
      expect(body.scope).toBe('mcp:tools');
      expect(decodeJwt(body.access_token).scope).toBe('mcp:tools');

      // RFC 6749 §6: the refresh token's scope is unchanged, so the full scope comes back.
      const full = (await refresh(t, basic, body.refresh_token!)).body as TokenBody;
      expect(full.scope).toBe('mcp:tools mcp:resources');
    });

    it('refuses a wider scope with invalid_scope and rotates nothing', async () => {
      const first = await tokensFor(basic, ['mcp:tools']);
      const widened = await refresh(t, basic, first.refresh_token!, {
        scope: 'mcp:tools mcp:admin',
      });
      expectOAuthError(widened, 400, 'invalid_scope');
      // Nothing rotated: the same refresh token still works, once.
      expect((await refresh(t, basic, first.refresh_token!)).status).toBe(200);
    });

    it('refuses a malformed scope with invalid_scope', async () => {
      const first = await tokensFor(basic);
      expectOAuthError(
        await refresh(t, basic, first.refresh_token!, { scope: 'mcp:tools "x"' }),
        400,
        'invalid_scope',
      );
    });

    it('AS-15: accepts the grant resource and refuses another with invalid_target, rotating nothing', async () => {
      const first = await tokensFor(basic);
      expectOAuthError(
        await refresh(t, basic, first.refresh_token!, { resource: 'https://evil.example/mcp' }),
        400,
        'invalid_target',
      );
      const same = await refresh(t, basic, first.refresh_token!, { resource: `${t.url}/mcp` });
      expect(same.status).toBe(200);
    });

    it('refuses a refresh token presented by another client, without revoking it', async () => {
      const first = await tokensFor(basic);
      expectOAuthError(await refresh(t, post, first.refresh_token!), 400, 'invalid_grant');
      expect((await refresh(t, basic, first.refresh_token!)).status).toBe(200);
    });

    it('refuses unknown refresh tokens', async () => {
      expectOAuthError(await refresh(t, basic, 'not-a-refresh-token'), 400, 'invalid_grant');
    });

    it('AS-24: a client not registered for refresh_token gets unauthorized_client', async () => {
      const codeOnly = await registerClient(t, 'none', { grantTypes: ['authorization_code'] });
      expectOAuthError(await refresh(t, codeOnly, 'anything'), 400, 'unauthorized_client');
    });
  });

  describe('request validation (AS-24)', () => {
    it('answers unsupported_grant_type for other grant types', async () => {
      for (const grantType of ['password', 'implicit', 'device_code', '__proto__']) {
        expectOAuthError(
          await postForm(t, '/token', { grant_type: grantType }, basic),
          400,
          'unsupported_grant_type',
        );
      }
    });

    it('answers unauthorized_client for a grant the client did not register (client_credentials)', async () => {
      expectOAuthError(
        await postForm(t, '/token', { grant_type: 'client_credentials' }, basic),
        400,
        'unauthorized_client',
      );
    });

    it('answers invalid_request when grant_type is missing', async () => {
      expectOAuthError(await postForm(t, '/token', {}, basic), 400, 'invalid_request');
    });

    it('answers invalid_request for required parameters that are missing', async () => {
      expectOAuthError(
        await postForm(t, '/token', { grant_type: 'authorization_code' }, basic),
        400,
        'invalid_request',
      );
      expectOAuthError(
        await postForm(t, '/token', { grant_type: 'refresh_token' }, basic),
        400,
        'invalid_request',
      );
    });

    it('RFC 6749 §3.1: answers invalid_request for duplicated parameters, without burning the code', async () => {
      const seeded = await seedCode(t, basic);
      expectOAuthError(
        await redeemCode(t, basic, seeded, { code: [seeded.code, seeded.code] }),
        400,
        'invalid_request',
      );
      expectOAuthError(
        await redeemCode(t, basic, seeded, { grant_type: ['authorization_code', 'refresh_token'] }),
        400,
        'invalid_request',
      );
      expect((await redeemCode(t, basic, seeded)).status).toBe(200);
    });

    it('answers invalid_request for structured (bracketed) parameters', async () => {
      const response = await request(t.app.getHttpServer())
        .post('/token')
        .set('Content-Type', 'application/x-www-form-urlencoded')
        .set('Authorization', basicHeader(basic.clientId, basic.secret!))
        .send('grant_type=authorization_code&code[a]=b&code_verifier=' + 'v'.repeat(43));
      expectOAuthError(response, 400, 'invalid_request');
    });

    it('answers invalid_request for a JSON body or no content type', async () => {
      const seeded = await seedCode(t, publicClient);
      const json = await request(t.app.getHttpServer())
        .post('/token')
        .set('Content-Type', 'application/json')
        .send({
          grant_type: 'authorization_code',
          client_id: publicClient.clientId,
          code: seeded.code,
          code_verifier: seeded.verifier,
          redirect_uri: seeded.redirectUri,
        });
      expectOAuthError(json, 400, 'invalid_request');
      const none = await request(t.app.getHttpServer()).post('/token');
      expectOAuthError(none, 400, 'invalid_request');
      // Charset parameters and case do not matter.
      const withCharset = await request(t.app.getHttpServer())
        .post('/token')
        .set('Content-Type', 'Application/X-WWW-Form-Urlencoded; charset=UTF-8')
        .send(
          new URLSearchParams({
            grant_type: 'authorization_code',
            client_id: publicClient.clientId,
            code: seeded.code,
            code_verifier: seeded.verifier,
            redirect_uri: seeded.redirectUri,
          }).toString(),
        );
      expect(withCharset.status).toBe(200);
    });

    it('answers invalid_request for oversized values', async () => {
      const seeded = await seedCode(t, basic);
      expectOAuthError(
        await redeemCode(t, basic, seeded, { code: 'c'.repeat(3000) }),
        400,
        'invalid_request',
      );
      expectOAuthError(
        await redeemCode(t, { ...post, clientId: 'i'.repeat(3000) }, seeded),
        400,
        'invalid_request',
      );
    });

    it('ignores unknown parameters (AS-18)', async () => {
      const seeded = await seedCode(t, basic);
      const response = await redeemCode(t, basic, seeded, {
        prompt: 'consent',
        'extra[nested]': 'x',
        nonce: ['a', 'b'],
      });
      expect(response.status).toBe(200);
    });

    it('AS-8: answers CORS preflights and puts CORS headers on successes and errors', async () => {
      const server = t.app.getHttpServer();
      const preflight = await request(server)
        .options('/token')
        .set('Origin', 'http://localhost:6274')
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'authorization, content-type');
      expect(preflight.status).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe('*');
      expect(preflight.headers['access-control-allow-headers']).toMatch(/Authorization/);

      const error = await postForm(t, '/token', {}, publicClient);
      expect(error.headers['access-control-allow-origin']).toBe('*');
      const ok = await redeemCode(t, publicClient, await seedCode(t, publicClient));
      expect(ok.status).toBe(200);
      expect(ok.headers['access-control-allow-origin']).toBe('*');
    });

    it('answers other methods with 405 and an Allow header, in OAuth error shape', async () => {
      for (const path of ['/token', '/revoke', '/introspect']) {
        const response = await request(t.app.getHttpServer()).get(path);
        expectOAuthError(response, 405, 'invalid_request');
        expect(response.headers.allow).toMatch(/POST/);
      }
    });

    it('a NUL in client_id is an authentication failure, not a server error', async () => {
      const seeded = await seedCode(t, publicClient);
      expectOAuthError(
        await redeemCode(t, { ...publicClient, clientId: 'a\u0000b' }, seeded),
        401,
        'invalid_client',
      );
    });
  });
});

describe('POST /token with a refresh reuse grace window (AS-23)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTokenTestApp({ auth: () => ({ tokens: { refreshReuseGraceSeconds: 30 } }) });
    Logger.overrideLogger(['error']);
  });
  afterAll(() => t?.close());

  it('refuses a reuse inside the window without revoking the family', async () => {
    const client = await registerClient(t, 'none');
    const seeded = await seedCode(t, client);
    const first = (await redeemCode(t, client, seeded)).body as TokenBody;
    const second = (await refresh(t, client, first.refresh_token!)).body as TokenBody;

    expectOAuthError(await refresh(t, client, first.refresh_token!), 400, 'invalid_grant');
    expect((await refresh(t, client, second.refresh_token!)).status).toBe(200);
  });
});
