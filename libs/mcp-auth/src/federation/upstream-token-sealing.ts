import { createHash, hkdfSync } from 'node:crypto';
import { CompactEncrypt, compactDecrypt, decodeProtectedHeader } from 'jose';
import type { UpstreamTokenSet } from './upstream-provider';

// Fixed HKDF salt and info separate this use of a secret from any other (RFC 5869 §3.1).
const HKDF_SALT = 'mcp-auth:upstream-token-encryption';
const HKDF_INFO = 'mcp-auth:upstream-tokens:A256GCM';

interface SealingKey {
  kid: string;
  key: Uint8Array;
}

/**
 * Encrypts kept upstream token sets (compact JWE, `dir` + A256GCM) with the first configured
 * secret and decrypts with whichever secret sealed them, named by `kid` (a hash of the key,
 * never the key). Rotation: put the new secret first, keep the old ones until unused.
 */
export class UpstreamTokenSealing {
  private readonly keys: SealingKey[];

  constructor(secrets: readonly string[]) {
    if (secrets.length === 0) throw new Error('upstream token sealing needs a secret');
    this.keys = secrets.map((secret) => {
      const key = new Uint8Array(hkdfSync('sha256', secret, HKDF_SALT, HKDF_INFO, 32));
      const kid = createHash('sha256').update(key).digest('base64url').slice(0, 16);
      return { kid, key };
    });
  }

  async seal(tokens: UpstreamTokenSet): Promise<string> {
    const { kid, key } = this.keys[0];
    return new CompactEncrypt(new TextEncoder().encode(JSON.stringify(tokens)))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid })
      .encrypt(key);
  }

  /** @throws Error when no configured secret sealed it, or it was altered */
  async open(sealed: string): Promise<UpstreamTokenSet> {
    const { kid } = decodeProtectedHeader(sealed);
    const match = this.keys.find((candidate) => candidate.kid === kid);
    if (!match) throw new Error('the upstream tokens were sealed with a key no longer configured');
    const { plaintext } = await compactDecrypt(sealed, match.key, {
      keyManagementAlgorithms: ['dir'],
      contentEncryptionAlgorithms: ['A256GCM'],
    });
    return JSON.parse(new TextDecoder().decode(plaintext)) as UpstreamTokenSet;
  }

  /** Whether the value was sealed with an older key and should be sealed again. */
  isStale(sealed: string): boolean {
    return decodeProtectedHeader(sealed).kid !== this.keys[0].kid;
  }
}
