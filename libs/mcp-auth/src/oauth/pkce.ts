import { createHash, timingSafeEqual } from 'node:crypto';

// RFC 7636 §4.1: code-verifier = 43*128unreserved.
const CODE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
// RFC 7636 §4.2: an S256 challenge is BASE64URL(SHA256(...)): 32 bytes, 43 chars, no padding.
const S256_CHALLENGE = /^[A-Za-z0-9\-_]{43}$/;

/** AS-13: RFC 7636 §4.1 `code_verifier` syntax. */
export function isValidCodeVerifier(verifier: unknown): verifier is string {
  return typeof verifier === 'string' && CODE_VERIFIER.test(verifier);
}

/**
 * AS-13: whether `challenge` can be an S256 challenge. Also refuses non-canonical encodings
 * (stray bits in the last character), which no SHA-256 output produces.
 */
export function isValidCodeChallenge(challenge: unknown): challenge is string {
  if (typeof challenge !== 'string' || !S256_CHALLENGE.test(challenge)) {
    return false;
  }
  const bytes = Buffer.from(challenge, 'base64url');
  return bytes.length === 32 && bytes.toString('base64url') === challenge;
}

/** RFC 7636 §4.2: `BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))`. */
export function computeS256Challenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/**
 * AS-13: RFC 7636 §4.6 check of a `code_verifier` against the stored S256 challenge, in
 * constant time. A syntactically invalid verifier never matches.
 */
export function verifyPkceS256(verifier: unknown, challenge: unknown): boolean {
  if (!isValidCodeVerifier(verifier) || typeof challenge !== 'string') {
    return false;
  }
  const expected = Buffer.from(computeS256Challenge(verifier), 'utf8');
  const actual = Buffer.from(challenge, 'utf8');
  // timingSafeEqual throws on unequal lengths; the length of a challenge is not a secret.
  if (expected.length !== actual.length) {
    return false;
  }
  return timingSafeEqual(expected, actual);
}
