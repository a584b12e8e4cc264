import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import {
  TypeOrmAuthorizationCodeStore,
  TypeOrmClientStore,
  TypeOrmGrantStore,
} from '../../libs/mcp-auth/src/storage/typeorm/stores';
import { computeS256Challenge } from '../../libs/mcp-auth/src/oauth/pkce';
import { hashSecret } from '../../libs/mcp-auth/src/tokens/secret-hash';
import { mint, REDIRECT_URI } from './fixtures';

interface Captured {
  sql: string;
  params: unknown[];
}

/**
 * A stand-in DataSource that records the SQL a store sends instead of running it, so the
 * statements explained below are exactly the stores' own, not copies that could drift.
 * `answers` supplies the rows each successive statement "returns".
 */
function recorder(answers: unknown[][] = []) {
  const captured: Captured[] = [];
  const runner = {
    query: async (sql: string, params: unknown[] = []) => {
      captured.push({ sql, params });
      return answers.shift() ?? [];
    },
  };
  const dataSource = {
    ...runner,
    transaction: async (work: (manager: typeof runner) => Promise<unknown>) => work(runner),
  } as unknown as DataSource;
  return { captured, dataSource };
}

const clean = (sql: string): string =>
  sql
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== '')
    .join('\n');

/**
 * EXPLAIN (ANALYZE, BUFFERS) of the token endpoint's hot statements on the benchmark database
 * after scenario 4 filled it, each inside a transaction that is rolled back. The SQL comes from
 * the stores themselves (see `recorder`), with real hashes of freshly minted credentials.
 */
export async function explainHotQueries(
  databaseUrl: string,
  appUrl: string,
  clientId: string,
): Promise<string> {
  const [code] = await mint(appUrl, {
    kind: 'codes',
    count: 1,
    clientId,
    redirectUri: REDIRECT_URI,
  });
  const [refresh] = await mint(appUrl, {
    kind: 'refresh_tokens',
    count: 1,
    clientId,
    redirectUri: REDIRECT_URI,
  });

  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows: issuerRows } = await client.query<{ issuer: string }>(
      'SELECT issuer FROM mcp_auth_clients WHERE client_id = $1',
      [clientId],
    );
    const issuer = issuerRows[0].issuer;
    // The client's row version, as the token endpoint's statements confirm it.
    const { rows: versionRows } = await client.query<{ version: string }>(
      'SELECT xmin::text AS version FROM mcp_auth_clients WHERE client_id = $1',
      [clientId],
    );
    const clientVersion = versionRows[0].version;

    const clients = recorder();
    await new TypeOrmClientStore(clients.dataSource, issuer).findById(clientId);

    // The exchange as the code grant sends it: consume the code and store the first refresh
    // token in one statement. (The recorder "returns" no row, so the store also sends the
    // refused path's SELECT; only the first statement is explained.)
    const codes = recorder([[], [{ client_current: true, code_hash: null }]]);
    await new TypeOrmAuthorizationCodeStore(codes.dataSource, issuer).consume(
      hashSecret(code.code),
      {
        clientId,
        codeChallenge: computeS256Challenge(code.verifier),
        redirectUri: REDIRECT_URI,
        resource: undefined,
        clientVersion,
      },
      {
        tokenHash: hashSecret(`first-${Date.now()}`),
        expiresAt: new Date(Date.now() + 86_400_000),
      },
    );

    // A refresh as the refresh grant sends it: one statement judges, rotates and stores.
    const rotation = recorder([[{ client_current: true, next_hash: null }]]);
    await new TypeOrmGrantStore(rotation.dataSource, issuer).rotateRefreshToken({
      tokenHash: hashSecret(refresh.refreshToken),
      clientId,
      requestedScopes: [],
      requestedResource: undefined,
      successorHash: hashSecret(`successor-${Date.now()}`),
      successorExpiresAt: new Date(Date.now() + 86_400_000),
      clientVersion,
    });

    const { rows: counts } = await client.query<{ name: string; n: string }>(
      `SELECT 'mcp_auth_clients' AS name, count(*)::text AS n FROM mcp_auth_clients
       UNION ALL SELECT 'mcp_auth_grants', count(*)::text FROM mcp_auth_grants
       UNION ALL SELECT 'mcp_auth_authorization_codes', count(*)::text FROM mcp_auth_authorization_codes
       UNION ALL SELECT 'mcp_auth_refresh_tokens', count(*)::text FROM mcp_auth_refresh_tokens`,
    );

    const sections: { title: string; why: string; statements: Captured[] }[] = [
      {
        title: 'Client lookup (token requests of other grants; code and refresh reuse it)',
        why:
          'ClientStore.findById: primary-key lookup on (issuer, client_id), with the row version ' +
          '(xmin). The code and refresh grants authenticate against a client read in the last ' +
          '30 s and confirm that version inside their own statement, so in the steady state they ' +
          'do not send this one.',
        statements: [clients.captured[0]],
      },
      {
        title: 'Code exchange (authorization_code grant): one statement',
        why:
          'AuthorizationCodeStore.consume with the first refresh token: the UPDATE … RETURNING ' +
          'checks the binding (client, PKCE challenge, redirect_uri, resource) and the client ' +
          'row version, and decides the ' +
          'single winner (row lock); only for the winner the INSERT stores the refresh token ' +
          'under the code’s grant and the grant UPDATE stretches its lifetime and sets ' +
          'last_used_at. One round trip, one implicit transaction. A refused exchange sends a ' +
          'second, plain SELECT to say why.',
        statements: [codes.captured[0]],
      },
      {
        title: 'Refresh-token rotation (refresh_token grant): one statement',
        why:
          'GrantStore.rotateRefreshToken: `client` confirms the client row version, `cur` reads ' +
          'the token and its grant; the UPDATE marks it rotated only if the client is unchanged, ' +
          'the token this client’s and live, its grant not revoked and the request ' +
          'fits it (requested scopes ⊆ its scopes, resource equal); the INSERT stores the ' +
          'successor with the old scopes and the grant UPDATE stretches the grant, both only if ' +
          'the UPDATE did. The answer row tells rotated, reused, revoked, expired, invalid_scope ' +
          'and invalid_target apart; only the loser of a concurrent race sends a second SELECT.',
        statements: [rotation.captured[0]],
      },
    ];

    const out: string[] = ['# EXPLAIN (ANALYZE, BUFFERS) of the token endpoint’s hot queries', ''];
    out.push(
      'Run by `npm run bench` on the benchmark database right after scenario 4, with real hashes ' +
        'of freshly minted credentials; each section runs in a transaction that is rolled back. ' +
        'The SQL is captured from the stores themselves, not copied.',
      '',
      'Rows at the time: ' +
        counts.map((r) => `${r.name} ${Number(r.n).toLocaleString('en-US')}`).join(', ') +
        '.',
      '',
    );
    for (const section of sections) {
      out.push(`## ${section.title}`, '', section.why, '');
      await client.query('BEGIN');
      try {
        for (const statement of section.statements) {
          const { rows } = await client.query<{ 'QUERY PLAN': string }>(
            `EXPLAIN (ANALYZE, BUFFERS) ${statement.sql}`,
            statement.params,
          );
          out.push('```sql', clean(statement.sql), '```', '', '```');
          out.push(...rows.map((row) => row['QUERY PLAN']), '```', '');
        }
      } finally {
        await client.query('ROLLBACK');
      }
    }
    return out.join('\n');
  } finally {
    await client.end();
  }
}
