import { UpstreamTokenSealing } from './upstream-token-sealing';
import type { UpstreamTokenSet } from './upstream-provider';

const OLD = 'o'.repeat(40);
const NEW = 'n'.repeat(40);
const TOKENS: UpstreamTokenSet = {
  accessToken: 'upstream-access-token-value',
  refreshToken: 'upstream-refresh-token-value',
  expiresAt: 1_900_000_000,
  scope: 'openid email',
};

describe('UpstreamTokenSealing', () => {
  it('seals into a JWE that holds none of the tokens, and opens it again', async () => {
    const sealing = new UpstreamTokenSealing([NEW]);
    const sealed = await sealing.seal(TOKENS);
    expect(sealed.split('.')).toHaveLength(5);
    expect(sealed).not.toContain(TOKENS.accessToken);
    expect(Buffer.from(sealed.split('.')[3], 'base64url').toString()).not.toContain('upstream');
    await expect(sealing.open(sealed)).resolves.toEqual(TOKENS);
  });

  it('rotates: the first key seals, older keys still open, and their seals are stale', async () => {
    const before = await new UpstreamTokenSealing([OLD]).seal(TOKENS);
    const rotated = new UpstreamTokenSealing([NEW, OLD]);
    await expect(rotated.open(before)).resolves.toEqual(TOKENS);
    expect(rotated.isStale(before)).toBe(true);
    const after = await rotated.seal(TOKENS);
    expect(rotated.isStale(after)).toBe(false);
  });

  it('refuses a seal of a key no longer configured, and an altered one', async () => {
    const before = await new UpstreamTokenSealing([OLD]).seal(TOKENS);
    await expect(new UpstreamTokenSealing([NEW]).open(before)).rejects.toThrow(
      /no longer configured/,
    );
    const parts = before.split('.');
    const ciphertext = Buffer.from(parts[3], 'base64url');
    ciphertext[0] ^= 1;
    parts[3] = ciphertext.toString('base64url');
    await expect(new UpstreamTokenSealing([OLD]).open(parts.join('.'))).rejects.toThrow();
  });

  it('names keys by a hash, never by the key itself', async () => {
    const sealed = await new UpstreamTokenSealing([NEW]).seal(TOKENS);
    const header = JSON.parse(Buffer.from(sealed.split('.')[0], 'base64url').toString()) as {
      kid: string;
      alg: string;
      enc: string;
    };
    expect(header).toMatchObject({ alg: 'dir', enc: 'A256GCM' });
    expect(header.kid).not.toContain('nnnn');
  });
});
