/**
 * Scenario 5: verification cost by key count. The guarded trivial route with a new token every
 * request on an app with 1 key and one with 10 keys in its JWKS, and a resource-server-only app
 * (remote JWKS, keys cached) in front of the 10-key app; database transactions are counted.
 */
import { dropDatabase, transactionCount } from '../lib/database';
import { rotateKeys } from '../lib/fixtures';
import { startApp, type AppProcess } from '../lib/processes';
import { alternate, SETTINGS, timed, type Scenario } from '../lib/scenario';
import { authorize, distinctTokens, startBenchApp } from '../lib/shared-app';

const DB_KEYS = 'mcp_auth_bench_keys';
const DB_ONE_KEY = 'mcp_auth_bench_one_key';

export const verificationKeysScenario: Scenario = {
  id: '5',
  name: 'verification-keys',
  description: 'verification cost by number of keys, local and remote JWKS',
  async run() {
    const c = SETTINGS.connections;
    // Two fresh apps alike but for their key sets.
    const one = await startBenchApp('bench-app-1-key', DB_ONE_KEY);
    const ten = await startBenchApp('bench-app-10-keys', DB_KEYS);
    let remote: AppProcess | undefined;
    try {
      const keyCount = await rotateKeys(ten.url, 9);
      const oneAuth = await authorize(one);
      const tenAuth = await authorize(ten);
      remote = await startApp({
        name: 'remote-jwks-rs',
        script: 'bench/apps/resource-server-app.js',
        env: { ISSUER_URL: ten.url, RESOURCE: `${ten.url}/mcp`, NODE_ENV: 'production' },
      });
      const oneTokens = await distinctTokens(one, oneAuth.clientId, 20_000);
      const tenTokens = await distinctTokens(ten, tenAuth.clientId, 20_000);
      const guarded = (
        app: AppProcess,
        headerSets: Record<string, string>[],
        database?: string,
      ) => ({
        url: `${app.url}/bench/guarded`,
        headerSets,
        connections: c,
        pid: app.pid,
        ...(database ? { countTransactions: () => transactionCount(database) } : {}),
      });
      const long = SETTINGS.duration;
      const summaries = await alternate(
        'S5',
        [
          timed('local verifier, 1 key in JWKS', guarded(one, oneTokens, DB_ONE_KEY), long),
          timed(`local verifier, ${keyCount} keys in JWKS`, guarded(ten, tenTokens, DB_KEYS), long),
          timed(
            `remote-JWKS verifier (McpResourceServerModule), ${keyCount} keys cached`,
            guarded(remote, tenTokens),
            long,
          ),
        ],
        SETTINGS.rounds,
      );
      return {
        id: '5',
        title: 'Verification cost by keys (guarded trivial route, a new token every request)',
        summaries,
        target: { text: 'no database or network round trip per request (see note)' },
      };
    } finally {
      await remote?.stop();
      await ten.stop();
      await one.stop();
      await dropDatabase(DB_KEYS);
      await dropDatabase(DB_ONE_KEY);
    }
  },
};
