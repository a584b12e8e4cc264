/**
 * Scenario 1: guard overhead on a trivial JSON route, `GET /bench/plain` vs `GET /bench/guarded`
 * with the same request and token, plus a new token every request and no Authorization header.
 */
import { transactionCount } from '../lib/database';
import { distinctTokens } from '../lib/shared-app';
import { alternate, SETTINGS, timed, type Scenario } from '../lib/scenario';

export const guardTrivialScenario: Scenario = {
  id: '1',
  name: 'guard-trivial',
  description: 'guard overhead, trivial JSON route',
  sharedApp: true,
  async run({ app, auth, database }) {
    const c = SETTINGS.connections;
    const tokens = await distinctTokens(app, auth.clientId, 20_000);
    const pid = app.pid;
    const summaries = await alternate('S1', [
      // The same request as the guarded rows (token included): only the guard differs.
      timed('unguarded GET /bench/plain (same request, token ignored)', {
        url: `${app.url}/bench/plain`,
        headers: auth.authorization,
        connections: c,
        pid,
      }),
      timed('guarded GET /bench/guarded, same token every request', {
        url: `${app.url}/bench/guarded`,
        headers: auth.authorization,
        connections: c,
        pid,
        countTransactions: () => transactionCount(database),
      }),
      timed('guarded, a new token every request (signature checked each time)', {
        url: `${app.url}/bench/guarded`,
        headerSets: tokens,
        connections: c,
        pid,
      }),
      timed('unguarded, no Authorization header at all', {
        url: `${app.url}/bench/plain`,
        connections: c,
        pid,
      }),
    ]);
    return {
      id: '1',
      title: 'Guard overhead, trivial JSON route',
      summaries,
      // The guard's cost at most 10 % (Fastify: scenario 8).
      target: { text: 'guarded ≥ 90 % of unguarded (Express)', variant: 1, minRatio: 0.9 },
    };
  },
};
