import { randomBytes } from 'node:crypto';
import {
  DATABASE_TARGETS,
  openTestDatabase,
  type TestDatabase,
} from '../../../../../../test/support/test-database';
import { ExpiredRecordsPurger } from './expired-records.purger';
import { TypeOrmAuthorizationCodeStore } from './typeorm-authorization-code.store';
import { TypeOrmClientStore } from './typeorm-client.store';
import { TypeOrmGrantStore } from './typeorm-grant.store';

const ISSUER = 'https://as.example.com';

describe.each(DATABASE_TARGETS)('ExpiredRecordsPurger ($name)', (target) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await openTestDatabase(target);
  });
  afterAll(() => db.close());

  async function seed(live: number, expired: number): Promise<void> {
    const grants = new TypeOrmGrantStore(db.dataSource, ISSUER);
    const codes = new TypeOrmAuthorizationCodeStore(db.dataSource, ISSUER);
    for (let i = 0; i < live + expired; i++) {
      const isExpired = i >= live;
      const expiresAt = new Date(Date.now() + (isExpired ? -7_200_000 : 60_000));
      const grant = await grants.createGrant({
        clientId: 'c',
        subject: 's',
        scopes: [],
        resource: 'https://as.example.com/mcp',
        expiresAt,
      });
      await grants.issueRefreshToken({
        tokenHash: randomBytes(16).toString('hex'),
        grantId: grant.id,
        clientId: 'c',
        scopes: [],
        resource: 'https://as.example.com/mcp',
        expiresAt,
      });
      await codes.create({
        codeHash: randomBytes(16).toString('hex'),
        grantId: grant.id,
        clientId: 'c',
        subject: 's',
        redirectUri: 'https://app.example.com/cb',
        redirectUriProvided: true,
        scopes: [],
        resource: 'https://as.example.com/mcp',
        codeChallenge: 'c'.repeat(43),
        codeChallengeMethod: 'S256',
        expiresAt,
      });
    }
  }

  const count = async (table: string): Promise<number> =>
    (await db.dataSource.query(`SELECT count(*)::int AS n FROM ${table}`))[0].n;

  it('deletes expired rows only, in batches, and is safe to run from several instances at once', async () => {
    await seed(3, 25);
    const purgers = Array.from({ length: 4 }, () => new ExpiredRecordsPurger(db.dataSource));
    const reports = await Promise.all(purgers.map((p) => p.purge({ batchSize: 4 })));
    const total = (table: string) => reports.reduce((sum, r) => sum + (r[table] ?? 0), 0);

    expect(total('mcp_auth_grants')).toBe(25);
    expect(total('mcp_auth_authorization_codes')).toBe(25);
    expect(await count('mcp_auth_grants')).toBe(3);
    expect(await count('mcp_auth_refresh_tokens')).toBe(3);
    expect(await count('mcp_auth_authorization_codes')).toBe(3);
  });

  it('keeps recently expired codes so a late replay is still recognised', async () => {
    const before = await count('mcp_auth_authorization_codes');
    await seed(0, 1);
    await db.dataSource.query(
      `UPDATE mcp_auth_authorization_codes SET expires_at = now() - interval '1 minute'
       WHERE expires_at < now()`,
    );
    await new ExpiredRecordsPurger(db.dataSource).purge();
    expect(await count('mcp_auth_authorization_codes')).toBe(before + 1);
  });

  it('drops a metadata document client long stale and without grants; keeps the others', async () => {
    const clients = new TypeOrmClientStore(db.dataSource, ISSUER);
    const grants = new TypeOrmGrantStore(db.dataSource, ISSUER);
    const longAgo = new Date(Date.now() - 2 * 3_600_000);
    const document = (clientId: string, documentExpiresAt: Date | null) =>
      clients.upsert({
        clientId,
        clientSecretHash: null,
        clientSecretExpiresAt: null,
        redirectUris: ['https://app.example.com/cb'],
        tokenEndpointAuthMethod: 'none',
        grantTypes: ['authorization_code'],
        responseTypes: ['code'],
        applicationType: 'web',
        clientName: clientId,
        scope: null,
        metadata: {},
        source: 'metadata_document',
        documentExpiresAt,
      });
    await document('https://gone.example/client', longAgo);
    await document('https://in-use.example/client', longAgo);
    await document('https://fresh.example/client', new Date(Date.now() + 60_000));
    await document('https://just-stale.example/client', new Date(Date.now() - 60_000));
    await clients.upsert({
      ...(await clients.findById('https://gone.example/client'))!,
      clientId: 'dynamic-client',
      source: 'dynamic',
      documentExpiresAt: null,
    });
    await grants.createGrant({
      clientId: 'https://in-use.example/client',
      subject: 's',
      scopes: [],
      resource: 'https://as.example.com/mcp',
      expiresAt: new Date(Date.now() + 60_000),
    });

    const report = await new ExpiredRecordsPurger(db.dataSource).purge();
    expect(report.mcp_auth_clients).toBe(1);
    expect(await clients.findById('https://gone.example/client')).toBeNull();
    for (const kept of [
      'https://in-use.example/client',
      'https://fresh.example/client',
      'https://just-stale.example/client',
      'dynamic-client',
    ]) {
      expect(await clients.findById(kept)).not.toBeNull();
    }
  });
});

describe('ExpiredRecordsPurger statements', () => {
  it('walks each expires_at index oldest first, so a backlog is not rescanned from the start by every batch', async () => {
    const statements: string[] = [];
    const recorder = {
      query: async (sql: string) => {
        statements.push(sql.replace(/\s+/g, ' '));
        return [];
      },
    };
    await new ExpiredRecordsPurger(recorder as never).purge();

    const batchOf = (table: string) =>
      statements.find((sql) => sql.startsWith(`DELETE FROM ${table} `));
    for (const table of [
      'mcp_auth_authorization_requests',
      'mcp_auth_federation_states',
      'mcp_auth_authorization_codes',
      'mcp_auth_refresh_tokens',
      'mcp_auth_revoked_access_tokens',
      'mcp_auth_grants',
      'mcp_auth_signing_keys',
      'mcp_auth_used_jtis',
      'mcp_auth_rate_limits',
    ]) {
      expect(batchOf(table)).toMatch(/ORDER BY expires_at LIMIT 1000 FOR UPDATE SKIP LOCKED/);
    }
    // Clients expire by their document, which has no index: no order to walk.
    expect(batchOf('mcp_auth_clients')).not.toMatch(/ORDER BY/);
  });
});
