import { Injectable, Logger } from '@nestjs/common';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import type { SigningAlgorithm } from '../oauth/signing-algorithms';
import type { SigningKeyRecord, SigningKeyStore } from '../storage/signing-key-store.interface';
import {
  SUPPORTED_SIGNING_ALGORITHMS,
  type ActiveSigningKey,
  type SigningKeyChange,
  type SigningKeyConfig,
} from './signing-key.config';
import { SigningKeySealing } from './signing-key-sealing';
import {
  buildSigningKeystore,
  canSign,
  importAsymmetric,
  type SigningKeystore,
} from './signing-keystore';

// Part of the public API, which exports this file.
export {
  SUPPORTED_SIGNING_ALGORITHMS,
  type ActiveSigningKey,
  type SigningKeyChange,
  type SigningKeyConfig,
} from './signing-key.config';

const DEFAULT_REFRESH_INTERVAL = 60;

/**
 * Orchestrates the authorization server's signing keys: creates the first one, rotates them
 * and reloads them. The loaded keys and the JWKS are a `SigningKeystore` (signing-keystore.ts);
 * private keys are sealed at rest by `SigningKeySealing` (signing-key-sealing.ts).
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
  private readonly sealing: SigningKeySealing;
  private keySet: SigningKeystore | undefined;
  /** Serializes loads and rotations so an older load never overwrites a newer one. */
  private tail: Promise<unknown> = Promise.resolve();
  private pendingRefresh: Promise<void> | undefined;

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

    this.sealing = new SigningKeySealing(config.encryptionSecret, this.logger);
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
      await this.rotateLocked('manual');
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
      this.announce({ kid: created.kid, algorithm: this.config.algorithm, trigger: 'initial' });
      return;
    }
    if (
      this.rotationIntervalMs > 0 &&
      Date.now() - set.signingCreatedAt >= this.rotationIntervalMs
    ) {
      await this.rotateLocked('schedule');
    }
  }

  private async rotateLocked(trigger: 'schedule' | 'manual'): Promise<void> {
    const created = await this.createKey();
    const retiredKids = await this.retireOlderKeys(created);
    await this.load();
    this.logger.log(`Rotated signing keys; now signing with ${created.kid}`);
    this.announce({ kid: created.kid, algorithm: this.config.algorithm, trigger, retiredKids });
  }

  private announce(
    change: Omit<SigningKeyChange, 'retiredKids'> & { retiredKids?: string[] },
  ): void {
    try {
      this.config.onKeyCreated?.({ ...change, retiredKids: change.retiredKids ?? [] });
    } catch (error) {
      this.logger.warn(`onKeyCreated failed: ${(error as Error).message}`);
    }
  }

  /**
   * Retires every signing-capable key older than `created` (also a sibling instance's key
   * from a simultaneous first boot). Retired keys stay published for `verifyOverlap` plus
   * `refreshInterval`: an instance that has not reloaded yet may still sign with the old key
   * for up to `refreshInterval`, and those tokens must verify until they expire.
   */
  private async retireOlderKeys(created: SigningKeyRecord): Promise<string[]> {
    const retired: string[] = [];
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
        retired.push(record.kid);
      }
    }
    return retired;
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
      privateKey: await this.sealing.seal(kid, { ...privateJwk, kid, alg }),
      retiresAt: null,
      expiresAt: null,
    });
  }

  /** Reads the store and swaps in a fresh key set; the old one stays if anything throws. */
  private async load(): Promise<void> {
    const now = Date.now();
    this.keySet = await buildSigningKeystore({
      records: await this.store.listUsable(),
      algorithm: this.config.algorithm,
      previous: this.keySet,
      openPrivateKey: async (record) =>
        importAsymmetric(await this.sealing.open(record), record.algorithm),
      logger: this.logger,
      now,
    });
  }
}

function assertSeconds(name: string, value: number, min: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new Error(`mcp-auth: signing key ${name} must be a number of seconds >= ${min}`);
  }
}
