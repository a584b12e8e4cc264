import { Logger } from '@nestjs/common';
import {
  calculateJwkThumbprint,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  type JWK,
} from 'jose';
import type { SigningAlgorithm } from './token-options';
import { AccessTokenValidator } from './access-token.validator';
import { AccessTokenIssuer } from './access-token.issuer';
import { InMemorySigningKeyStore } from '../../../../test/support/in-memory-signing-key-store';
import { SigningKeyService, type SigningKeyConfig } from './signing-key.service';

const ISSUER = 'https://mcp.example.com';
const RESOURCE = 'https://mcp.example.com/mcp';
const SECRET = 'k3y-encryption-secret-0123456789-abcdefghij';
const PUBLIC_MEMBERS = new Set(['kty', 'crv', 'x', 'y', 'n', 'e', 'kid', 'alg', 'use']);

async function startService(
  store: InMemorySigningKeyStore,
  config: Partial<SigningKeyConfig> = {},
): Promise<SigningKeyService> {
  const service = new SigningKeyService(store, {
    algorithm: 'ES256',
    verifyOverlap: 600,
    ...config,
  });
  await service.init();
  return service;
}

function issuerFor(keys: SigningKeyService): AccessTokenIssuer {
  return new AccessTokenIssuer(keys, { issuer: ISSUER, accessTokenTtl: 600 });
}

function verifierFor(keys: SigningKeyService): AccessTokenValidator {
  return new AccessTokenValidator(keys, { issuer: ISSUER, audiences: [RESOURCE] });
}

const tokenRequest = {
  subject: 'user-1',
  clientId: 'client-1',
  audience: RESOURCE,
  scopes: ['mcp:tools'],
  grantId: 'grant-1',
};

