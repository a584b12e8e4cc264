import type { CryptoKey } from 'jose';
import type { AccessTokenClaims } from './access-token-claims.interface';

/** A token whose signature and claims passed, with what must still hold for it to pass again. */
export interface VerifiedEntry {
  /** Frozen: `verifyShared` answers it as is, `verify` a copy. */
  readonly claims: AccessTokenClaims;
  readonly kid: string;
  /** The key that verified the signature: the entry dies with it (rotation, retirement). */
  readonly key: CryptoKey;
  readonly exp: number;
  readonly nbf: number | undefined;
}

/**
 * Tokens that passed verification, by their exact string; bounded, oldest dropped first.
 * Only verified tokens are added, so nobody without a valid token can fill it.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, VerifiedEntry>();

  /** `stillValid` decides whether an entry may be answered now; a stale one is dropped. */
  constructor(
    private readonly maxSize: number,
    private readonly stillValid: (entry: VerifiedEntry) => boolean,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(token: string): Readonly<AccessTokenClaims> | undefined {
    const cached = this.entries.get(token);
    if (cached === undefined) return undefined;
    if (this.stillValid(cached)) return cached.claims;
    this.entries.delete(token);
    return undefined;
  }

  remember(token: string, claims: AccessTokenClaims, kid: string, key: CryptoKey): void {
    if (this.maxSize <= 0) return;
    if (this.entries.size >= this.maxSize) {
      // Oldest first: Map iteration follows insertion order.
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    const nbf = claims.nbf;
    this.entries.set(token, {
      claims,
      kid,
      key,
      exp: claims.exp,
      nbf: typeof nbf === 'number' ? nbf : undefined,
    });
  }
}
