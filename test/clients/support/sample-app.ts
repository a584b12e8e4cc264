import type { INestApplication } from '@nestjs/common';
import { AppModule } from '../../../apps/sample-mcp-server/src/app.module';
import { loadAppConfig } from '../../../apps/sample-mcp-server/src/config/app-config';
import { createSampleApplication } from '../../../apps/sample-mcp-server/src/http/http-adapter';
import { freePort, TEST_HTTP_ADAPTER } from '../../support/test-app';
import { createScratchDatabase } from './scratch-database';

export const DEMO_USER = { username: 'demo', password: 'demo-password' } as const;
/** The token subject of the demo user (DemoAuthenticator). */
export const DEMO_SUBJECT = 'demo|demo';

export interface SampleApp {
  app: INestApplication;
  /** `http://127.0.0.1:<port>`: the issuer and the origin of the MCP endpoint. */
  issuer: string;
  /** `<issuer>/mcp`. */
  mcpUrl: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Boots the real sample application, `AppModule.forRoot(loadAppConfig(env))` exactly as
 * main.ts builds it, in this process on a free loopback port, with ISSUER_URL set to that
 * origin. Database: a scratch database on the DATABASE_URL server when it is set, otherwise
 * the embedded one in memory. `env` adds or overrides variables (e.g. MCP_AUTH_STATIC_CLIENTS).
 * HTTP adapter: `HTTP_ADAPTER` in `env`, else the suite's (`TEST_HTTP_ADAPTER=fastify`).
 */
export async function startSampleApp(env: Record<string, string> = {}): Promise<SampleApp> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const database = await createScratchDatabase();
  try {
    const config = loadAppConfig({
      PORT: String(port),
      ISSUER_URL: issuer,
      EMBEDDED_DATA_DIR: 'memory://',
      ...(database.url ? { DATABASE_URL: database.url } : {}),
      HTTP_ADAPTER: TEST_HTTP_ADAPTER,
      ...env,
    });
    const app = await createSampleApplication(AppModule.forRoot(config), {
      adapter: config.httpAdapter,
      trustProxy: config.trustProxy,
      logger: ['error', 'warn'],
      abortOnError: false,
    });
    await app.listen(port, '127.0.0.1');
    return {
      app,
      issuer,
      mcpUrl: `${issuer}/mcp`,
      port,
      close: async () => {
        try {
          await app.close();
        } finally {
          await database.drop();
        }
      },
    };
  } catch (error) {
    await database.drop();
    throw error;
  }
}
