import { Injectable, Logger } from '@nestjs/common';
import { hkdfSync } from 'node:crypto';
import {
  CompactEncrypt,
  calculateJwkThumbprint,
  compactDecrypt,
  exportJWK,
  generateKeyPair,
  importJWK,
  type CryptoKey,
  type JWK,
} from 'jose';
import type { SigningAlgorithm } from '../mcp-auth-options.interface';
import type { SigningKeyRecord, SigningKeyStore } from '../storage/signing-key-store.interface';

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
}

/** The key that signs new tokens. */
export interface ActiveSigningKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly key: CryptoKey;
}

export const SUPPORTED_SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = [
  'ES256',
  'ES384',
  'RS256',
  'PS256',
  'EdDSA',
];

/** The only JWK members that may be published, per key type. Everything else stays private. */
const PUBLIC_JWK_MEMBERS: Readonly<Record<string, readonly ('crv' | 'x' | 'y' | 'n' | 'e')[]>> = {
  EC: ['crv', 'x', 'y'],
  RSA: ['n', 'e'],
  OKP: ['crv', 'x'],
};

const DEFAULT_REFRESH_INTERVAL = 60;
const MIN_ENCRYPTION_SECRET_LENGTH = 32;
// Fixed HKDF salt and info: they separate this use of the secret from any other, the
// secret itself supplies the entropy (RFC 5869 §3.1).
const HKDF_SALT = 'mcp-auth:signing-key-encryption';
const HKDF_INFO = 'mcp-auth:private-jwk:A256GCM';

interface LoadedKeySet {
  signing: ActiveSigningKey | undefined;
  signingCreatedAt: number;
  verification: Map<string, CryptoKey>;
  jwks: { keys: JWK[] };
  loadedAt: number;
}

/**
 * Owns the authorization server's signing keys: creates the first one, rotates them, keeps
 * the imported keys in memory and builds the JWKS.
 *
 * The store is the source of truth, so every instance behind a load balancer converges on
 * the same key set; the in-memory copy is only a cache, reloaded by `refresh()` (on demand,
 * e.g. when a verifier meets an unknown `kid`) and by `refreshIfStale()`.
 *
 * Concurrency: two instances booting at once on an empty store may each create a key. That
 * is harmless: both keys are published, each instance signs with the newest one it sees,
 * and after their next refresh both sign with the same key. The same holds for two
 * instances rotating at the same moment.
 *
 * Changing `algorithm`: the next load creates a key of the new algorithm; older keys stay
 * published (verifiers accept only the configured algorithm, so their tokens are refused and
 * clients refresh). Once every instance runs the new setting, `rotate()` (or the next
 * automatic rotation) retires them.
 *
 * Callers that sign should call `refreshIfStale()` first (AccessTokenIssuer does), so a
 * rotation by another instance reaches this one within `refreshInterval`.
 *
 * Registered by the module with a factory provider, so its constructor takes plain values.
 */
@Injectable()
export class SigningKeyService {
  private readonly logger = new Logger(SigningKeyService.name);
  private readonly rotationIntervalMs: number;
  private readonly refreshIntervalMs: number;
  private readonly encryptionKey: Uint8Array | undefined;
  private keySet: LoadedKeySet | undefined;
  /** Serializes loads and rotations so an older load never overwrites a newer one. */
  private tail: Promise<unknown> = Promise.resolve();
  private pendingRefresh: Promise<void> | undefined;
  private readonly plaintextWarned = new Set<string>();

  constructor(
    private readonly store: SigningKeyStore,
    private readonly config: SigningKeyConfig,
  ) {
    if (!SUPPORTED_SIGNING_ALGORITHMS.includes(config.algorithm)) {
      throw new Error(
        `mcp-auth: unsupported signing algorithm "${String(config.algorithm)}"; use one of ${SUPPORTED_SIGNING_ALGORITHMS.join(', ')}`,
      );
    }
    assertSeconds('verifyOverlap', config.verifyOverlap, 0);
    assertSeconds('rotationInterval', config.rotationInterval ?? 0, 0);
    assertSeconds('refreshInterval', config.refreshInterval ?? DEFAULT_REFRESH_INTERVAL, 1);
    this.rotationIntervalMs = (config.rotationInterval ?? 0) * 1000;
    this.refreshIntervalMs = (config.refreshInterval ?? DEFAULT_REFRESH_INTERVAL) * 1000;

    if (config.encryptionSecret !== undefined) {
      if (config.encryptionSecret.length < MIN_ENCRYPTION_SECRET_LENGTH) {
        throw new Error(
          `mcp-auth: the signing-key encryptionSecret must be at least ${MIN_ENCRYPTION_SECRET_LENGTH} characters of random data`,
        );
      }
      this.encryptionKey = new Uint8Array(
        hkdfSync('sha256', config.encryptionSecret, HKDF_SALT, HKDF_INFO, 32),
      );
    }
  }

