import type { Logger } from '@nestjs/common';
import { importJWK, type CryptoKey, type JWK } from 'jose';
import type { SigningAlgorithm } from '../oauth/signing-algorithms';
import type { SigningKeyRecord } from '../storage/signing-key-store.interface';
import { isSupportedAlgorithm, type ActiveSigningKey } from './signing-key.config';

/** The only JWK members that may be published, per key type. Everything else stays private. */
const PUBLIC_JWK_MEMBERS: Readonly<Record<string, readonly ('crv' | 'x' | 'y' | 'n' | 'e')[]>> = {
  EC: ['crv', 'x', 'y'],
  RSA: ['n', 'e'],
  OKP: ['crv', 'x'],
};

/** One load of the store: the imported keys, looked up by `kid`, and the JWKS built from them. */
export interface SigningKeystore {
  readonly signing: ActiveSigningKey | undefined;
  readonly signingCreatedAt: number;
  readonly verification: ReadonlyMap<string, CryptoKey>;
  readonly jwks: { keys: JWK[] };
  readonly loadedAt: number;
}

export interface SigningKeystoreSource {
  /** Rows as listed by the store; expired ones are dropped here. */
  records: readonly SigningKeyRecord[];
  /** The configured algorithm: only keys of it may sign. */
  algorithm: SigningAlgorithm;
  /** The keystore this one replaces: its imports are reused. */
  previous: SigningKeystore | undefined;
  /** Opens and imports a row's private key; called only for a new signing key. */
  openPrivateKey: (record: SigningKeyRecord) => Promise<CryptoKey>;
  logger: Logger;
  now: number;
}

/** Builds an immutable keystore; throws (leaving the caller's old one in place) on failure. */
export async function buildSigningKeystore(
  source: SigningKeystoreSource,
): Promise<SigningKeystore> {
  const { algorithm, previous, logger, now } = source;
  // Stable sort: keys created in the same millisecond keep the store's newest-first order.
  const records = source.records
    .filter((record) => record.expiresAt === null || record.expiresAt.getTime() > now)
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());

  const verification = new Map<string, CryptoKey>();
  const published: JWK[] = [];
  for (const record of records) {
    const jwk = toPublicJwk(record);
    if (!jwk) {
      logger.warn(`Skipping signing key ${record.kid}: unsupported or malformed public JWK`);
      continue;
    }
    try {
      // kid is the key's thumbprint and the store's primary key, so a cached import is reusable.
      const key =
        previous?.verification.get(record.kid) ?? (await importAsymmetric(jwk, record.algorithm));
      verification.set(record.kid, key);
      published.push(Object.freeze(jwk));
    } catch {
      logger.warn(`Skipping signing key ${record.kid}: its public JWK cannot be imported`);
    }
  }

  let signing: ActiveSigningKey | undefined;
  let signingCreatedAt = 0;
  const candidate = records.find(
    (record) =>
      record.algorithm === algorithm && canSign(record, now) && verification.has(record.kid),
  );
  if (candidate) {
    signing =
      previous?.signing?.kid === candidate.kid
        ? previous.signing
        : Object.freeze({
            kid: candidate.kid,
            alg: algorithm,
            key: await source.openPrivateKey(candidate),
          });
    signingCreatedAt = candidate.createdAt.getTime();
  }

  Object.freeze(published);
  const jwks = { keys: published };
  Object.freeze(jwks);
  return { signing, signingCreatedAt, verification, jwks, loadedAt: now };
}

/** Not retired yet (or never): the key may still sign. */
export function canSign(record: SigningKeyRecord, now: number): boolean {
  return record.retiresAt === null || record.retiresAt.getTime() > now;
}

export async function importAsymmetric(jwk: JWK, alg: string): Promise<CryptoKey> {
  const key = await importJWK(jwk, alg, { extractable: false });
  // Only symmetric (oct) JWKs import as bytes; a signing key must never be one.
  if (key instanceof Uint8Array) throw new Error('symmetric key');
  return key;
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
