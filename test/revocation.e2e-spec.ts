import { Logger } from '@nestjs/common';
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
import { GrantStore, type GrantStore as GrantStoreContract } from '@app/mcp-auth';
import { TEST_RESOURCE_SERVER, type TestApp } from './support/test-app';

interface TokenBody {
  access_token: string;
  refresh_token: string;
}

describe('POST /revoke (RFC 7009, AS-26)', () => {
  let t: TestApp;
  let owner: TestClient;
  let other: TestClient;
  let publicClient: TestClient;
  let introspector: TestClient;

  beforeAll(async () => {
    t = await createTokenTestApp();
    Logger.overrideLogger(['error']);
    owner = await registerClient(t, 'client_secret_basic');
    other = await registerClient(t, 'client_secret_post');
    publicClient = await registerClient(t, 'none');
    introspector = TEST_RESOURCE_SERVER;
  });
  afterAll(() => t?.close());

  async function tokensFor(client: TestClient): Promise<TokenBody> {
    const response = await redeemCode(t, client, await seedCode(t, client));
    expect(response.status).toBe(200);
    return response.body as TokenBody;
  }

  const revoke = (client: TestClient | undefined, form: Record<string, string | string[]>) =>
    postForm(t, '/revoke', form, client);
  const active = async (token: string): Promise<boolean> =>
    ((await postForm(t, '/introspect', { token }, introspector)).body as { active: boolean })
      .active;

  /** RFC 7009 §2.2: 200, empty body, not cached. */
  function expectRevocationOk(response: request.Response): void {
    expect(response.status).toBe(200);
    expect(response.text).toBe('');
    expect(response.headers['cache-control']).toBe('no-store');
  }

  it('AS-26: revoking a refresh token ends its grant: refresh and access tokens stop working', async () => {
    const tokens = await tokensFor(owner);
    expectRevocationOk(
      await revoke(owner, { token: tokens.refresh_token, token_type_hint: 'refresh_token' }),
    );
    expectOAuthError(await refresh(t, owner, tokens.refresh_token), 400, 'invalid_grant');
    expect(await active(tokens.access_token)).toBe(false);
    expect(await active(tokens.refresh_token)).toBe(false);
    const grants = await t.db.dataSource.query<{ revoked_reason: string }[]>(
      `SELECT revoked_reason FROM mcp_auth_grants WHERE client_id = $1`,
      [owner.clientId],
    );
    expect(grants.map((grant) => grant.revoked_reason)).toContain('revoked_by_client');
  });

  it('AS-26: revoking an access token makes it inactive and leaves the refresh token alone', async () => {
    const tokens = await tokensFor(owner);
    expect(await active(tokens.access_token)).toBe(true);
    expectRevocationOk(
      await revoke(owner, { token: tokens.access_token, token_type_hint: 'access_token' }),
    );
    expect(await active(tokens.access_token)).toBe(false);
    expect((await refresh(t, owner, tokens.refresh_token)).status).toBe(200);
  });

  it('AS-26: records the revoked jti until the token would have expired', async () => {
    const tokens = await tokensFor(owner);
    await revoke(owner, { token: tokens.access_token });
    const [payload] = tokens.access_token.split('.').slice(1, 2);
    const { jti } = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { jti: string };
    await expect(
      t.app.get<symbol, GrantStoreContract>(GrantStore).isAccessTokenRevoked(jti),
    ).resolves.toBe(true);
  });

  it('RFC 7009 §2.1: finds the token whatever the hint says, and ignores unknown hints', async () => {
    const a = await tokensFor(owner);
    expectRevocationOk(
      await revoke(owner, { token: a.access_token, token_type_hint: 'refresh_token' }),
    );
    expect(await active(a.access_token)).toBe(false);

    const b = await tokensFor(owner);
    expectRevocationOk(
      await revoke(owner, { token: b.refresh_token, token_type_hint: 'something_else' }),
    );
    expectOAuthError(await refresh(t, owner, b.refresh_token), 400, 'invalid_grant');
  });

  it('RFC 7009 §2.2: answers 200 for unknown and malformed tokens', async () => {
    for (const token of ['not-a-token', 'a.b.c', 'x'.repeat(43)]) {
      expectRevocationOk(await revoke(owner, { token }));
    }
  });

  it('RFC 7009 §2.1: answers 200 but revokes nothing for tokens of another client', async () => {
    const tokens = await tokensFor(owner);
    expectRevocationOk(await revoke(other, { token: tokens.refresh_token }));
    expectRevocationOk(await revoke(other, { token: tokens.access_token }));
    expect(await active(tokens.access_token)).toBe(true);
    expect((await refresh(t, owner, tokens.refresh_token)).status).toBe(200);
  });

  it('AS-20: public clients revoke their own tokens by client_id', async () => {
    const tokens = await tokensFor(publicClient);
    expectRevocationOk(await revoke(publicClient, { token: tokens.refresh_token }));
    expectOAuthError(await refresh(t, publicClient, tokens.refresh_token), 400, 'invalid_grant');
  });

  it('AS-20: refuses unauthenticated callers and wrong secrets with 401 invalid_client', async () => {
    const tokens = await tokensFor(owner);
    expectOAuthError(
      await revoke(undefined, { token: tokens.access_token }),
      401,
      'invalid_client',
    );
    const wrong = await revoke({ ...owner, secret: 'wrong' }, { token: tokens.access_token });
    expectOAuthError(wrong, 401, 'invalid_client');
    expect(wrong.headers['www-authenticate']).toMatch(/^Basic realm=/);
    expect(await active(tokens.access_token)).toBe(true);
  });

  it('AS-24: answers invalid_request for a missing, repeated or oversized token', async () => {
    expectOAuthError(await revoke(owner, {}), 400, 'invalid_request');
    expectOAuthError(await revoke(owner, { token: ['a', 'b'] }), 400, 'invalid_request');
    expectOAuthError(await revoke(owner, { token: 'x'.repeat(9000) }), 400, 'invalid_request');
    expectOAuthError(
      await revoke(owner, { token: 'abc', token_type_hint: ['a', 'b'] }),
      400,
      'invalid_request',
    );
  });

  it('AS-24: answers invalid_request for a JSON body', async () => {
    const response = await request(t.app.getHttpServer())
      .post('/revoke')
      .set('Content-Type', 'application/json')
      .send({ token: 'abc', client_id: publicClient.clientId });
    expectOAuthError(response, 400, 'invalid_request');
  });
});
