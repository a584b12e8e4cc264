import type { Logger } from '@nestjs/common';
import { hkdfSync } from 'node:crypto';
import { CompactEncrypt, calculateJwkThumbprint, compactDecrypt, type JWK } from 'jose';
import type { SigningKeyRecord } from '../storage/signing-key-store.interface';

const MIN_ENCRYPTION_SECRET_LENGTH = 32;
// Fixed HKDF salt and info: they separate this use of the secret from any other, the
// secret itself supplies the entropy (RFC 5869 §3.1).
const HKDF_SALT = 'mcp-auth:signing-key-encryption';
const HKDF_INFO = 'mcp-auth:private-jwk:A256GCM';

/**
 * Seals private JWKs for the store and opens them again: a compact JWE (`dir`, A256GCM) keyed
 * from `encryptionSecret`, or plain JWK JSON when no secret is configured.
 */
export class SigningKeySealing {
  private readonly encryptionKey: Uint8Array | undefined;
  private readonly plaintextWarned = new Set<string>();

  constructor(
    encryptionSecret: string | undefined,
    private readonly logger: Logger,
  ) {
    if (encryptionSecret !== undefined) {
      if (encryptionSecret.length < MIN_ENCRYPTION_SECRET_LENGTH) {
        throw new Error(
          `mcp-auth: the signing-key encryptionSecret must be at least ${MIN_ENCRYPTION_SECRET_LENGTH} characters of random data`,
        );
      }
      this.encryptionKey = new Uint8Array(
        hkdfSync('sha256', encryptionSecret, HKDF_SALT, HKDF_INFO, 32),
      );
    }
  }

  async seal(kid: string, jwk: JWK): Promise<string> {
    const json = JSON.stringify(jwk);
    if (!this.encryptionKey) return json;
    return new CompactEncrypt(new TextEncoder().encode(json))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid, cty: 'jwk+json' })
      .encrypt(this.encryptionKey);
  }

  /** The row's private JWK, checked to belong to the row's published public key. */
  async open(record: SigningKeyRecord): Promise<JWK> {
    let json: string;
    if (isCompactJwe(record.privateKey)) {
      json = await this.decrypt(record);
    } else {
      json = record.privateKey;
      if (this.encryptionKey && !this.plaintextWarned.has(record.kid)) {
        this.plaintextWarned.add(record.kid);
        this.logger.warn(
          `Signing key ${record.kid} was stored unencrypted (before encryptionSecret was set); rotate to replace it`,
        );
      }
    }

    const privateJwk = parsePrivateJwk(json);
    if (!privateJwk) {
      throw new Error(`mcp-auth: signing key ${record.kid} has a malformed private JWK`);
    }
    // The private key must belong to the published public key, or every token would fail.
    const [privateThumbprint, publicThumbprint] = await Promise.all([
      calculateJwkThumbprint(privateJwk, 'sha256'),
      calculateJwkThumbprint(record.publicJwk as JWK, 'sha256'),
    ]);
    if (privateThumbprint !== publicThumbprint) {
      throw new Error(
        `mcp-auth: signing key ${record.kid}: private and public halves do not match`,
      );
    }
    return privateJwk;
  }

  private async decrypt(record: SigningKeyRecord): Promise<string> {
    if (!this.encryptionKey) {
      throw new Error(
        `mcp-auth: signing key ${record.kid} is encrypted but no encryptionSecret is configured`,
      );
    }
    try {
      const { plaintext, protectedHeader } = await compactDecrypt(
        record.privateKey,
        this.encryptionKey,
        {
          keyManagementAlgorithms: ['dir'],
          contentEncryptionAlgorithms: ['A256GCM'],
        },
      );
      // Binds the ciphertext to its row: a JWE copied onto another kid is refused.
      if (protectedHeader.kid !== record.kid) throw new Error('kid mismatch');
      return new TextDecoder().decode(plaintext);
    } catch {
      throw new Error(
        `mcp-auth: cannot decrypt signing key ${record.kid}; is the encryptionSecret the one it was stored with?`,
      );
    }
  }
}

function parsePrivateJwk(json: string): JWK | undefined {
  try {
    const parsed: unknown = JSON.parse(json);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    const jwk = parsed as JWK;
    return typeof jwk.kty === 'string' && typeof jwk.d === 'string' ? jwk : undefined;
  } catch {
    return undefined;
  }
}

function isCompactJwe(value: string): boolean {
  return !value.trimStart().startsWith('{') && value.split('.').length === 5;
}
