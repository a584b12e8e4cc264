import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';

export interface SigningKeySet {
  keys: Record<string, unknown>[];
}

/**
 * A fresh RS256 signing key (RS256 is what every relying party accepts by default). It lives
 * as long as the process, like every token of this in-memory provider.
 */
export function generateSigningKeys(): SigningKeySet {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  // RFC 7638-style thumbprint of the public part, so the kid changes with the key.
  const kid = createHash('sha256')
    .update(JSON.stringify({ e: jwk.e, kty: jwk.kty, n: jwk.n }))
    .digest('base64url')
    .slice(0, 16);
  return { keys: [{ ...jwk, kid, alg: 'RS256', use: 'sig' }] };
}

/** Random keys for oidc-provider's signed cookies. */
export function generateCookieKeys(): string[] {
  return [randomBytes(32).toString('base64url')];
}