  /** JWS algorithm of the tokens this service signs; verifiers accept only this one. */
  get algorithm(): SigningAlgorithm {
    return this.config.algorithm;
  }

  /** Loads the keys, creating the first one if none can sign. Call once before serving. */
  async init(): Promise<void> {
    await this.refresh();
  }

  /**
   * Reloads the keys from the store (picking up keys created or retired by other instances),
   * creates a key if none can sign and rotates when `rotationInterval` has elapsed.
   * Concurrent calls share one reload.
   */
  refresh(): Promise<void> {
    this.pendingRefresh ??= this.serialize(async () => {
      await this.load();
      await this.maintain();
    }).finally(() => {
      this.pendingRefresh = undefined;
    });
    return this.pendingRefresh;
  }

  /** `refresh()` when the cached key set is older than `refreshInterval`. Cheap otherwise. */
  async refreshIfStale(): Promise<void> {
    if (!this.keySet || Date.now() - this.keySet.loadedAt >= this.refreshIntervalMs) {
      await this.refresh();
    }
  }

  /**
   * Creates a new signing key and retires the previous ones: they stop signing now and stay
   * published for `verifyOverlap` (plus `refreshInterval`, see `retireOlderKeys`).
   */
  rotate(): Promise<void> {
    return this.serialize(async () => {
      await this.rotateLocked();
    });
  }

  /** The key that signs new tokens. */
  getSigningKey(): ActiveSigningKey {
    const signing = this.keySet?.signing;
    if (!signing) {
      throw new Error('mcp-auth: SigningKeyService has no signing key; call init() first');
    }
    return signing;
  }

  /** The public key with this `kid`, if it is still published. */
  getVerificationKey(kid: string): CryptoKey | undefined {
    return this.keySet?.verification.get(kid);
  }

  /** Public halves of every key that can still verify a live token. Built once per load. */
  getJwks(): { keys: JWK[] } {
    if (!this.keySet) {
      throw new Error('mcp-auth: SigningKeyService is not initialized; call init() first');
    }
    return this.keySet.jwks;
  }

