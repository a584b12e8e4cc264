import { Client, type Notification } from 'pg';
import {
  DATABASE_TARGETS,
  openTestDatabase,
  type TestDatabase,
} from '../../../../../../test/support/test-database';
import { describeOnPostgres } from '../../../../../../test/support/skip';
import { REVOCATION_CHANNEL } from '../../grant-store.interface';
import { TypeOrmClientStore } from './typeorm-client.store';
import { TypeOrmGrantStore } from './typeorm-grant.store';

const ISSUER = 'https://notices.example.com';
const POSTGRES = DATABASE_TARGETS.find((target) => target.name === 'postgres');

interface Notice {
  issuer: string;
  kind: string;
  id: string;
}

/**
 * What other instances hear: the administration API's revocations (deleting a client, revoking
 * by subject or client, one grant) NOTIFY every revoked grant on the revocation channel, so a
 * deny-list in another process drops it at once rather than at its next poll. Postgres only: a
 * second connection LISTENs as another instance would.
 */
describeOnPostgres('revocation notices of the administration API (postgres)', () => {
  let db: TestDatabase;
  let listener: Client;
  let grants: TypeOrmGrantStore;
  let clients: TypeOrmClientStore;
  const heard: Notice[] = [];

  beforeAll(async () => {
    db = await openTestDatabase(POSTGRES!);
    grants = new TypeOrmGrantStore(db.dataSource, ISSUER);
    clients = new TypeOrmClientStore(db.dataSource, ISSUER);
    listener = new Client({ connectionString: db.url });
    await listener.connect();
    listener.on('notification', (message: Notification) => {
      if (message.channel === REVOCATION_CHANNEL && message.payload) {
        heard.push(JSON.parse(message.payload) as Notice);
      }
    });
    await listener.query(`LISTEN ${REVOCATION_CHANNEL}`);
  });
  afterAll(async () => {
    await listener?.end();
    await db?.close();
  });

  const liveGrant = (clientId: string, subject: string) =>
    grants.createGrant({
      clientId,
      subject,
      scopes: ['mcp:tools'],
      resource: `${ISSUER}/mcp`,
      expiresAt: new Date(Date.now() + 60_000),
    });

  /** The ids notified since `from`, once they have all arrived (or after 2 s). */
  async function noticesFor(ids: readonly string[], from: number): Promise<string[]> {
    const deadline = Date.now() + 2000;
    const got = () =>
      heard
        .slice(from)
        .filter((n) => n.issuer === ISSUER && n.kind === 'grant')
        .map((n) => n.id);
    while (Date.now() < deadline && !ids.every((id) => got().includes(id))) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return got();
  }

  it('ClientStore.delete notifies each grant it revoked, and returns their ids', async () => {
    await clients.create({
      clientId: 'app-gone',
      clientSecretHash: null,
      clientSecretExpiresAt: null,
      redirectUris: ['https://app.example.com/cb'],
      tokenEndpointAuthMethod: 'none',
      grantTypes: ['authorization_code', 'refresh_token'],
      responseTypes: ['code'],
      applicationType: 'web',
      clientName: null,
      scope: null,
      metadata: {},
      source: 'dynamic',
    });
    const a = await liveGrant('app-gone', 'alice');
    const b = await liveGrant('app-gone', 'bob');
    const from = heard.length;
    const deletion = await clients.delete('app-gone');
    expect([...(deletion?.revokedGrantIds ?? [])].sort()).toEqual([a.id, b.id].sort());
    expect((await noticesFor([a.id, b.id], from)).sort()).toEqual([a.id, b.id].sort());
  });

  it('GrantStore.revokeGrantsWhere notifies each grant it revoked, and only those', async () => {
    const mine = await liveGrant('app-1', 'carol');
    const mineToo = await liveGrant('app-2', 'carol');
    const other = await liveGrant('app-1', 'dave');
    const from = heard.length;
    const revoked = await grants.revokeGrantsWhere(
      { subject: 'carol' },
      'revoked_by_administrator',
    );
    expect(revoked.map((g) => g.id).sort()).toEqual([mine.id, mineToo.id].sort());
    const notified = await noticesFor([mine.id, mineToo.id], from);
    expect(notified.sort()).toEqual([mine.id, mineToo.id].sort());
    expect(notified).not.toContain(other.id);
  });

  it('revoking one grant by id notifies it once; a second call revokes and notifies nothing', async () => {
    const grant = await liveGrant('app-3', 'erin');
    const from = heard.length;
    expect(
      (await grants.revokeGrantsWhere({ grantId: grant.id }, 'revoked_by_administrator')).map(
        (g) => g.id,
      ),
    ).toEqual([grant.id]);
    expect(
      await grants.revokeGrantsWhere({ grantId: grant.id }, 'revoked_by_administrator'),
    ).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await noticesFor([grant.id], from)).toEqual([grant.id]);
  });
});
