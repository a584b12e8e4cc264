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

    const clients = recorder();
    await new TypeOrmClientStore(clients.dataSource, issuer).findById(clientId);

    const codes = recorder();
    await new TypeOrmAuthorizationCodeStore(codes.dataSource, issuer).consume(
      hashSecret(code.code),
      {
        clientId,
        codeChallenge: computeS256Challenge(code.verifier),
        redirectUri: REDIRECT_URI,
        resource: undefined,
      },
    );

    // The UPDATE "returns" the real row, so the store goes on to the successor INSERT.
    const { rows: current } = await client.query(
      `SELECT rt.token_hash, rt.grant_id, rt.client_id, g.subject, rt.scopes, rt.resource,
              rt.created_at, rt.expires_at, rt.rotated_at
         FROM mcp_auth_refresh_tokens rt JOIN mcp_auth_grants g ON g.id = rt.grant_id
        WHERE rt.issuer = $1 AND rt.token_hash = $2`,
      [issuer, hashSecret(refresh.refreshToken)],
    );
    const rotation = recorder([current, current]);
    await new TypeOrmGrantStore(rotation.dataSource, issuer).rotateRefreshToken(
      hashSecret(refresh.refreshToken),
      clientId,
      (previous) => ({
        tokenHash: hashSecret(`successor-${Date.now()}`),
        scopes: previous.scopes,
        resource: previous.resource,
        expiresAt: new Date(Date.now() + 86_400_000),
      }),
    );

    const issue = recorder([current]);
    await new TypeOrmGrantStore(issue.dataSource, issuer).issueRefreshToken({
      tokenHash: hashSecret(`first-${Date.now()}`),
      grantId: current[0].grant_id as string,
      clientId,
      scopes: ['mcp:tools'],
      resource: current[0].resource as string,
      expiresAt: new Date(Date.now() + 86_400_000),
    });

    const { rows: counts } = await client.query<{ name: string; n: string }>(
      `SELECT 'mcp_auth_clients' AS name, count(*)::text AS n FROM mcp_auth_clients
       UNION ALL SELECT 'mcp_auth_grants', count(*)::text FROM mcp_auth_grants
       UNION ALL SELECT 'mcp_auth_authorization_codes', count(*)::text FROM mcp_auth_authorization_codes
       UNION ALL SELECT 'mcp_auth_refresh_tokens', count(*)::text FROM mcp_auth_refresh_tokens`,
    );

    const sections: { title: string; why: string; statements: Captured[] }[] = [
      {
        title: 'Client lookup (every token request)',
        why: 'ClientStore.findById: primary-key lookup on (issuer, client_id).',
        statements: [clients.captured[0]],
      },
      {
        title: 'Authorization code consumption (authorization_code grant)',
        why:
          'AuthorizationCodeStore.consume: one UPDATE … RETURNING checks the binding (client, ' +
          'PKCE challenge, redirect_uri, resource) and decides the single winner.',
        statements: [codes.captured[0]],
      },
      {
        title: 'Refresh-token rotation (refresh_token grant): two statements, no BEGIN/COMMIT',
        why:
          'GrantStore.rotateRefreshToken: a plain read of the live token (for the scope and ' +
          'resource checks), then one statement whose UPDATE marks it rotated (row lock, joined ' +
          'to its grant to refuse revoked families) and whose INSERT stores the successor and ' +
          'stretches the grant: atomic on its own, so no explicit transaction.',
        statements: rotation.captured.slice(0, 2),
      },
      {
        title: 'First refresh token of a family (authorization_code grant)',
        why: 'GrantStore.issueRefreshToken: INSERT plus grant stretch in one statement.',
        statements: issue.captured.slice(0, 1),
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
