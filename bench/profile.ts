/**
 * Profiles one bench target: starts the bench app with --cpu-prof, drives one variant for
 * BENCH_DURATION seconds (default 8), stops the app and prints the profile summary.
 *
 *   npm run bench:profile -- plain|guarded|guarded-distinct|mcp|mcp-open|mcp-guarded|refresh|code|peer
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { dropDatabase, freshDatabase } from './lib/database';
import {
  codeBody,
  FORM_HEADERS,
  isToolResult,
  MCP_HEADERS,
  mint,
  REDIRECT_URI,
  refreshBody,
  registerClient,
  TOOL_CALL,
} from './lib/fixtures';
import { runLoad, type LoadSpec } from './lib/load';
import { DIST, freePort, productionSecrets, PROFILE_DIR, startApp } from './lib/processes';

const DB = 'mcp_auth_bench_profile';

async function main(): Promise<void> {
  const target = process.argv[2] ?? 'guarded';
  const duration = Number(process.env.BENCH_DURATION ?? 8);
  const connections = Number(process.env.BENCH_CONNECTIONS ?? 20);
  mkdirSync(PROFILE_DIR, { recursive: true });
  process.env.BENCH_PROFILE_DIR = PROFILE_DIR;
  const url = await freshDatabase(DB);
  const port = await freePort();
  const app = await startApp({
    name: `profile-${target}`,
    script: 'bench/apps/bench-app.js',
    port,
    env: { DATABASE_URL: url, ISSUER_URL: `http://127.0.0.1:${port}`, ...productionSecrets() },
  });
  let peer: Awaited<ReturnType<typeof startApp>> | undefined;
  try {
    const clientId = await registerClient(app.url);
    const [first] = await mint(app.url, {
      kind: 'refresh_tokens',
      count: 1,
      clientId,
      redirectUri: REDIRECT_URI,
    });
    const bearer = { authorization: `Bearer ${first.accessToken}` };
    const mcp = { method: 'POST', body: TOOL_CALL, verify: isToolResult } as const;
    let spec: LoadSpec;
    switch (target) {
      case 'plain':
        spec = {
          url: `${app.url}/bench/plain`,
          headers: process.env.BENCH_PLAIN_HEADER ? bearer : {},
          connections,
        };
        break;
      case 'guarded':
        spec = { url: `${app.url}/bench/guarded`, headers: bearer, connections };
        break;
      case 'guarded-distinct': {
        const tokens = await mint(app.url, {
          kind: 'access_tokens',
          count: 20_000,
          clientId,
          redirectUri: REDIRECT_URI,
        });
        spec = {
          url: `${app.url}/bench/guarded`,
          headerSets: tokens.map((t) => ({ authorization: `Bearer ${t}` })),
          connections,
        };
        break;
      }
      case 'mcp':
        spec = {
          url: `${app.url}/mcp`,
          headers: { ...MCP_HEADERS, ...bearer },
          connections,
          ...mcp,
        };
        break;
      case 'mcp-open':
        spec = { url: `${app.url}/bench/mcp-open`, headers: MCP_HEADERS, connections, ...mcp };
        break;
      case 'mcp-guarded':
        spec = {
          url: `${app.url}/bench/mcp-guarded`,
          headers: { ...MCP_HEADERS, ...bearer },
          connections,
          ...mcp,
        };
        break;
      case 'peer':
      case 'peer-open':
        peer = await startApp({
          name: 'profile-peer',
          script: 'bench/apps/sdk-peer.js',
          env: { ISSUER_URL: app.url, RESOURCE: `${app.url}/mcp` },
        });
        spec = {
          url: `${peer.url}/${target === 'peer' ? 'mcp' : 'mcp-open'}`,
          headers: { ...MCP_HEADERS, ...bearer },
          connections,
          ...mcp,
        };
        break;
      case 'refresh': {
        // Enough for the warm-up and the profiled run.
        const minted = await mint(app.url, {
          kind: 'refresh_tokens',
          count: 10_000,
          clientId,
          redirectUri: REDIRECT_URI,
        });
        spec = {
          url: `${app.url}/token`,
          method: 'POST',
          headers: FORM_HEADERS,
          bodies: minted.map((m) => refreshBody(clientId, m.refreshToken)),
          connections,
        };
        break;
      }
      case 'code': {
        // Codes live 60 s: mint no more than the runs use.
        const minted = await mint(app.url, {
          kind: 'codes',
          count: 8000,
          clientId,
          redirectUri: REDIRECT_URI,
        });
        spec = {
          url: `${app.url}/token`,
          method: 'POST',
          headers: FORM_HEADERS,
          bodies: minted.map((m) => codeBody(clientId, m)),
          connections,
        };
        break;
      }
      default:
        throw new Error(`unknown target ${target}`);
    }
    // Warm up unprofiled, then profile only the measured load.
    const target_ = peer ?? app;
    const bodies = spec.bodies;
    await runLoad(bodies ? { ...spec, bodies: bodies.slice(0, 1000) } : { ...spec, duration: 2 });
    await target_.toggleProfile();
    const result = await runLoad(
      bodies
        ? { ...spec, bodies: bodies.slice(1000), pid: target_.pid }
        : { ...spec, duration, pid: target_.pid },
    );
    const file = await target_.toggleProfile();
    process.stdout.write(
      `${target}: ${result.rps.toFixed(0)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms, ` +
        `errors ${result.errors}, ${result.requests} requests, app CPU ${result.cpuUs.toFixed(0)} µs/req\n`,
    );
    process.stdout.write(`profile: ${file}\n`);
    process.stdout.write(
      execFileSync(
        process.execPath,
        [
          join(DIST, 'bench', 'profile-summary.js'),
          String(file),
          String(result.requests),
          process.env.BENCH_FILTER ?? '',
        ],
        { encoding: 'utf8' },
      ),
    );
  } finally {
    await peer?.stop();
    await app.stop();
    await dropDatabase(DB);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
