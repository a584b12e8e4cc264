import { createHash } from 'node:crypto';
import { randomToken } from './random-token';
import { constantTimeEqual, hashSecret, verifySecret } from './secret-hash';

describe('secret-hash', () => {
  it('hashSecret is SHA-256 in base64url (43 chars, no padding)', () => {
    const expected = createHash('sha256').update('abc').digest('base64url');
    expect(hashSecret('abc')).toBe(expected);
    expect(hashSecret('abc')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('hashSecret is deterministic and distinguishes inputs', () => {
    const secret = randomToken();
    expect(hashSecret(secret)).toBe(hashSecret(secret));
    expect(hashSecret(secret)).not.toBe(hashSecret(`${secret}x`));
  });

  it('constantTimeEqual compares content, including strings of different lengths', () => {
    expect(constantTimeEqual('same', 'same')).toBe(true);
    expect(constantTimeEqual('same', 'Same')).toBe(false);
    expect(constantTimeEqual('short', 'a much longer string')).toBe(false);
    expect(constantTimeEqual('', '')).toBe(true);
    expect(constantTimeEqual('', 'x')).toBe(false);
  });

  it('verifySecret accepts the right secret against its stored hash only', () => {
    const secret = randomToken();
    const stored = hashSecret(secret);
    expect(verifySecret(secret, stored)).toBe(true);
    expect(verifySecret(randomToken(), stored)).toBe(false);
    // The stored hash itself is not a valid credential.
    expect(verifySecret(stored, stored)).toBe(false);
  });
});
