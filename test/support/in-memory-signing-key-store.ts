import type { NewSigningKey, SigningKeyRecord, SigningKeyStore } from '@app/mcp-auth';

/** Test double of `SigningKeyStore` with the same contract as the database store. */
export class InMemorySigningKeyStore implements SigningKeyStore {
  readonly records: SigningKeyRecord[] = [];
  createCalls = 0;
  listCalls = 0;

  async create(key: NewSigningKey): Promise<SigningKeyRecord> {
    this.createCalls += 1;
    if (this.records.some((record) => record.kid === key.kid)) {
      throw new Error(`duplicate kid ${key.kid}`);
    }
    const record: SigningKeyRecord = { ...key, createdAt: new Date() };
    this.records.push(record);
    return { ...record };
  }

  async listUsable(): Promise<SigningKeyRecord[]> {
    this.listCalls += 1;
    const now = Date.now();
    return this.records
      .map((record, index) => ({ record, index }))
      .filter(({ record }) => record.expiresAt === null || record.expiresAt.getTime() > now)
      .sort(
        (a, b) => b.record.createdAt.getTime() - a.record.createdAt.getTime() || b.index - a.index,
      )
      .map(({ record }) => ({ ...record }));
  }

  async retire(kid: string, retiresAt: Date, expiresAt: Date): Promise<boolean> {
    const record = this.records.find((candidate) => candidate.kid === kid);
    if (!record) return false;
    record.retiresAt = retiresAt;
    record.expiresAt = expiresAt;
    return true;
  }
}
