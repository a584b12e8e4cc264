import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Hash of a secret for storage and lookup: SHA-256, base64url.
 *
 * Used for authorization codes, refresh tokens, client secrets and interaction ids. All of
 * them are 256-bit random values we generated ourselves, so brute force is out of reach and
 * a fast, unsalted hash is the right tool: it allows an indexed lookup by hash, and a slow
 * password hash (bcrypt, scrypt) would only cost CPU on every request.
 * Never use this for human-chosen passwords.
 */
export function hashSecret(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('base64url');
}

/**
 * Compares two strings in constant time. Both sides are hashed first so the comparison
 * always runs over 32 bytes and neither the content nor the length of the expected value
 * leaks through timing.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const digestA = createHash('sha256').update(a, 'utf8').digest();
  const digestB = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(digestA, digestB);
}

/** Checks a presented secret against a stored `hashSecret()` value, in constant time. */
export function verifySecret(presented: string, storedHash: string): boolean {
  return constantTimeEqual(hashSecret(presented), storedHash);
}
