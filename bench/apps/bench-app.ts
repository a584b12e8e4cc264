/**
 * The sample MCP server exactly as `npm start` builds it (AppModule.forRoot with the same
 * configuration from the environment), plus BenchController's baseline and minting routes.
 * Started as a child process by bench/run.ts; listens on loopback only.
 */
import 'reflect-metadata';
import { AppModule } from '../../apps/sample-mcp-server/src/app.module';
import { createSampleApplication } from '../../apps/sample-mcp-server/src/http/http-adapter';
import { loadAppConfig } from '../../apps/sample-mcp-server/src/config/app-config';
import { BenchController } from './bench.controller';
import { benchRateLimit } from './bench-rate-limit';
import { installSignalProfiler } from './profiler';

async function main(): Promise<void> {
  installSignalProfiler('bench-app');
  const config = loadAppConfig(process.env);
  // Limits off unless a scenario compares their storages: one address sends all the load.
  const module = AppModule.forRoot(config, { rateLimit: benchRateLimit(process.env) });
  module.controllers = [...(module.controllers ?? []), BenchController];
  // On the sample's adapter (HTTP_ADAPTER: express by default, or fastify).
  const app = await createSampleApplication(module, {
    adapter: config.httpAdapter,
    logger: ['error', 'warn'],
  });
  // Exit normally on SIGTERM so that --cpu-prof (BENCH_CPU_PROF=1) writes its profile.
  process.once('SIGTERM', () => {
    void app.close().finally(() => process.exit(0));
  });
  await app.listen(config.port, '127.0.0.1');
  process.stdout.write(`BENCH_READY ${config.port}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
