/**
 * Ad-hoc A/B of bench-app routes in one process, for investigations:
 *   node dist/bench/bench/diag.js plain noop-guard guarded        (GET /bench/<route>)
 *   DIAG_MCP=1 node dist/bench/bench/diag.js mcp-open /mcp         (POST tools/call)
 *   DIAG_MCP=1 node dist/bench/bench/diag.js mcp-open mcp-noop-guard mcp-guarded
 *     (the same MCP handler with no guard, a guard that allows, and BearerGuard alone)
 * Every request carries the same valid bearer token.
 */
import { dropDatabase, freshDatabase } from './lib/database';
import {
  isToolResult,
  MCP_HEADERS,
  mint,
  REDIRECT_URI,
  registerClient,
  TOOL_CALL,
} from './lib/fixtures';
import { runLoad, type LoadSpec } from './lib/load';
import { freePort, productionSecrets, startApp } from './lib/processes';
import { alternate, log } from './lib/scenario';

async function main(): Promise<void> {
  const routes = process.argv.slice(2);
  const url = await freshDatabase('mcp_auth_bench_diag');
  const port = await freePort();
  const app = await startApp({
    name: 'diag',
    script: 'bench/apps/bench-app.js',
    port,
    env: { DATABASE_URL: url, ISSUER_URL: `http://127.0.0.1:${port}`, ...productionSecrets() },
  });
  const peer = process.env.DIAG_PEER
    ? await startApp({
        name: 'diag-peer',
        script: 'bench/apps/sdk-peer.js',
        env: { ISSUER_URL: app.url, RESOURCE: `${app.url}/mcp` },
      })
    : undefined;
  try {
    const clientId = await registerClient(app.url);
    const [m] = await mint(app.url, {
      kind: 'refresh_tokens',
      count: 1,
      clientId,
      redirectUri: REDIRECT_URI,
    });
    const bearer = { authorization: `Bearer ${m.accessToken}` };
    const connections = Number(process.env.BENCH_CONNECTIONS ?? 20);
    // `peer:/mcp` targets the SDK peer process (DIAG_PEER=1).
    const target = (route: string) => (route.startsWith('peer:') ? peer! : app);
    const path = (route: string) => route.replace(/^peer:/, '');
    const spec = (route: string): LoadSpec => ({
      url: path(route).startsWith('/')
        ? `${target(route).url}${path(route)}`
        : `${target(route).url}/bench/${path(route)}`,
      connections,
      pid: target(route).pid,
      ...(process.env.DIAG_MCP
        ? {
            method: 'POST',
            body: TOOL_CALL,
            verify: isToolResult,
            headers: { ...MCP_HEADERS, ...bearer },
          }
        : { headers: bearer }),
    });
    const summaries = await alternate(
      'diag',
      routes.map((route) => ({
        label: route,
        run: () => runLoad({ ...spec(route), duration: 3 }),
        warmup: () => runLoad({ ...spec(route), duration: 1.5 }),
      })),
    );
    for (const s of summaries) {
      log(
        `${s.label}: ${s.rps.toFixed(0)} req/s, ratio ${((s.ratio ?? 1) * 100).toFixed(1)} %, ` +
          `CPU ${s.cpuUs.toFixed(1)} µs/req, errors ${s.errors}`,
      );
    }
  } finally {
    await peer?.stop();
    await app.stop();
    await dropDatabase('mcp_auth_bench_diag');
  }
}

void main();
