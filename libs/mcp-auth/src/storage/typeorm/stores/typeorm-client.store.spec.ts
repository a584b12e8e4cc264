import {
  DATABASE_TARGETS,
  openTestDatabase,
  type TestDatabase,
} from '../../../../../../test/support/test-database';
import { InvalidClientListQueryError, type NewClient } from '../../client-store.interface';
import { TypeOrmClientStore } from './typeorm-client.store';
import { TypeOrmGrantStore } from './typeorm-grant.store';

const ISSUER = 'https://as.example.com';

function client(clientId: string, overrides: Partial<NewClient> = {}): NewClient {
  return {
    clientId,
    clientSecretHash: null,
    clientSecretExpiresAt: null,
    redirectUris: ['http://127.0.0.1/callback', 'https://app.example.com/cb'],
    tokenEndpointAuthMethod: 'none',
    grantTypes: ['authorization_code', 'refresh_token'],
    responseTypes: ['code'],
    applicationType: 'native',
    clientName: "Robert'); DROP TABLE mcp_auth_clients;--",
    scope: 'mcp:tools',
    metadata: { client_uri: 'https://app.example.com', contacts: ['ops@example.com'] },
    source: 'dynamic',
    ...overrides,
  };
}

describe.each(DATABASE_TARGETS)('ClientStore contract ($name)', (target) => {
  let db: TestDatabase;
  let store: TypeOrmClientStore;

  beforeAll(async () => {
    db = await openTestDatabase(target);
    store = new TypeOrmClientStore(db.dataSource, ISSUER);
  });
  afterAll(() => db.close());

  it('creates and finds a client with arrays, JSON metadata and SQL metacharacters intact', async () => {
    const created = await store.create(client('c-1'));
    expect(created.createdAt).toBeInstanceOf(Date);
    expect(await store.findById('c-1')).toEqual(created);
    expect(created).toMatchObject({
      redirectUris: ['http://127.0.0.1/callback', 'https://app.example.com/cb'],
      grantTypes: ['authorization_code', 'refresh_token'],
      clientName: "Robert'); DROP TABLE mcp_auth_clients;--",
      metadata: { client_uri: 'https://app.example.com', contacts: ['ops@example.com'] },
      applicationType: 'native',
      source: 'dynamic',
    });
  });

  it('refuses a duplicate client id on create', async () => {
    await store.create(client('c-dup'));
    await expect(store.create(client('c-dup'))).rejects.toThrow();
  });

  it('upsert replaces a pre-registered client', async () => {
    await store.upsert(client('static-1', { source: 'static', clientName: 'v1' }));
    const updated = await store.upsert(
      client('static-1', {
        source: 'static',
        clientName: 'v2',
        tokenEndpointAuthMethod: 'client_secret_basic',
        clientSecretHash: 'hash',
      }),
    );
    expect(updated).toMatchObject({ clientName: 'v2', clientSecretHash: 'hash' });
    expect((await store.findById('static-1'))?.clientName).toBe('v2');
  });

  it('AS-11: a metadata-document client keeps its source and document expiry', async () => {
    const url = 'https://agent.example.com/oauth/client.json';
    const expiresAt = new Date('2031-05-06T07:08:09.123Z');
    const stored = await store.upsert(
      client(url, { source: 'metadata_document', documentExpiresAt: expiresAt }),
    );
    expect(stored).toMatchObject({ clientId: url, source: 'metadata_document' });
    expect(stored.documentExpiresAt).toEqual(expiresAt);
    const found = await store.findById(url);
    expect(found).toEqual(stored);
    expect(found?.documentExpiresAt).toBeInstanceOf(Date);
    expect(found?.documentExpiresAt?.toISOString()).toBe('2031-05-06T07:08:09.123Z');
  });

  it('AS-11: upsert of a fetched document replaces the copy and its expiry', async () => {
    const url = 'https://agent.example.com/refetched.json';
    const first = new Date(Date.now() - 1000);
    const second = new Date(Date.now() + 600_000);
    await store.upsert(
      client(url, { source: 'metadata_document', documentExpiresAt: first, clientName: 'Old' }),
    );
    const updated = await store.upsert(
      client(url, { source: 'metadata_document', documentExpiresAt: second, clientName: 'New' }),
    );
    expect(updated).toMatchObject({ clientName: 'New', documentExpiresAt: second });
    expect(await store.findById(url)).toMatchObject({
      clientName: 'New',
      source: 'metadata_document',
      documentExpiresAt: second,
    });
  });

  it('AS-11: other clients read back documentExpiresAt null', async () => {
    expect((await store.create(client('c-no-doc'))).documentExpiresAt).toBeNull();
    expect((await store.findById('c-no-doc'))?.documentExpiresAt).toBeNull();
    await store.upsert(client('static-no-doc', { source: 'static', documentExpiresAt: null }));
    expect(await store.findById('static-no-doc')).toMatchObject({
      source: 'static',
      documentExpiresAt: null,
    });
  });

  it('clients are partitioned by issuer', async () => {
    await store.create(client('c-issuer'));
    const other = new TypeOrmClientStore(db.dataSource, 'https://other.example.com');
    expect(await other.findById('c-issuer')).toBeNull();
    await other.create(client('c-issuer'));
    expect(await other.findById('c-issuer')).not.toBeNull();
  });

  it('delete removes the client and revokes its grants', async () => {
    await store.create(client('c-del'));
    const grants = new TypeOrmGrantStore(db.dataSource, ISSUER);
    const grant = await grants.createGrant({
      clientId: 'c-del',
      subject: 'alice',
      scopes: [],
      resource: 'https://as.example.com/mcp',
      expiresAt: new Date(Date.now() + 60_000),
    });
    expect(await store.delete('c-del')).toEqual({ revokedGrantIds: [grant.id] });
    expect(await store.findById('c-del')).toBeNull();
    expect((await grants.findGrant(grant.id))?.revokedReason).toBe('client_deleted');
    expect(await store.delete('c-del')).toBeNull();
  });
});

