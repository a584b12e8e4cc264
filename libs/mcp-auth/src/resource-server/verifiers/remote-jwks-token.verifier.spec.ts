import { Logger } from '@nestjs/common';
import {
  exportJWK,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose';
import { InvalidAccessTokenError } from '../../tokens/invalid-access-token.error';
import { JsonServer } from '../../../../../test/support/json-server';
import { RemoteJwksTokenVerifier } from './remote-jwks-token.verifier';

const RESOURCE = 'https://api.example.com/mcp';

describe('RemoteJwksTokenVerifier', () => {
  let server: JsonServer;
  let issuer: string;
  let privateKey: CryptoKey;
  let jwk: JWK;

  beforeAll(() => Logger.overrideLogger(false));
  beforeEach(async () => {
    server = await new JsonServer().start();
    issuer = server.origin;
    const pair = await generateKeyPair('RS256');
    privateKey = pair.privateKey;
    jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256' };
    server.routes.set('/.well-known/oauth-authorization-server', () => ({
      status: 200,
      body: { issuer, jwks_uri: `${issuer}/keys` },
    }));
    server.routes.set('/keys', () => ({ status: 200, body: { keys: [jwk] } }));
  });
  afterEach(() => server.stop());

  function sign(claims: JWTPayload = {}, header: Record<string, unknown> = {}) {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      iss: issuer,
      aud: RESOURCE,
      sub: 'u',
      client_id: 'c',
      scope: 'a b',
      iat: now,
      exp: now + 60,
      ...claims,
    })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1', typ: 'at+jwt', ...header })
      .sign(privateKey);
  }

  const verifier = (
    overrides: Partial<ConstructorParameters<typeof RemoteJwksTokenVerifier>[0]> = {},
  ) => new RemoteJwksTokenVerifier({ issuers: [issuer], ...overrides });

  it('discovers jwks_uri and verifies an RFC 9068 token', async () => {
    await expect(verifier().verify(await sign(), { resource: RESOURCE })).resolves.toMatchObject({
      issuer,
      clientId: 'c',
      subject: 'u',
      scopes: ['a', 'b'],
      audience: [RESOURCE],
    });
  });

  it('accepts typ JWT only when configured (some IdPs), and application/at+jwt always', async () => {
    const jwtTyped = await sign({}, { typ: 'JWT' });
    await expect(verifier().verify(jwtTyped, { resource: RESOURCE })).rejects.toThrow(/typ/);
    await expect(
      verifier({ tokenTypes: ['at+jwt', 'JWT'] }).verify(jwtTyped, { resource: RESOURCE }),
    ).resolves.toBeDefined();
    await expect(
      verifier().verify(await sign({}, { typ: 'application/AT+JWT' }), { resource: RESOURCE }),
    ).resolves.toBeDefined();
    await expect(
      verifier({ tokenTypes: false }).verify(await sign({}, { typ: undefined }), {
        resource: RESOURCE,
      }),
    ).resolves.toBeDefined();
  });

  it('reads scp and azp, the spelling of some identity providers', async () => {
    const token = await sign({
      scope: undefined,
      scp: ['x', 'y'],
      client_id: undefined,
      azp: 'app',
    });
    await expect(verifier().verify(token, { resource: RESOURCE })).resolves.toMatchObject({
      scopes: ['x', 'y'],
      clientId: 'app',
    });
  });

  it('uses a configured jwks_uri without discovery', async () => {
    const v = verifier({ jwksUri: `${issuer}/keys` });
    await v.verify(await sign(), { resource: RESOURCE });
    expect(server.requestsTo('/.well-known/oauth-authorization-server')).toHaveLength(0);
  });

  it.each<[string, JWTPayload, RegExp]>([
    ['another audience', { aud: 'https://api.example.com/other' }, /audience/],
    ['no exp', { exp: undefined }, /exp/],
    ['expired', { exp: Math.floor(Date.now() / 1000) - 60 }, /expired/],
    ['an untrusted issuer', { iss: 'https://evil.example' }, /iss/],
    ['no client id', { client_id: undefined }, /client_id/],
  ])('refuses %s', async (_name, claims, reason) => {
    const error: unknown = await verifier()
      .verify(await sign(claims), { resource: RESOURCE })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidAccessTokenError);
    expect((error as InvalidAccessTokenError).reason).toMatch(reason);
  });

  it('refuses algorithms outside the allow-list before fetching any key', async () => {
    const hs = await new SignJWT({
      iss: issuer,
      aud: RESOURCE,
      client_id: 'c',
      exp: Math.floor(Date.now() / 1000) + 60,
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: 'k1' })
      .sign(new TextEncoder().encode('a-secret-that-is-long-enough-for-hs256'));
    await expect(verifier().verify(hs, { resource: RESOURCE })).rejects.toThrow(
      /algorithm not allowed/,
    );
    expect(server.requestsTo('/keys')).toHaveLength(0);
  });

  it('refuses none or HMAC in its own configuration', () => {
    expect(() => verifier({ algorithms: ['RS256', 'none'] })).toThrow(/none or HMAC/);
    expect(() => verifier({ algorithms: ['HS256'] })).toThrow(/none or HMAC/);
    expect(
      () =>
        new RemoteJwksTokenVerifier({
          issuers: [issuer, 'https://b.example'],
          jwksUri: 'https://x',
        }),
    ).toThrow(/single authorization server/);
  });
});
