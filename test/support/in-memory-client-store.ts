import type { ClientRecord, ClientStore, NewClient } from '@app/mcp-auth';

/** Test double of `ClientStore` with the same contract as the database store. */
export class InMemoryClientStore implements ClientStore {
  readonly clients = new Map<string, ClientRecord>();
  /** Every id looked up, in order. */
  readonly lookups: string[] = [];
  upserts = 0;

  async create(client: NewClient): Promise<ClientRecord> {
    if (this.clients.has(client.clientId)) throw new Error('duplicate client_id');
    return this.put(client);
  }

  async upsert(client: NewClient): Promise<ClientRecord> {
    this.upserts += 1;
    return this.put(client);
  }

  async findById(clientId: string): Promise<ClientRecord | null> {
    this.lookups.push(clientId);
    return this.clients.get(clientId) ?? null;
  }

  async delete(clientId: string): Promise<boolean> {
    return this.clients.delete(clientId);
  }

  async pruneStatic(keep: readonly string[]): Promise<string[]> {
    const removed = [...this.clients.values()]
      .filter((c) => c.source === 'static' && !keep.includes(c.clientId))
      .map((c) => c.clientId);
    for (const id of removed) this.clients.delete(id);
    return removed;
  }

  private put(client: NewClient): ClientRecord {
    const record = {
      ...client,
      documentExpiresAt: client.documentExpiresAt ?? null,
      createdAt: new Date(),
    };
    this.clients.set(client.clientId, record);
    return record;
  }
}
