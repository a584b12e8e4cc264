/**
 * The bench app that scenarios 1 to 4 share (the sample's AppModule plus BenchController on its
 * own scratch database), the client registered on it and helpers to mint credentials on any
 * bench app.
 */
import { dropDatabase, freshDatabase } from './database';
import { mint, REDIRECT_URI, registerClient } from './fixtures';
import { startBenchAppOn, type AppProcess } from './processes';
import { log } from './scenario';

export interface Authorized {
  clientId: string;
  token: string;
  authorization: Record<string, string>;
}

/** The shared app, its database and a client with one valid access token. */
export interface SharedApp {
  app: AppProcess;
  database: string;
  auth: Authorized;
}

const DB_MAIN = 'mcp_auth_bench';

/** A bench app (sample AppModule + BenchController) on its own scratch database. */
export async function startBenchApp(name: string, database: string): Promise<AppProcess> {
  return startBenchAppOn(name, await freshDatabase(database));
}

/** Registers a client (public, PKCE) and mints one access token for it. */
export async function authorize(app: AppProcess): Promise<Authorized> {
  const clientId = await registerClient(app.url);
  const [minted] = await mint(app.url, {
    kind: 'refresh_tokens',
    count: 1,
    clientId,
    redirectUri: REDIRECT_URI,
  });
  return {
    clientId,
    token: minted.accessToken,
    authorization: { authorization: `Bearer ${minted.accessToken}` },
  };
}

/** `count` distinct access tokens, as Authorization header sets. */
export async function distinctTokens(
  app: AppProcess,
  clientId: string,
  count: number,
): Promise<Record<string, string>[]> {
  const tokens = await mint(app.url, {
    kind: 'access_tokens',
    count,
    clientId,
    redirectUri: REDIRECT_URI,
  });
  return tokens.map((token) => ({ authorization: `Bearer ${token}` }));
}

export async function startSharedApp(): Promise<SharedApp> {
  const app = await startBenchApp('bench-app', DB_MAIN);
  log(`bench app on ${app.url} (pid ${app.pid})`);
  try {
    return { app, database: DB_MAIN, auth: await authorize(app) };
  } catch (error) {
    await app.stop();
    await dropDatabase(DB_MAIN);
    throw error;
  }
}

export async function stopSharedApp(shared: SharedApp): Promise<void> {
  await shared.app.stop();
  await dropDatabase(shared.database);
}
