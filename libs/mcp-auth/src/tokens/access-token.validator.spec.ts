import { Logger } from '@nestjs/common';
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { SignJWT, base64url, decodeJwt, generateKeyPair, type JWTPayload } from 'jose';
import { InvalidAccessTokenError, AccessTokenValidator } from './access-token.validator';
import { AccessTokenIssuer } from './access-token.issuer';
import { InMemorySigningKeyStore } from '../../../../test/support/in-memory-signing-key-store';
import { SigningKeyService } from './signing-key.service';

const ISSUER = 'https://mcp.example.com';
const RESOURCE = 'https://mcp.example.com/mcp';

const request = {
  subject: 'user-1',
  clientId: 'client-1',
  audience: RESOURCE,
  scopes: ['mcp:tools'],
  grantId: 'grant-1',
};

function encodeSegment(value: object): string {
  return base64url.encode(JSON.stringify(value));
}

describe('AccessTokenValidator', () => {
  let keys: SigningKeyService;
  let issuer: AccessTokenIssuer;
  let verifier: AccessTokenValidator;

  beforeAll(() => Logger.overrideLogger(false));

  beforeEach(async () => {
    keys = new SigningKeyService(new InMemorySigningKeyStore(), {
      algorithm: 'ES256',
      verifyOverlap: 600,
    });
    await keys.init();
    issuer = new AccessTokenIssuer(keys, { issuer: ISSUER, accessTokenTtl: 600 });
    verifier = new AccessTokenValidator(keys, { issuer: ISSUER, audiences: [RESOURCE] });
  });

  afterEach(() => jest.restoreAllMocks());

  /** A token signed by our current key, with any claims and header the test wants. */
  async function sign(
    claims: JWTPayload = {},
    header: Record<string, unknown> = {},
  ): Promise<string> {
    const { kid, alg, key } = keys.getSigningKey();
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      iss: ISSUER,
      sub: 'user-1',
      aud: RESOURCE,
      client_id: 'client-1',
      scope: 'mcp:tools',
      iat: now,
      exp: now + 600,
      jti: 'jti-1',
      ...claims,
    })
      .setProtectedHeader({ alg, kid, typ: 'at+jwt', ...header })
      .sign(key);
  }

  async function expectRejected(token: string, reason?: RegExp): Promise<InvalidAccessTokenError> {
    const error: unknown = await verifier.verify(token).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(InvalidAccessTokenError);
    const invalid = error as InvalidAccessTokenError;
    if (reason) expect(invalid.reason).toMatch(reason);
    // The reason and message are safe to log: no token material in them.
    for (const segment of [token, ...token.split('.')].filter((part) => part.length > 8)) {
      expect(invalid.message).not.toContain(segment);
    }
    return invalid;
  }

  it('accepts a token it issued and returns its claims (RS-6)', async () => {
    const { token, jti } = await issuer.issue(request);
    const claims = await verifier.verify(token);
    expect(claims).toMatchObject({
      iss: ISSUER,
      sub: 'user-1',
      aud: RESOURCE,
      client_id: 'client-1',
      scope: 'mcp:tools',
      scopes: ['mcp:tools'],
      jti,
      gid: 'grant-1',
    });
    expect(typeof claims.iat).toBe('number');
    expect(typeof claims.exp).toBe('number');
  });

  it('returns empty scopes when the token has no scope claim', async () => {
    const { token } = await issuer.issue({ ...request, scopes: [] });
    await expect(verifier.verify(token)).resolves.toMatchObject({ scope: '', scopes: [] });
  });

  it('RS-7: accepts upper-case scheme/host forms of the resource, not a different path case', async () => {
    await expect(
      verifier.verify(await sign({ aud: 'HTTPS://MCP.Example.COM/mcp' })),
    ).resolves.toBeDefined();
    await expectRejected(await sign({ aud: 'https://mcp.example.com/MCP' }), /audience/);
  });

  it('RS-7: ignores a default port and a trailing slash, like the AS does for resource (AS-15)', async () => {
    await expect(
      verifier.verify(await sign({ aud: 'https://mcp.example.com:443/mcp/' })),
    ).resolves.toBeDefined();
    await expectRejected(await sign({ aud: 'https://mcp.example.com:8443/mcp' }), /audience/);
    await expectRejected(await sign({ aud: 'https://mcp.example.com/mcp/x' }), /audience/);
    await expectRejected(await sign({ aud: 'https://mcp.example.com' }), /audience/);
  });

  it('RS-7: normalizes configured audiences too', async () => {
    const upper = new AccessTokenValidator(keys, {
      issuer: ISSUER,
      audiences: ['HTTPS://MCP.EXAMPLE.COM/mcp'],
    });
    await expect(upper.verify(await sign())).resolves.toBeDefined();
  });

  it('RS-7: accepts an aud array that names this resource', async () => {
    await expect(
      verifier.verify(await sign({ aud: ['https://other.example/mcp', RESOURCE] })),
    ).resolves.toBeDefined();
  });

  it('RS-6: rejects an expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRejected(await sign({ iat: now - 700, exp: now - 60 }), /expired/);
  });

  it('tolerates a few seconds of clock skew on exp', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expect(
      verifier.verify(await sign({ iat: now - 600, exp: now - 2 })),
    ).resolves.toBeDefined();
  });

  it('RS-6: rejects a token whose nbf is in the future', async () => {
    await expectRejected(await sign({ nbf: Math.floor(Date.now() / 1000) + 60 }), /nbf/);
  });

  it('RS-6: rejects a wrong issuer', async () => {
    await expectRejected(await sign({ iss: 'https://evil.example' }), /iss/);
  });

  it('RS-7 / RS-10: rejects a token for another resource', async () => {
    await expectRejected(await sign({ aud: 'https://other.example/mcp' }), /audience/);
  });

  it('rejects a token without the claims RFC 9068 requires', async () => {
    await expectRejected(await sign({ client_id: undefined }), /client_id/);
    await expectRejected(await sign({ jti: undefined }), /jti/);
  });

  it('RFC 9068 §4: rejects typ JWT (e.g. an ID token signed by the same key)', async () => {
    await expectRejected(await sign({}, { typ: 'JWT' }), /typ/);
  });

  it('rejects alg none', async () => {
    const now = Math.floor(Date.now() / 1000);
    const header = encodeSegment({ alg: 'none', typ: 'at+jwt', kid: keys.getSigningKey().kid });
    const payload = encodeSegment({
      iss: ISSUER,
      sub: 'user-1',
      aud: RESOURCE,
      client_id: 'c',
      iat: now,
      exp: now + 600,
      jti: 'j',
    });
    await expectRejected(`${header}.${payload}.`);
  });

  it('rejects HS256 keyed with the public key (algorithm confusion)', async () => {
    const jwk = keys.getJwks().keys[0];
    const pem = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' }).export({
      type: 'spki',
      format: 'pem',
    });
    const now = Math.floor(Date.now() / 1000);
    for (const secret of [pem.toString(), JSON.stringify(jwk)]) {
      const token = await new SignJWT({ client_id: 'client-1', jti: 'x' })
        .setProtectedHeader({ alg: 'HS256', kid: jwk.kid, typ: 'at+jwt' })
        .setIssuer(ISSUER)
        .setSubject('user-1')
        .setAudience(RESOURCE)
        .setIssuedAt(now)
        .setExpirationTime(now + 600)
        .sign(new TextEncoder().encode(secret));
      await expectRejected(token, /algorithm not allowed/);
    }
  });

  it('rejects a tampered payload', async () => {
    const [header, , signature] = (await sign()).split('.');
    const forged = encodeSegment({ ...decodeJwt(await sign()), sub: 'admin' });
    await expectRejected(`${header}.${forged}.${signature}`, /signature/);
  });

  it('rejects an unknown kid after at most one reload per interval', async () => {
    const refresh = jest.spyOn(keys, 'refresh');
    await expectRejected(await sign({}, { kid: 'unknown-1' }), /unknown signing key/);
    await expectRejected(await sign({}, { kid: 'unknown-2' }), /unknown signing key/);
    expect(refresh).toHaveBeenCalledTimes(1);
  });

  it('shares one reload between concurrent unknown-kid tokens', async () => {
    const refresh = jest.spyOn(keys, 'refresh');
    const tokens = await Promise.all([1, 2, 3].map((n) => sign({}, { kid: `unknown-${n}` })));
    await Promise.all(tokens.map((token) => expectRejected(token, /unknown signing key/)));
    expect(refresh).toHaveBeenCalledTimes(1);
  });

  it('still answers InvalidAccessTokenError when the key reload fails', async () => {
    jest.spyOn(keys, 'refresh').mockRejectedValue(new Error('database down'));
    await expectRejected(await sign({}, { kid: 'unknown' }), /unknown signing key/);
    // Known keys keep verifying from memory.
    await expect(verifier.verify(await sign())).resolves.toBeDefined();
  });

  it('rejects a token without kid', async () => {
    await expectRejected(await sign({}, { kid: undefined }), /kid/);
  });

  it('rejects a token signed by another key pair under our kid', async () => {
    const attacker = await generateKeyPair('ES256');
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ client_id: 'client-1', jti: 'x' })
      .setProtectedHeader({ alg: 'ES256', kid: keys.getSigningKey().kid, typ: 'at+jwt' })
      .setIssuer(ISSUER)
      .setSubject('user-1')
      .setAudience(RESOURCE)
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(attacker.privateKey);
    await expectRejected(token, /signature/);
  });

  it('rejects garbage and oversized input', async () => {
    await expectRejected('not-a-jwt', /malformed/);
    await expectRejected('', /malformed/);
    await expectRejected('a'.repeat(10_000), /malformed/);
  });
  describe('remembering verified tokens', () => {
    it('answers a repeated token from memory: same claims, a fresh copy each time', async () => {
      const token = await sign();
      const first = await verifier.verify(token);
      const jose = jest.spyOn(keys, 'getVerificationKey');
      const second = await verifier.verify(token);
      expect(second).toEqual(first);
      expect(second).not.toBe(first);
      // Only the "is the key still published" check, no signature verification.
      expect(jose).toHaveBeenCalledTimes(1);
      second.scopes.push('mcp:admin');
      expect((await verifier.verify(token)).scopes).toEqual(['mcp:tools']);
      expect(verifier.verifiedCacheEntries).toBe(1);
    });

    it('shares one frozen claims object through verifyShared and peekVerified', async () => {
      const token = await sign();
      expect(verifier.peekVerified(token)).toBeUndefined();
      const shared = await verifier.verifyShared(token);
      expect(Object.isFrozen(shared)).toBe(true);
      expect(Object.isFrozen(shared.scopes)).toBe(true);
      expect(verifier.peekVerified(token)).toBe(shared);
      expect(await verifier.verifyShared(token)).toBe(shared);
    });

    it('refuses a remembered token once it expires', async () => {
      const now = Math.floor(Date.now() / 1000);
      const token = await sign({ exp: now + 30 });
      await verifier.verify(token);
      jest.spyOn(Date, 'now').mockReturnValue((now + 60) * 1000);
      expect(verifier.peekVerified(token)).toBeUndefined();
      jest.restoreAllMocks();
      // jose's own check (real clock here) would still pass; the entry is gone, so a fresh
      // verification runs.
      expect(verifier.verifiedCacheEntries).toBe(0);
    });

    it('forgets a token when the key that verified it is no longer published', async () => {
      const token = await sign();
      await verifier.verify(token);
      jest.spyOn(keys, 'getVerificationKey').mockReturnValue(undefined);
      jest.spyOn(keys, 'refresh').mockResolvedValue(undefined);
      await expectRejected(token, /unknown signing key/);
      expect(verifier.verifiedCacheEntries).toBe(0);
    });

    it('never remembers a refused token, and stays within its size', async () => {
      const small = new AccessTokenValidator(keys, {
        issuer: ISSUER,
        audiences: [RESOURCE],
        verifiedTokenCacheSize: 2,
      });
      await expect(small.verify(await sign({ iss: 'https://other.example' }))).rejects.toThrow(
        InvalidAccessTokenError,
      );
      expect(small.verifiedCacheEntries).toBe(0);
      for (const jti of ['a', 'b', 'c']) await small.verify(await sign({ jti }));
      expect(small.verifiedCacheEntries).toBe(2);
    });

    it('can be turned off', async () => {
      const uncached = new AccessTokenValidator(keys, {
        issuer: ISSUER,
        audiences: [RESOURCE],
        verifiedTokenCacheSize: 0,
      });
      await uncached.verify(await sign());
      expect(uncached.verifiedCacheEntries).toBe(0);
    });
  });
});
