import { generateKeyPair } from 'jose';
import type { AccessTokenClaims } from './access-token-claims.interface';
import { VerifiedTokenCache, type VerifiedEntry } from './verified-token.cache';

function claims(jti: string): AccessTokenClaims {
  return {
    iss: 'https://mcp.example.com',
    sub: 'user-1',
    aud: 'https://mcp.example.com/mcp',
    client_id: 'client-1',
    scope: '',
    scopes: [],
    iat: 0,
    exp: 100,
    jti,
  };
}

describe('VerifiedTokenCache', () => {
  it('answers a remembered token while it is still valid and drops it after', async () => {
    const { publicKey } = await generateKeyPair('ES256');
    let valid = true;
    const seen: VerifiedEntry[] = [];
    const cache = new VerifiedTokenCache(10, (entry) => {
      seen.push(entry);
      return valid;
    });
    const remembered = claims('a');
    cache.remember('token-a', remembered, 'kid-1', publicKey);

    expect(cache.get('token-a')).toBe(remembered);
    expect(seen[0]).toMatchObject({ kid: 'kid-1', key: publicKey, exp: 100, nbf: undefined });
    valid = false;
    expect(cache.get('token-a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('drops the oldest entry when full and remembers nothing with size 0', async () => {
    const { publicKey } = await generateKeyPair('ES256');
    const cache = new VerifiedTokenCache(2, () => true);
    for (const jti of ['a', 'b', 'c']) cache.remember(`token-${jti}`, claims(jti), 'k', publicKey);
    expect(cache.size).toBe(2);
    expect(cache.get('token-a')).toBeUndefined();
    expect(cache.get('token-c')?.jti).toBe('c');

    const disabled = new VerifiedTokenCache(0, () => true);
    disabled.remember('token-a', claims('a'), 'k', publicKey);
    expect(disabled.size).toBe(0);
  });
});
