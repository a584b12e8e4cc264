import { randomId, randomToken } from './random-token';

describe('random-token', () => {
  it('randomToken defaults to 32 bytes of base64url (43 chars)', () => {
    const token = randomToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
  });

  it('randomToken honours the byte count and refuses weak sizes', () => {
    expect(Buffer.from(randomToken(48), 'base64url')).toHaveLength(48);
    expect(() => randomToken(8)).toThrow(RangeError);
    expect(() => randomToken(16.5)).toThrow(RangeError);
  });

  it('randomId is 16 bytes of base64url', () => {
    expect(randomId()).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('does not repeat', () => {
    const values = new Set(Array.from({ length: 1000 }, () => randomToken()));
    expect(values.size).toBe(1000);
  });
});
