import type { CryptoKey } from 'jose';
import { SUPPORTED_SIGNING_ALGORITHMS, type SigningAlgorithm } from '../oauth/signing-algorithms';

export { SUPPORTED_SIGNING_ALGORITHMS };

export interface SigningKeyConfig {
  /** JWS algorithm of new keys; only keys of this algorithm sign. */
  algorithm: SigningAlgorithm;
  /** Seconds after which the signing key is replaced automatically. 0 or unset: never. */
  rotationInterval?: number;
  /**
   * Seconds a retired key stays published and keeps verifying. Must be at least the longest
   * access-token lifetime, or tokens signed just before a rotation would stop verifying.
   */
  verifyOverlap: number;
  /**
   * Secret (at least 32 characters, e.g. `openssl rand -base64 32`) that encrypts private keys
   * at rest. Unset: private keys are stored as plain JWK JSON.
   */
  encryptionSecret?: string;
  /**
   * Seconds a loaded key set is trusted before `refreshIfStale()` reloads it from the store,
   * i.e. how long another instance's rotation may take to reach this one. Default 60.
   */
  refreshInterval?: number;
  /**
   * Told of every key this service creates, after the key set was reloaded (e.g. for an audit
   * trail). Must not throw; an error is logged and ignored.
   */
  onKeyCreated?: (change: SigningKeyChange) => void;
}

/** A signing key the service created, and why. */
export interface SigningKeyChange {
  kid: string;
  algorithm: SigningAlgorithm;
  /**
   * `initial`: no key could sign (first boot, or a new `algorithm`); `schedule`:
   * `rotationInterval` elapsed; `manual`: `rotate()` was called.
   */
  trigger: 'initial' | 'schedule' | 'manual';
  /** The keys it retired (they keep verifying for `verifyOverlap`); none for `initial`. */
  retiredKids: string[];
}

/** The key that signs new tokens. */
export interface ActiveSigningKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly key: CryptoKey;
}

export function isSupportedAlgorithm(alg: string): alg is SigningAlgorithm {
  return (SUPPORTED_SIGNING_ALGORITHMS as readonly string[]).includes(alg);
}
