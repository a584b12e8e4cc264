import { DataSource } from 'typeorm';
import { MCP_AUTH_ENTITIES } from '@app/mcp-auth';
import { openTestDatabase, type TestDatabase } from '../../support/test-database';
import { TcpProxy } from './tcp-proxy';

/** A fresh, migrated Postgres database that a test reaches through a proxy it can cut. */
export interface ProxiedDatabase {
  /** The database as the app sees it, through the proxy (pass it as `db` to an app). */
  db: TestDatabase;
  /** Cutting it is the outage; `restore()` ends it. */
  proxy: TcpProxy;
  /** Closes the proxied connections, the proxy and drops the database. */
  close(): Promise<void>;
}

/** Needs a real Postgres (DATABASE_URL): the embedded database runs in-process. */
export async function openProxiedDatabase(poolSize = 10): Promise<ProxiedDatabase> {
  const real = await openTestDatabase({ name: 'postgres' });
  const target = new URL(real.url!);
  const proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
  await proxy.start();
  const viaProxy = new URL(real.url!);
  viaProxy.host = `127.0.0.1:${proxy.port}`;
  const dataSource = new DataSource({
    type: 'postgres',
    url: viaProxy.toString(),
    entities: [...MCP_AUTH_ENTITIES],
    // Fail fast: a connection attempt that hangs gives up after one second.
    extra: { max: poolSize, connectionTimeoutMillis: 1000 },
  });
  try {
    await dataSource.initialize();
  } catch (error) {
    await proxy.close();
    await real.close();
    throw error;
  }
  return {
    // The app must not end the shared pool: the proxied database closes it.
    db: { dataSource, url: viaProxy.toString(), close: async () => undefined },
    proxy,
    close: async () => {
      await dataSource.destroy().catch(() => undefined);
      await proxy.close();
      await real.close();
    },
  };
}
