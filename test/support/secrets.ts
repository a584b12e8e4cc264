import { createHash, randomBytes } from 'node:crypto';

/**
 * What the stores keep in place of a secret (authorization codes, refresh tokens, client
 * secrets, interaction ids): SHA-256 of its UTF-8 bytes, base64url without padding. Computed
 * here with node:crypto, so seeding rows and reading them back does not rely on the library.
 */
export function hashSecret(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('base64url');
}

/** A random value of `bytes` bytes, base64url without padding (codes, secrets, verifiers). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** A random client id (128 bits, base64url). */
export function randomId(): string {
  return randomToken(16);
}
