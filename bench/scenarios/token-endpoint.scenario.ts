/**
 * Scenario 4: the token endpoint on PostgreSQL, `refresh_token` grants (each a rotation) and
 * `authorization_code` exchanges, each request consuming a distinct pre-minted credential,
 * against a route that parses the same form without the database. Also writes
 * bench/results/explain.md (EXPLAIN of the hot statements).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { backendPids, databaseUrl } from '../lib/database';
import { explainHotQueries } from '../lib/explain';
import {
  codeBody,
  FORM_HEADERS,
  mint,
  mintRefreshBodies,
  REDIRECT_URI,
  refreshBody,
} from '../lib/fixtures';
import { runLoad } from '../lib/load';
import { ROOT } from '../lib/processes';
import { alternate, log, SETTINGS, timed, type Scenario } from '../lib/scenario';

export const tokenEndpointScenario: Scenario = {
  id: '4',
  name: 'token-endpoint',
  description: 'token endpoint on Postgres',
  sharedApp: true,
  async run({ app, auth, database }) {
    const c = SETTINGS.connections;
    const clientId = auth.clientId;
    const n = SETTINGS.tokenRequests;
    let refreshBodies: string[] = [];
    let codeBodies: string[] = [];
    const mintRefresh = (count: number): Promise<string[]> =>
      mintRefreshBodies(app.url, clientId, count);
    const mintCodes = async (count: number): Promise<string[]> =>
      (await mint(app.url, { kind: 'codes', count, clientId, redirectUri: REDIRECT_URI })).map(
        (m) => codeBody(clientId, m),
      );
    const tokenRun = (bodies: () => string[]) => async () =>
      runLoad({
        url: `${app.url}/token`,
        method: 'POST',
        headers: FORM_HEADERS,
        bodies: bodies(),
        connections: c,
        pid: app.pid,
        // The app's pool connections: the database's share of the CPU (same machine).
        extraPids: await backendPids(database),
      });
    const warmCount = Math.min(500, n);
    const summaries = await alternate(
      'S4',
      [
        timed('baseline: POST /bench/form (same form, no database)', {
          url: `${app.url}/bench/form`,
          method: 'POST',
          headers: FORM_HEADERS,
          body: refreshBody(clientId, 'x'.repeat(43)),
          connections: c,
          pid: app.pid,
        }),
        {
          label: 'refresh_token grant with rotation',
          warmup: async () =>
            runLoad({
              url: `${app.url}/token`,
              method: 'POST',
              headers: FORM_HEADERS,
              bodies: await mintRefresh(warmCount),
              connections: c,
            }),
          prepare: async () => {
            refreshBodies = await mintRefresh(n);
          },
          run: tokenRun(() => refreshBodies),
        },
        {
          label: 'authorization_code exchange (PKCE)',
          warmup: async () =>
            runLoad({
              url: `${app.url}/token`,
              method: 'POST',
              headers: FORM_HEADERS,
              bodies: await mintCodes(warmCount),
              connections: c,
            }),
          // Codes live 60 s: minted right before their run.
          prepare: async () => {
            codeBodies = await mintCodes(n);
          },
          run: tokenRun(() => codeBodies),
        },
      ],
      SETTINGS.longRounds,
    );
    log('EXPLAIN (ANALYZE) of the hot queries');
    await mkdir(join(ROOT, 'bench', 'results'), { recursive: true });
    await writeFile(
      join(ROOT, 'bench', 'results', 'explain.md'),
      await explainHotQueries(databaseUrl(database), app.url, clientId),
    );
    return {
      id: '4',
      title: 'Token endpoint on Postgres (each request consumes a distinct pre-minted credential)',
      summaries,
      target: {
        text: '≥ 1,000 refresh grants/s and ≥ 800 code exchanges/s, zero errors',
        minRps: { 1: 1000, 2: 800 },
        zeroErrors: true,
      },
    };
  },
};