describe('SigningKeyService', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterEach(() => jest.restoreAllMocks());

  it('generates and persists a key on first init, kid = RFC 7638 thumbprint', async () => {
    const store = new InMemorySigningKeyStore();
    const keys = await startService(store);

    expect(store.records).toHaveLength(1);
    const [record] = store.records;
    expect(record.algorithm).toBe('ES256');
    expect(record.retiresAt).toBeNull();
    expect(record.publicJwk).toMatchObject({
      kty: 'EC',
      crv: 'P-256',
      alg: 'ES256',
      use: 'sig',
      kid: record.kid,
    });
    expect(record.publicJwk).not.toHaveProperty('d');
    expect(await calculateJwkThumbprint(record.publicJwk as JWK)).toBe(record.kid);
    expect(JSON.parse(record.privateKey)).toHaveProperty('d');

    expect(keys.getSigningKey()).toMatchObject({ kid: record.kid, alg: 'ES256' });
    expect(keys.getVerificationKey(record.kid)).toBeDefined();
    expect(keys.getJwks().keys.map((key) => key.kid)).toEqual([record.kid]);
  });

  it('a second instance on the same store reuses the key and verifies the first one’s tokens (RS-6)', async () => {
    const store = new InMemorySigningKeyStore();
    const first = await startService(store);
    const second = await startService(store);

    expect(store.createCalls).toBe(1);
    expect(second.getSigningKey().kid).toBe(first.getSigningKey().kid);

    const { token } = await issuerFor(first).issue(tokenRequest);
    await expect(verifierFor(second).verify(token)).resolves.toMatchObject({ sub: 'user-1' });
  });

  it('two instances booting at once on an empty store both publish their keys', async () => {
    const store = new InMemorySigningKeyStore();
    const [a, b] = await Promise.all([startService(store), startService(store)]);
    await Promise.all([a.refresh(), b.refresh()]);

    expect(store.records.length).toBeGreaterThanOrEqual(1);
    // Converged: both sign with the newest key and publish every key.
    expect(a.getSigningKey().kid).toBe(b.getSigningKey().kid);
    expect(a.getJwks().keys).toHaveLength(store.records.length);
  });

  it('rotation: old tokens still verify, new ones use the new kid, JWKS lists both', async () => {
    const store = new InMemorySigningKeyStore();
    const keys = await startService(store, { verifyOverlap: 600, refreshInterval: 60 });
    const issuer = issuerFor(keys);
    const verifier = verifierFor(keys);
    const oldKid = keys.getSigningKey().kid;
    const { token: oldToken } = await issuer.issue(tokenRequest);

    const before = Date.now();
    await keys.rotate();
    const newKid = keys.getSigningKey().kid;
    expect(newKid).not.toBe(oldKid);

    const { token: newToken } = await issuer.issue(tokenRequest);
    expect(decodeProtectedHeader(newToken).kid).toBe(newKid);
    await expect(verifier.verify(oldToken)).resolves.toMatchObject({ sub: 'user-1' });
    await expect(verifier.verify(newToken)).resolves.toMatchObject({ sub: 'user-1' });
    expect(
      keys
        .getJwks()
        .keys.map((key) => key.kid)
        .sort(),
    ).toEqual([oldKid, newKid].sort());

    const retired = store.records.find((record) => record.kid === oldKid)!;
    expect(retired.retiresAt!.getTime()).toBeGreaterThanOrEqual(before);
    // verifyOverlap plus refreshInterval of slack for instances that have not reloaded yet.
    expect(retired.expiresAt!.getTime() - retired.retiresAt!.getTime()).toBe((600 + 60) * 1000);
  });

  it('another instance picks up a rotation: unknown kid triggers a reload', async () => {
    const store = new InMemorySigningKeyStore();
    const a = await startService(store);
    const b = await startService(store);
    await a.rotate();

    const { token } = await issuerFor(a).issue(tokenRequest);
    expect(b.getVerificationKey(a.getSigningKey().kid)).toBeUndefined();
    await expect(verifierFor(b).verify(token)).resolves.toMatchObject({ sub: 'user-1' });
    expect(b.getSigningKey().kid).toBe(a.getSigningKey().kid);
  });

  it('rotates automatically once rotationInterval has elapsed', async () => {
    const store = new InMemorySigningKeyStore();
    const keys = await startService(store, { rotationInterval: 3600 });
    const firstKid = keys.getSigningKey().kid;

    await keys.refresh();
    expect(keys.getSigningKey().kid).toBe(firstKid);

    store.records[0].createdAt = new Date(Date.now() - 3601 * 1000);
    await keys.refresh();
    expect(keys.getSigningKey().kid).not.toBe(firstKid);
    expect(store.records.find((record) => record.kid === firstKid)!.retiresAt).not.toBeNull();
  });

  it('tells onKeyCreated of the first key, a manual and a scheduled rotation, and survives it throwing', async () => {
    const store = new InMemorySigningKeyStore();
    const changes: unknown[] = [];
    const keys = await startService(store, {
      rotationInterval: 3600,
      onKeyCreated: (change) => changes.push(change),
    });
    const first = keys.getSigningKey().kid;
    await keys.rotate();
    const second = keys.getSigningKey().kid;
    store.records.find((record) => record.kid === second)!.createdAt = new Date(
      Date.now() - 3601 * 1000,
    );
    await keys.refresh();
    const third = keys.getSigningKey().kid;
    expect(changes).toEqual([
      { kid: first, algorithm: 'ES256', trigger: 'initial', retiredKids: [] },
      { kid: second, algorithm: 'ES256', trigger: 'manual', retiredKids: [first] },
      { kid: third, algorithm: 'ES256', trigger: 'schedule', retiredKids: [second] },
    ]);

    const failing = await startService(new InMemorySigningKeyStore(), {
      onKeyCreated: () => {
        throw new Error('listener down');
      },
    });
    await expect(failing.rotate()).resolves.toBeUndefined();
  });

  it('stops publishing a key once it expires', async () => {
    const store = new InMemorySigningKeyStore();
    const keys = await startService(store);
    const oldKid = keys.getSigningKey().kid;
    await keys.rotate();

    store.records.find((record) => record.kid === oldKid)!.expiresAt = new Date(Date.now() - 1000);
    await keys.refresh();
    expect(keys.getJwks().keys.map((key) => key.kid)).not.toContain(oldKid);
    expect(keys.getVerificationKey(oldKid)).toBeUndefined();
  });

  it('scheduled rotation: the old key verifies until the longest token it signed has expired', async () => {
    // Only the clock is faked: jose and the service read it through Date.
    jest.useFakeTimers({
      doNotFake: [
        'nextTick',
        'setImmediate',
        'queueMicrotask',
        'setTimeout',
        'setInterval',
        'clearTimeout',
        'clearInterval',
      ],
    });
    try {
      const ttl = 600;
      const store = new InMemorySigningKeyStore();
      // The module's rule (mcp-auth.providers.ts): overlap = access-token lifetime + 60 s.
      const keys = await startService(store, {
        rotationInterval: 3600,
        verifyOverlap: ttl + 60,
        refreshInterval: 60,
      });
      const issuer = new AccessTokenIssuer(keys, { issuer: ISSUER, accessTokenTtl: ttl });
      const verifier = verifierFor(keys);
      const oldKid = keys.getSigningKey().kid;
      const start = Date.now();

      // The last token of the old key, signed a second before the rotation is due.
      jest.setSystemTime(start + 3599_000);
      const { token, expiresAt } = await issuer.issue(tokenRequest);
      expect(decodeProtectedHeader(token).kid).toBe(oldKid);
      jest.setSystemTime(start + 3601_000);
      await keys.refresh();
      expect(keys.getSigningKey().kid).not.toBe(oldKid);

      // Up to its last second, every reload still publishes and accepts the old key.
      jest.setSystemTime(expiresAt.getTime() - 1000);
      await keys.refresh();
      expect(keys.getJwks().keys.map((key) => key.kid)).toContain(oldKid);
      await expect(verifier.verify(token)).resolves.toMatchObject({ sub: 'user-1' });
      const retired = store.records.find((record) => record.kid === oldKid)!;
      expect(retired.expiresAt!.getTime()).toBeGreaterThanOrEqual(expiresAt.getTime());

      // Once the key's own expiry has passed, it is gone.
      jest.setSystemTime(retired.expiresAt!.getTime() + 1000);
      await keys.refresh();
      expect(keys.getJwks().keys.map((key) => key.kid)).not.toContain(oldKid);
      expect(keys.getVerificationKey(oldKid)).toBeUndefined();
    } finally {
      jest.useRealTimers();
    }
  });

  it('refreshIfStale reloads only after refreshInterval', async () => {
    const store = new InMemorySigningKeyStore();
    const keys = await startService(store, { refreshInterval: 60 });
    const calls = store.listCalls;

    await keys.refreshIfStale();
    expect(store.listCalls).toBe(calls);

    const now = Date.now();
    jest.spyOn(Date, 'now').mockReturnValue(now + 61_000);
    await keys.refreshIfStale();
    expect(store.listCalls).toBeGreaterThan(calls);
  });

  it('builds the JWKS once per load, not per call', async () => {
    const keys = await startService(new InMemorySigningKeyStore());
    expect(keys.getJwks()).toBe(keys.getJwks());
    expect(Object.isFrozen(keys.getJwks().keys)).toBe(true);
  });

  describe.each<SigningAlgorithm>(['ES256', 'ES384', 'RS256', 'PS256', 'EdDSA'])(
    '%s',
    (algorithm) => {
      it('publishes public members only, even across a rotation', async () => {
        const keys = await startService(new InMemorySigningKeyStore(), { algorithm });
        await keys.rotate();
        const { keys: published } = keys.getJwks();
        expect(published).toHaveLength(2);
        for (const jwk of published) {
          expect(jwk).toMatchObject({ alg: algorithm, use: 'sig' });
          for (const member of Object.keys(jwk)) expect(PUBLIC_MEMBERS.has(member)).toBe(true);
          for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']) {
            expect(jwk).not.toHaveProperty(secret);
          }
        }
      });
    },
  );

  it('never publishes private members even if the stored public JWK carries them', async () => {
    const store = new InMemorySigningKeyStore();
    const keys = await startService(store);
    const [record] = store.records;
    record.publicJwk = {
      ...record.publicJwk,
      ...(JSON.parse(record.privateKey) as object),
      ext: true,
    };
    const fresh = await startService(store);
    expect(fresh.getJwks().keys[0]).not.toHaveProperty('d');
    expect(keys.getJwks().keys[0]).not.toHaveProperty('d');
  });

  describe('private key encryption at rest', () => {
    it('stores a JWE without "d" and round-trips it in another instance', async () => {
      const store = new InMemorySigningKeyStore();
      const first = await startService(store, { encryptionSecret: SECRET });
      const [record] = store.records;

      expect(record.privateKey.split('.')).toHaveLength(5);
      expect(record.privateKey).not.toContain('"d"');
      expect(() => JSON.parse(record.privateKey) as unknown).toThrow();
      expect(decodeProtectedHeader(record.privateKey)).toMatchObject({
        alg: 'dir',
        enc: 'A256GCM',
        kid: record.kid,
      });

      const second = await startService(store, { encryptionSecret: SECRET });
      expect(store.createCalls).toBe(1);
      const { token } = await issuerFor(second).issue(tokenRequest);
      await expect(verifierFor(first).verify(token)).resolves.toMatchObject({ sub: 'user-1' });
    });

    it('fails loudly with a wrong or missing secret instead of creating a new key', async () => {
      const store = new InMemorySigningKeyStore();
      await startService(store, { encryptionSecret: SECRET });

      await expect(startService(store, { encryptionSecret: `${SECRET}-other` })).rejects.toThrow(
        /cannot decrypt/,
      );
      await expect(startService(store)).rejects.toThrow(/no encryptionSecret/);
      expect(store.createCalls).toBe(1);
    });

    it('refuses a JWE moved onto another key row', async () => {
      const store = new InMemorySigningKeyStore();
      const keys = await startService(store, { encryptionSecret: SECRET });
      const oldKid = keys.getSigningKey().kid;
      await keys.rotate();
      const [newest, oldest] = [store.records[1], store.records[0]];
      expect(oldest.kid).toBe(oldKid);
      newest.privateKey = oldest.privateKey;

      await expect(startService(store, { encryptionSecret: SECRET })).rejects.toThrow(
        /cannot decrypt/,
      );
    });

    it('still loads a key stored before encryption was enabled', async () => {
      const store = new InMemorySigningKeyStore();
      const plain = await startService(store);
      const encrypted = await startService(store, { encryptionSecret: SECRET });
      expect(encrypted.getSigningKey().kid).toBe(plain.getSigningKey().kid);
    });
  });

  it('refuses a private key that does not belong to the published public key', async () => {
    const store = new InMemorySigningKeyStore();
    await startService(store);
    const other = await generateKeyPair('ES256', { extractable: true });
    store.records[0].privateKey = JSON.stringify(await exportJWK(other.privateKey));

    await expect(startService(store)).rejects.toThrow(/do not match/);
  });

  it('validates its configuration at construction', () => {
    const store = new InMemorySigningKeyStore();
    expect(
      () =>
        new SigningKeyService(store, {
          algorithm: 'HS256' as SigningAlgorithm,
          verifyOverlap: 600,
        }),
    ).toThrow(/unsupported signing algorithm/);
    expect(() => new SigningKeyService(store, { algorithm: 'ES256', verifyOverlap: -1 })).toThrow(
      /verifyOverlap/,
    );
    expect(
      () =>
        new SigningKeyService(store, {
          algorithm: 'ES256',
          verifyOverlap: 600,
          encryptionSecret: 'short',
        }),
    ).toThrow(/at least 32/);
  });

  it('refuses to sign before init', () => {
    const keys = new SigningKeyService(new InMemorySigningKeyStore(), {
      algorithm: 'ES256',
      verifyOverlap: 600,
    });
    expect(() => keys.getSigningKey()).toThrow(/init\(\)/);
    expect(() => keys.getJwks()).toThrow(/init\(\)/);
  });

  it('creates a key of the configured algorithm when the algorithm changes', async () => {
    const store = new InMemorySigningKeyStore();
    const es = await startService(store, { algorithm: 'ES256' });
    const rs = await startService(store, { algorithm: 'RS256' });
    expect(rs.getSigningKey().alg).toBe('RS256');
    expect(rs.getSigningKey().kid).not.toBe(es.getSigningKey().kid);
    // The ES256 key stays published while its tokens may be alive.
    expect(rs.getJwks().keys).toHaveLength(2);
  });
});
