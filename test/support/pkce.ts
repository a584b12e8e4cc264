import { createHash } from 'node:crypto';

/**
 * RFC 7636 §4.2 S256 challenge, `BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))`, computed
 * here with node:crypto rather than by the library under test.
 */
export function computeS256Challenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}
