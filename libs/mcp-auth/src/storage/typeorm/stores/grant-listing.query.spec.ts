import { InvalidGrantListQueryError } from '../../grant-store.interface';
import { listGrants } from './grant-listing.query';
import { encodeGrantCursor } from './grant-list-cursor';
import type { SqlRunner } from './query-rows';

const ID = '0b7c6a52-3c1e-4e4f-9a51-3f5d2b7a9c10';
const AT = new Date('2024-01-02T03:04:05.000Z');
const grantRow = (id: string) => ({
  id,
  client_id: 'client-1',
  subject: 'alice',
  scopes: ['mcp:tools'],
  resource: 'https://as.example.com/mcp',
  created_at: AT,
  expires_at: AT,
  revoked_at: null,
  revoked_reason: null,
  last_used_at: null,
  created_at_text: '2024-01-02T03:04:05.000001Z',
});

/** Not a DataSource, so queryRows hands every statement to `query`. */
function recordingRunner(rows: unknown[]) {
  const query = jest.fn(async (_sql: string, _parameters?: unknown[]) => rows);
  return { runner: { query } satisfies SqlRunner, query };
}

describe('listGrants (the keyset-paginated grant listing)', () => {
  it('numbers only the filters given, the cursor and the limit after them', async () => {
    const { runner, query } = recordingRunner([]);
    const cursor = encodeGrantCursor({ createdAt: '2024-01-02T03:04:05.000001Z', id: ID });
    await listGrants(runner, 'iss', { limit: 5, clientId: 'client-1', status: 'active', cursor });
    const [sql, parameters] = query.mock.calls[0];
    expect(sql).toContain(
      'WHERE issuer = $1 AND client_id = $2 AND revoked_at IS NULL AND expires_at > now() ' +
        'AND (created_at, id) < ($3::timestamptz, $4::uuid)',
    );
    expect(sql).toContain('ORDER BY created_at DESC, id DESC LIMIT $5');
    expect(parameters).toEqual(['iss', 'client-1', '2024-01-02T03:04:05.000001Z', ID, 6]);
  });

  it('fetches one grant more than the page to know whether another page follows', async () => {
    const { runner } = recordingRunner([grantRow(ID), grantRow('second')]);
    const page = await listGrants(runner, 'iss', { limit: 1, subject: 'alice' });
    expect(page.grants.map((grant) => grant.id)).toEqual([ID]);
    expect(page.nextCursor).toBe(
      encodeGrantCursor({ createdAt: '2024-01-02T03:04:05.000001Z', id: ID }),
    );
    const { runner: lastPage } = recordingRunner([grantRow(ID)]);
    expect((await listGrants(lastPage, 'iss', { limit: 1 })).nextCursor).toBeNull();
  });

  it('refuses a limit out of range or a foreign cursor before running anything', async () => {
    const { runner, query } = recordingRunner([]);
    for (const limit of [0, 1.5, 1_000_000]) {
      await expect(listGrants(runner, 'iss', { limit })).rejects.toThrow(
        InvalidGrantListQueryError,
      );
    }
    await expect(listGrants(runner, 'iss', { limit: 1, cursor: 'not-ours' })).rejects.toThrow(
      InvalidGrantListQueryError,
    );
    expect(query).not.toHaveBeenCalled();
  });
});
