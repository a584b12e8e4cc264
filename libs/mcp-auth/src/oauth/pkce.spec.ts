import { createHash } from 'node:crypto';
import {
  computeS256Challenge,
  isValidCodeChallenge,
  isValidCodeVerifier,
  verifyPkceS256,
} from './pkce';

// RFC 7636 Appendix B test vector.
const RFC_VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const RFC_CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

describe('PKCE (AS-13, RFC 7636)', () => {
  describe('isValidCodeVerifier (§4.1)', () => {
    it.each([
      ['the RFC example', RFC_VERIFIER],
      ['43 characters', 'a'.repeat(43)],
      ['128 characters', 'Z'.repeat(128)],
      ['every unreserved character', `${'Az09'.repeat(10)}-._~`],
    ])('accepts %s', (_name, verifier) => {
      expect(isValidCodeVerifier(verifier)).toBe(true);
    });

    it.each([
      ['42 characters', 'a'.repeat(42)],
      ['129 characters', 'a'.repeat(129)],
      ['empty', ''],
      ['a space', `${'a'.repeat(42)} `],
      ['a plus', `${'a'.repeat(42)}+`],
      ['a slash', `${'a'.repeat(42)}/`],
      ['base64 padding', `${'a'.repeat(42)}=`],
      ['a percent escape', `${'a'.repeat(40)}%41`],
      ['non-ASCII', `${'a'.repeat(42)}é`],
      ['a newline', `${'a'.repeat(43)}\n`],
      ['a NUL', `${'a'.repeat(42)}\u0000`],
    ])('refuses %s', (_name, verifier) => {
      expect(isValidCodeVerifier(verifier)).toBe(false);
    });

    it.each([undefined, null, 43, ['a'.repeat(43)], { length: 43 }])(
      'refuses the non-string %p',
      (value) => {
        expect(isValidCodeVerifier(value)).toBe(false);
      },
    );
  });

  describe('isValidCodeChallenge (S256)', () => {
    it('accepts the RFC example and a fresh challenge', () => {
      expect(isValidCodeChallenge(RFC_CHALLENGE)).toBe(true);
      expect(isValidCodeChallenge(computeS256Challenge('x'.repeat(64)))).toBe(true);
    });

    it.each([
      ['42 characters', RFC_CHALLENGE.slice(0, 42)],
      ['44 characters', `${RFC_CHALLENGE}A`],
      ['padding', `${RFC_CHALLENGE}=`],
      ['standard base64 "+"', `+${RFC_CHALLENGE.slice(1)}`],
      ['standard base64 "/"', `/${RFC_CHALLENGE.slice(1)}`],
      ['a plain verifier used as challenge (method "plain")', 'a'.repeat(64)],
      ['a "." (not base64url)', `.${RFC_CHALLENGE.slice(1)}`],
      ['non-zero trailing bits', `${RFC_CHALLENGE.slice(0, 42)}N`],
      ['empty', ''],
    ])('refuses %s', (_name, challenge) => {
      expect(isValidCodeChallenge(challenge)).toBe(false);
    });

    it('refuses non-strings', () => {
      expect(isValidCodeChallenge(undefined)).toBe(false);
      expect(isValidCodeChallenge(Buffer.alloc(32))).toBe(false);
    });
  });

  describe('computeS256Challenge (§4.2)', () => {
    it('matches the RFC 7636 Appendix B vector', () => {
      expect(computeS256Challenge(RFC_VERIFIER)).toBe(RFC_CHALLENGE);
    });

    it('is unpadded base64url of SHA-256', () => {
      const verifier = 'M25iVXpKU3puUjFaYWg3T1NDTDQtcW1ROUY5YXlwalNoc0hhakxifmZHag';
      const expected = createHash('sha256')
        .update(verifier)
        .digest('base64')
        .replace(/\+/g, '-')
        .replace(/\//g, '_')
        .replace(/=+$/, '');
      expect(computeS256Challenge(verifier)).toBe(expected);
      expect(computeS256Challenge(verifier)).toHaveLength(43);
    });
  });

  describe('verifyPkceS256 (§4.6)', () => {
    it('accepts the matching verifier', () => {
      expect(verifyPkceS256(RFC_VERIFIER, RFC_CHALLENGE)).toBe(true);
    });

    it('refuses a different verifier', () => {
      expect(verifyPkceS256(`${RFC_VERIFIER.slice(0, -1)}l`, RFC_CHALLENGE)).toBe(false);
    });

    it('refuses the challenge presented as the verifier (plain downgrade)', () => {
      expect(verifyPkceS256(RFC_CHALLENGE, RFC_CHALLENGE)).toBe(false);
    });

    it('refuses a plain-method pair where verifier equals challenge', () => {
      const plain = 'p'.repeat(50);
      expect(verifyPkceS256(plain, plain)).toBe(false);
    });

    it('returns false, without throwing, on a challenge of another length', () => {
      expect(verifyPkceS256(RFC_VERIFIER, RFC_CHALLENGE.slice(0, 42))).toBe(false);
      expect(verifyPkceS256(RFC_VERIFIER, `${RFC_CHALLENGE}==`)).toBe(false);
      expect(verifyPkceS256(RFC_VERIFIER, '')).toBe(false);
    });

    it('returns false for a multi-byte challenge of the same character length', () => {
      expect(verifyPkceS256(RFC_VERIFIER, `${RFC_CHALLENGE.slice(0, 42)}é`)).toBe(false);
    });

    it('refuses an invalid verifier even if its hash matches (too short)', () => {
      const short = 'a'.repeat(42);
      expect(verifyPkceS256(short, computeS256Challenge(short))).toBe(false);
    });

    it('refuses missing values (AS-13: no verifier, or no stored challenge)', () => {
      expect(verifyPkceS256(undefined, RFC_CHALLENGE)).toBe(false);
      expect(verifyPkceS256(RFC_VERIFIER, undefined)).toBe(false);
      expect(verifyPkceS256(RFC_VERIFIER, null)).toBe(false);
    });
  });
});