describe.each(DATABASE_TARGETS)('ClientStore.pruneStatic ($name)', (target) => {
  let db: TestDatabase;
  let store: TypeOrmClientStore;

  beforeAll(async () => {
    db = await openTestDatabase(target);
    store = new TypeOrmClientStore(db.dataSource, ISSUER);
  });
  afterAll(() => db.close());

  it('AS-12: removes pre-registered clients no longer configured, and only those', async () => {
    await store.upsert(client('keep', { source: 'static' }));
    await store.upsert(client('gone', { source: 'static' }));
    await store.create(client('dynamic-1'));
    expect(await store.pruneStatic(['keep'])).toEqual(['gone']);
    expect(await store.findById('gone')).toBeNull();
    expect(await store.findById('keep')).not.toBeNull();
    expect(await store.findById('dynamic-1')).not.toBeNull();
    expect(await store.pruneStatic(['keep'])).toEqual([]);
  });

  it('AS-11: never removes cached metadata-document clients', async () => {
    const url = 'https://agent.example.com/pruned.json';
    await store.upsert(
      client(url, {
        source: 'metadata_document',
        documentExpiresAt: new Date(Date.now() + 60_000),
      }),
    );
    expect(await store.pruneStatic([])).not.toContain(url);
    expect(await store.findById(url)).not.toBeNull();
  });
});

describe.each(DATABASE_TARGETS)('ClientStore.list ($name)', (target) => {
  const LIST_ISSUER = 'https://list.example.com';
  let db: TestDatabase;
  let store: TypeOrmClientStore;

  beforeAll(async () => {
    db = await openTestDatabase(target);
    store = new TypeOrmClientStore(db.dataSource, LIST_ISSUER);
    await store.create(client('b-dynamic'));
    await store.create(client('a-dynamic'));
    await store.upsert(client('c-static', { source: 'static' }));
    await store.upsert(
      client('https://agent.example.com/c.json', {
        source: 'metadata_document',
        documentExpiresAt: new Date(Date.now() + 60_000),
      }),
    );
    // Another issuer's client never shows.
    await new TypeOrmClientStore(db.dataSource, ISSUER).create(client('a-other-issuer'));
  });
  afterAll(() => db.close());

  async function everyPage(source?: 'dynamic' | 'static' | 'metadata_document') {
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.list({ limit: 1, source, cursor });
      expect(page.clients.length).toBeLessThanOrEqual(1);
      ids.push(...page.clients.map((c) => c.clientId));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return ids;
  }

  it('pages through every client of the issuer by client_id, without gaps or repeats', async () => {
    expect(await everyPage()).toEqual([
      'a-dynamic',
      'b-dynamic',
      'c-static',
      'https://agent.example.com/c.json',
    ]);
    const all = await store.list({ limit: 10 });
    expect(all.nextCursor).toBeNull();
    expect(all.clients[0]).toEqual(await store.findById('a-dynamic'));
  });

  it('filters by source', async () => {
    expect(await everyPage('dynamic')).toEqual(['a-dynamic', 'b-dynamic']);
    expect(await everyPage('static')).toEqual(['c-static']);
    expect(await everyPage('metadata_document')).toEqual(['https://agent.example.com/c.json']);
  });

  it('a client added behind the cursor is not repeated; one ahead of it is seen', async () => {
    const first = await store.list({ limit: 2 });
    expect(first.clients.map((c) => c.clientId)).toEqual(['a-dynamic', 'b-dynamic']);
    await store.create(client('a-late'));
    await store.create(client('bb-late'));
    const second = await store.list({ limit: 10, cursor: first.nextCursor! });
    expect(second.clients.map((c) => c.clientId)).toEqual([
      'bb-late',
      'c-static',
      'https://agent.example.com/c.json',
    ]);
    await store.delete('a-late');
    await store.delete('bb-late');
  });

  it.each([0, -1, 201, 1.5, Number.NaN])('refuses the limit %p', async (limit) => {
    await expect(store.list({ limit })).rejects.toThrow(InvalidClientListQueryError);
  });

  it.each([
    '',
    'not base64!',
    Buffer.from('a-dynamic').toString('base64url'),
    Buffer.from('c1|').toString('base64url'),
    Buffer.from('c1|a\u0000b').toString('base64url'),
    'x'.repeat(5000),
    "'; DROP TABLE mcp_auth_clients;--",
  ])('refuses a cursor it did not hand out (#%#)', async (cursor) => {
    await expect(store.list({ limit: 1, cursor })).rejects.toThrow(InvalidClientListQueryError);
  });

  it('refuses an unknown source', async () => {
    await expect(store.list({ limit: 1, source: 'robot' as unknown as 'dynamic' })).rejects.toThrow(
      InvalidClientListQueryError,
    );
  });
});