  private serialize<T>(task: () => Promise<T>): Promise<T> {
    const run = this.tail.then(task, task);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async maintain(): Promise<void> {
    const set = this.keySet;
    if (!set?.signing) {
      const created = await this.createKey();
      this.logger.log(`Created signing key ${created.kid} (${created.algorithm})`);
      await this.load();
      return;
    }
    if (
      this.rotationIntervalMs > 0 &&
      Date.now() - set.signingCreatedAt >= this.rotationIntervalMs
    ) {
      await this.rotateLocked();
    }
  }

  private async rotateLocked(): Promise<void> {
    const created = await this.createKey();
    await this.retireOlderKeys(created);
    await this.load();
    this.logger.log(`Rotated signing keys; now signing with ${created.kid}`);
  }

  /**
   * Retires every signing-capable key older than `created` (also a sibling instance's key
   * from a simultaneous first boot). Retired keys stay published for `verifyOverlap` plus
   * `refreshInterval`: an instance that has not reloaded yet may still sign with the old key
   * for up to `refreshInterval`, and those tokens must verify until they expire.
   */
  private async retireOlderKeys(created: SigningKeyRecord): Promise<void> {
    const now = new Date();
    const expiresAt = new Date(
      now.getTime() + this.config.verifyOverlap * 1000 + this.refreshIntervalMs,
    );
    for (const record of await this.store.listUsable()) {
      if (
        record.kid !== created.kid &&
        canSign(record, now.getTime()) &&
        record.createdAt.getTime() <= created.createdAt.getTime()
      ) {
        await this.store.retire(record.kid, now, expiresAt);
      }
    }
  }

  private async createKey(): Promise<SigningKeyRecord> {
    const alg = this.config.algorithm;
    // extractable: the private half must be exported to be persisted.
    const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const privateJwk = await exportJWK(privateKey);
    // RFC 7638 thumbprint: a stable kid that is derived from the key itself.
    const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
    return this.store.create({
      kid,
      algorithm: alg,
      publicJwk: { ...publicJwk, kid, alg, use: 'sig' },
      privateKey: await this.sealPrivateJwk(kid, { ...privateJwk, kid, alg }),
      retiresAt: null,
      expiresAt: null,
    });
  }

  /** Reads the store and swaps in a fresh key set; the old one stays if anything throws. */
  private async load(): Promise<void> {
    const now = Date.now();
    const previous = this.keySet;
    // Stable sort: keys created in the same millisecond keep the store's newest-first order.
    const records = (await this.store.listUsable())
      .filter((record) => record.expiresAt === null || record.expiresAt.getTime() > now)
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());

    const verification = new Map<string, CryptoKey>();
    const published: JWK[] = [];
    for (const record of records) {
      const jwk = toPublicJwk(record);
      if (!jwk) {
        this.logger.warn(`Skipping signing key ${record.kid}: unsupported or malformed public JWK`);
        continue;
      }
      try {
        // kid is the key's thumbprint and the store's primary key, so a cached import is reusable.
        const key =
          previous?.verification.get(record.kid) ?? (await importAsymmetric(jwk, record.algorithm));
        verification.set(record.kid, key);
        published.push(Object.freeze(jwk));
      } catch {
        this.logger.warn(`Skipping signing key ${record.kid}: its public JWK cannot be imported`);
      }
    }

    let signing: ActiveSigningKey | undefined;
    let signingCreatedAt = 0;
    const candidate = records.find(
      (record) =>
        record.algorithm === this.config.algorithm &&
        canSign(record, now) &&
        verification.has(record.kid),
    );
    if (candidate) {
      signing =
        previous?.signing?.kid === candidate.kid
          ? previous.signing
          : Object.freeze({
              kid: candidate.kid,
              alg: this.config.algorithm,
              key: await this.openPrivateKey(candidate),
            });
      signingCreatedAt = candidate.createdAt.getTime();
    }

    Object.freeze(published);
    const jwks = { keys: published };
    Object.freeze(jwks);
    this.keySet = { signing, signingCreatedAt, verification, jwks, loadedAt: now };
  }

  private async sealPrivateJwk(kid: string, jwk: JWK): Promise<string> {
    const json = JSON.stringify(jwk);
    if (!this.encryptionKey) return json;
    return new CompactEncrypt(new TextEncoder().encode(json))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid, cty: 'jwk+json' })
      .encrypt(this.encryptionKey);
  }

  private async openPrivateKey(record: SigningKeyRecord): Promise<CryptoKey> {
    let json: string;
    if (isCompactJwe(record.privateKey)) {
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
        json = new TextDecoder().decode(plaintext);
      } catch {
        throw new Error(
          `mcp-auth: cannot decrypt signing key ${record.kid}; is the encryptionSecret the one it was stored with?`,
        );
      }
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
    return importAsymmetric(privateJwk, record.algorithm);
  }
}

function assertSeconds(name: string, value: number, min: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new Error(`mcp-auth: signing key ${name} must be a number of seconds >= ${min}`);
  }
}

function canSign(record: SigningKeyRecord, now: number): boolean {
  return record.retiresAt === null || record.retiresAt.getTime() > now;
}

function isSupportedAlgorithm(alg: string): alg is SigningAlgorithm {
  return (SUPPORTED_SIGNING_ALGORITHMS as readonly string[]).includes(alg);
}

/** Copies only the public members, so a private member in the row can never be published. */
function toPublicJwk(record: SigningKeyRecord): JWK | undefined {
  if (!isSupportedAlgorithm(record.algorithm)) return undefined;
  const source = record.publicJwk;
  const kty = source.kty;
  if (typeof kty !== 'string') return undefined;
  const members = PUBLIC_JWK_MEMBERS[kty];
  if (!members) return undefined;
  const jwk: JWK = { kty: kty };
  for (const member of members) {
    const value = source[member];
    if (typeof value !== 'string') return undefined;
    jwk[member] = value;
  }
  jwk.kid = record.kid;
  jwk.alg = record.algorithm;
  jwk.use = 'sig';
  return jwk;
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

async function importAsymmetric(jwk: JWK, alg: string): Promise<CryptoKey> {
  const key = await importJWK(jwk, alg, { extractable: false });
  // Only symmetric (oct) JWKs import as bytes; a signing key must never be one.
  if (key instanceof Uint8Array) throw new Error('symmetric key');
  return key;
}
