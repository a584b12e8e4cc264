import { Logger } from '@nestjs/common';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import type { SigningAlgorithm } from './token-options';
import { AccessTokenIssuer } from './access-token.issuer';
import { InMemorySigningKeyStore } from '../../../../test/support/in-memory-signing-key-store';
import { SigningKeyService } from './signing-key.service';

const ISSUER = 'https://mcp.example.com';
const RESOURCE = 'https://mcp.example.com/mcp';

async function setup(algorithm: SigningAlgorithm = 'ES256') {
  const keys = new SigningKeyService(new InMemorySigningKeyStore(), {
    algorithm,
    verifyOverlap: 600,
  });
  await keys.init();
  return { keys, issuer: new AccessTokenIssuer(keys, { issuer: ISSUER, accessTokenTtl: 600 }) };
}

const request = {
  subject: 'user-1',
  clientId: 'client-1',
  audience: RESOURCE,
  scopes: ['mcp:tools', 'mcp:resources'],
  grantId: 'grant-1',
};

describe('AccessTokenIssuer', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('issues an RFC 9068 JWT: typ at+jwt, alg, kid and the expected claims', async () => {
    const { keys, issuer } = await setup();
    const before = Math.floor(Date.now() / 1000);
    const issued = await issuer.issue(request);

    expect(decodeProtectedHeader(issued.token)).toEqual({
      alg: 'ES256',
      kid: keys.getSigningKey().kid,
      typ: 'at+jwt',
    });
    const claims = decodeJwt(issued.token);
    expect(claims).toEqual({
      iss: ISSUER,
      sub: 'user-1',
      aud: RESOURCE,
      client_id: 'client-1',
      scope: 'mcp:tools mcp:resources',
      gid: 'grant-1',
      jti: issued.jti,
      iat: expect.any(Number),
      exp: expect.any(Number),
    });
    expect(claims.iat).toBeGreaterThanOrEqual(before);
    expect(claims.exp! - claims.iat!).toBe(600);
    expect(issued.expiresIn).toBe(600);
    expect(issued.expiresAt.getTime()).toBe(claims.exp! * 1000);
    expect(issued.jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('extra claims are added but cannot replace the registered and core ones', async () => {
    const { issuer } = await setup();
    const { token } = await issuer.issue({
      ...request,
      extraClaims: { gty: 'client_credentials', iss: 'https://evil.example', client_id: 'x' },
    });
    expect(decodeJwt(token)).toMatchObject({
      gty: 'client_credentials',
      iss: ISSUER,
      client_id: 'client-1',
    });
  });

  it('gives every token its own jti', async () => {
    const { issuer } = await setup();
    const [a, b] = await Promise.all([issuer.issue(request), issuer.issue(request)]);
    expect(a.jti).not.toBe(b.jti);
  });

  it('omits scope when none was granted', async () => {
    const { issuer } = await setup();
    const { token } = await issuer.issue({ ...request, scopes: [] });
    expect(decodeJwt(token)).not.toHaveProperty('scope');
  });

  it('refuses scope tokens that would corrupt the space-separated claim', async () => {
    const { issuer } = await setup();
    await expect(issuer.issue({ ...request, scopes: ['a b'] })).rejects.toThrow(/invalid scope/);
    await expect(issuer.issue({ ...request, scopes: [''] })).rejects.toThrow(/invalid scope/);
  });

  it('refuses a non-positive lifetime', async () => {
    const { keys } = await setup();
    expect(() => new AccessTokenIssuer(keys, { issuer: ISSUER, accessTokenTtl: 0 })).toThrow(
      /accessTokenTtl/,
    );
  });

  // Any resource server (RS-6, RS-7) can verify with stock jose and the published JWKS.
  it.each<SigningAlgorithm>(['ES256', 'ES384', 'RS256', 'PS256', 'EdDSA'])(
    '%s tokens verify with plain jose against the JWKS',
    async (algorithm) => {
      const { keys, issuer } = await setup(algorithm);
      const { token } = await issuer.issue(request);
      const jwks = createLocalJWKSet(keys.getJwks());
      const { payload, protectedHeader } = await jwtVerify(token, jwks, {
        issuer: ISSUER,
        audience: RESOURCE,
        typ: 'at+jwt',
        algorithms: [algorithm],
      });
      expect(protectedHeader.alg).toBe(algorithm);
      expect(payload.sub).toBe('user-1');
    },
  );
});
