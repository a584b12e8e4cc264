import { Logger } from '@nestjs/common';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import type { SigningKeyRecord } from '../storage/signing-key-store.interface';
import { SigningKeySealing } from './signing-key-sealing';

const SECRET = 'k3y-encryption-secret-0123456789-abcdefghij';

async function newRecord(
  sealing: SigningKeySealing,
): Promise<{ record: SigningKeyRecord; d: string | undefined }> {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const privateJwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
  const record = {
    kid,
    algorithm: 'ES256',
    publicJwk: { ...publicJwk, kid },
    privateKey: await sealing.seal(kid, { ...privateJwk, kid }),
    createdAt: new Date(),
    retiresAt: null,
    expiresAt: null,
  } as SigningKeyRecord;
  return { record, d: privateJwk.d };
}

describe('SigningKeySealing', () => {
  const logger = new Logger('SigningKeySealingSpec');
  beforeAll(() => Logger.overrideLogger(false));

  it('stores plain JWK JSON without a secret and opens it', async () => {
    const sealing = new SigningKeySealing(undefined, logger);
    const { record, d } = await newRecord(sealing);
    expect(JSON.parse(record.privateKey)).toHaveProperty('d', d);
    await expect(sealing.open(record)).resolves.toHaveProperty('d', d);
  });

  it('seals with a secret and opens only with the same secret', async () => {
    const sealing = new SigningKeySealing(SECRET, logger);
    const { record, d } = await newRecord(sealing);
    expect(record.privateKey.split('.')).toHaveLength(5);
    await expect(sealing.open(record)).resolves.toHaveProperty('d', d);
    await expect(new SigningKeySealing(`${SECRET}-other`, logger).open(record)).rejects.toThrow(
      /cannot decrypt/,
    );
    await expect(new SigningKeySealing(undefined, logger).open(record)).rejects.toThrow(
      /no encryptionSecret/,
    );
  });

  it('refuses a sealed key copied onto another kid', async () => {
    const sealing = new SigningKeySealing(SECRET, logger);
    const first = await newRecord(sealing);
    const second = await newRecord(sealing);
    await expect(
      sealing.open({ ...second.record, privateKey: first.record.privateKey }),
    ).rejects.toThrow(/cannot decrypt/);
  });

  it('refuses a short secret', () => {
    expect(() => new SigningKeySealing('short', logger)).toThrow(/at least 32/);
  });
});
