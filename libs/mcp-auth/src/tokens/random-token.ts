import { randomBytes } from 'node:crypto';

/** Fewer bytes than this would make codes and refresh tokens guessable. */
const MIN_BYTES = 16;

/**
 * An unguessable random value, base64url without padding (URL and header safe).
 * The default 32 bytes (256 bits) is what codes, refresh tokens and secrets use.
 */
export function randomToken(bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < MIN_BYTES) {
    throw new RangeError(`randomToken() needs an integer of at least ${MIN_BYTES} bytes`);
  }
  return randomBytes(bytes).toString('base64url');
}

/** A client id: public, so 128 bits is plenty to make collisions and guessing irrelevant. */
export function randomId(): string {
  return randomToken(16);
}
