import {
  DATABASE_TARGETS,
  openTestDatabase,
  type TestDatabase,
} from '../../../../../../test/support/test-database';
import { TypeOrmConsentStore } from './typeorm-consent.store';

describe.each(DATABASE_TARGETS)('ConsentStore contract ($name)', (target) => {
  let db: TestDatabase;
  let store: TypeOrmConsentStore;

  beforeAll(async () => {
    db = await openTestDatabase(target);
    store = new TypeOrmConsentStore(db.dataSource, 'https://as.example.com');
  });
  afterAll(() => db.close());

  it('remembers consent as the union of approved scopes', async () => {
    expect(await store.find('alice', 'c1')).toBeNull();
    await store.remember('alice', 'c1', ['mcp:tools', 'mcp:tools']);
    const record = await store.remember('alice', 'c1', ['mcp:resources']);
    expect(record.scopes).toEqual(['mcp:resources', 'mcp:tools']);
    expect((await store.find('alice', 'c1'))?.scopes).toEqual(['mcp:resources', 'mcp:tools']);
    expect(await store.find('bob', 'c1')).toBeNull();
  });

  it('concurrent approvals keep every scope', async () => {
    const scopes = Array.from({ length: 10 }, (_, i) => `s${i}`);
    await Promise.all(scopes.map((s) => store.remember('carol', 'c2', [s])));
    expect((await store.find('carol', 'c2'))?.scopes).toEqual([...scopes].sort());
  });

  it('forgets consent', async () => {
    await store.remember('dave', 'c3', ['a']);
    expect(await store.forget('dave', 'c3')).toBe(true);
    expect(await store.find('dave', 'c3')).toBeNull();
    expect(await store.forget('dave', 'c3')).toBe(false);
  });
});
