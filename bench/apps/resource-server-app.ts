/**
 * Scenario 5's remote-JWKS variant: a resource-server-only app (`McpResourceServerModule`
 * with the `jwks` verifier) in front of the bench app's authorization server. Keys are fetched
 * once and cached, so a request never leaves the process. No database.
 *
 * Environment: PORT, ISSUER_URL (the authorization server), RESOURCE (the `aud` it protects).
 */
import 'reflect-metadata';
import { Controller, Get, Module, UseGuards, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { BearerGuard, McpResourceServerModule, RequiredScopes } from '@app/mcp-auth';
import { installSignalProfiler } from './profiler';

@Controller('bench')
class RemoteGuardedController {
  @Get('guarded')
  @UseGuards(BearerGuard)
  @RequiredScopes('mcp:tools')
  guarded(): { ok: boolean; service: string } {
    return { ok: true, service: 'bench' };
  }
}

@Module({})
class ResourceServerBenchModule {
  static create(issuer: string, resource: string): DynamicModule {
    return {
      module: ResourceServerBenchModule,
      imports: [
        McpResourceServerModule.forRoot({
          resources: [{ uri: resource, scopes: ['mcp:tools'] }],
          authorizationServers: [issuer],
          verifier: { type: 'jwks' },
        }),
      ],
      controllers: [RemoteGuardedController],
    };
  }
}

async function main(): Promise<void> {
  installSignalProfiler('remote-jwks-rs');
  const port = Number(process.env.PORT);
  const app = await NestFactory.create<NestExpressApplication>(
    ResourceServerBenchModule.create(
      process.env.ISSUER_URL as string,
      process.env.RESOURCE as string,
    ),
    { logger: ['error', 'warn'] },
  );
  // Exit normally on SIGTERM so that --cpu-prof (BENCH_CPU_PROF=1) writes its profile.
  process.once('SIGTERM', () => {
    void app.close().finally(() => process.exit(0));
  });
  await app.listen(port, '127.0.0.1');
  process.stdout.write(`BENCH_READY ${port}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
