import type {
  ClientDeletion,
  ClientListPage,
  ClientListQuery,
  ClientRecord,
  ClientStore,
  NewClient,
} from '@app/mcp-auth';

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

  async delete(clientId: string): Promise<ClientDeletion | null> {
    return this.clients.delete(clientId) ? { revokedGrantIds: [] } : null;
  }

  async pruneStatic(keep: readonly string[]): Promise<string[]> {
    const removed = [...this.clients.values()]
      .filter((c) => c.source === 'static' && !keep.includes(c.clientId))
      .map((c) => c.clientId);
    for (const id of removed) this.clients.delete(id);
    return removed;
  }

  /** By client_id; the cursor is the last id of the previous page (no validation here). */
  async list(query: ClientListQuery): Promise<ClientListPage> {
    const all = [...this.clients.values()]
      .filter((c) => !query.source || c.source === query.source)
      .filter((c) => query.cursor === undefined || c.clientId > query.cursor)
      .sort((a, b) => (a.clientId < b.clientId ? -1 : 1));
    const clients = all.slice(0, query.limit);
    return {
      clients,
      nextCursor: all.length > query.limit ? clients[clients.length - 1].clientId : null,
    };
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
