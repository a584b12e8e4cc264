import { Logger } from '@nestjs/common';
import { exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey, type JWK } from 'jose';
import { InvalidAccessTokenError } from '../../tokens/invalid-access-token.error';
import { AccessTokenVerifierUnavailableError } from '../access-token-verifier.interface';
import { JsonServer } from '../../../../../test/support/json-server';
import { RemoteKeySet } from './remote-key-set';

async function keyPair(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  return { privateKey, jwk };
}

describe('RemoteKeySet', () => {
  let server: JsonServer;
  let published: JWK[];

  beforeAll(() => Logger.overrideLogger(false));
  beforeEach(async () => {
    server = await new JsonServer().start();
    published = [];
    server.routes.set('/jwks', () => ({ status: 200, body: { keys: published } }));
  });
  afterEach(async () => {
    await server.stop();
    jest.useRealTimers();
  });

  const keySet = (options: Partial<ConstructorParameters<typeof RemoteKeySet>[1]> = {}) =>
    new RemoteKeySet(async () => `${server.origin}/jwks`, {
      refetchCooldownMs: 30_000,
      maxAgeMs: 600_000,
      timeoutMs: 2000,
      ...options,
    });

  async function token(privateKey: CryptoKey, kid: string) {
    return new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid }).sign(privateKey);
  }

  it('fetches once, on first use, and never per request', async () => {
    const a = await keyPair('a');
    published = [a.jwk];
    const keys = keySet();
    const jwt = await token(a.privateKey, 'a');
    await Promise.all([1, 2, 3].map(() => jwtVerify(jwt, keys.getKey)));
    await jwtVerify(jwt, keys.getKey);
    expect(keys.fetchCount).toBe(1);
    expect(server.requestsTo('/jwks')).toHaveLength(1);
  });

  it('refetches for an unknown kid (rotation) at most once per cooldown', async () => {
    const a = await keyPair('a');
    const b = await keyPair('b');
    published = [a.jwk];
    const keys = keySet({ refetchCooldownMs: 0 });
    await jwtVerify(await token(a.privateKey, 'a'), keys.getKey);
    published = [a.jwk, b.jwk];
    await expect(jwtVerify(await token(b.privateKey, 'b'), keys.getKey)).resolves.toBeDefined();
    expect(keys.fetchCount).toBe(2);

    const cooling = keySet({ refetchCooldownMs: 60_000 });
    await jwtVerify(await token(a.privateKey, 'a'), cooling.getKey);
    const forged = await token(b.privateKey, 'made-up');
    await expect(jwtVerify(forged, cooling.getKey)).rejects.toThrow(InvalidAccessTokenError);
    await expect(jwtVerify(forged, cooling.getKey)).rejects.toThrow('unknown signing key');
    expect(cooling.fetchCount).toBe(1);
  });

  it('keeps verifying with the cached keys while the issuer is down, refreshing in the background', async () => {
    const a = await keyPair('a');
    published = [a.jwk];
    const keys = keySet({ maxAgeMs: 0 });
    const jwt = await token(a.privateKey, 'a');
    await jwtVerify(jwt, keys.getKey);
    server.routes.set('/jwks', () => ({ status: 503 }));
    await new Promise((resolve) => setTimeout(resolve, 5));
    await expect(jwtVerify(jwt, keys.getKey)).resolves.toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(keys.fetchCount).toBe(2);
    await expect(jwtVerify(jwt, keys.getKey)).resolves.toBeDefined();
  });

  it('is unavailable (not invalid) when no keys could ever be fetched, and does not retry at once', async () => {
    server.routes.set('/jwks', () => ({ status: 500 }));
    const keys = keySet();
    const a = await keyPair('a');
    const jwt = await token(a.privateKey, 'a');
    await expect(jwtVerify(jwt, keys.getKey)).rejects.toBeInstanceOf(
      AccessTokenVerifierUnavailableError,
    );
    await expect(jwtVerify(jwt, keys.getKey)).rejects.toThrow('signing keys not available yet');
    expect(keys.fetchCount).toBe(1);
  });
});
