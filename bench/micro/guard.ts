/**
 * In-process microbenchmark of BearerGuard.canActivate on a cache-hit token (no HTTP), for
 * attributing the guard's per-request cost: node [--cpu-prof] dist/bench/bench/micro/guard.js
 * Needs DATABASE_URL-free embedded database; boots the sample AppModule once.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { AppModule } from '../../apps/sample-mcp-server/src/app.module';
import { loadAppConfig } from '../../apps/sample-mcp-server/src/config/app-config';
import { McpController } from '../../apps/sample-mcp-server/src/mcp/mcp.controller';
import { AccessTokenIssuer, BearerGuard, McpAuthConfig } from '@app/mcp-auth';

async function main(): Promise<void> {
  const config = loadAppConfig({
    ...process.env,
    PORT: '3999',
    ISSUER_URL: 'http://127.0.0.1:3999',
  });
  const app = await NestFactory.createApplicationContext(
    AppModule.forRoot(config, { rateLimit: false }),
    {
      logger: ['error'],
    },
  );
  const guard = app.get(BearerGuard, { strict: false });
  const issuer = app.get(AccessTokenIssuer, { strict: false });
  const authConfig = app.get(McpAuthConfig, { strict: false });
  const { token } = await issuer.issue({
    subject: 'u',
    clientId: 'c',
    audience: authConfig.defaultResource.uri,
    scopes: ['mcp:tools'],
    grantId: '00000000-0000-4000-8000-000000000000',
  });
  const handler = McpController.prototype.handle;
  const makeContext = () => {
    const headers: Record<string, string> = {};
    const request = {
      headers: { authorization: `Bearer ${token}` },
      rawHeaders: ['Host', 'x', 'Authorization', `Bearer ${token}`],
      query: {},
      body: {},
      path: '/mcp',
      url: '/mcp',
    };
    const response = {
      headersSent: false,
      getHeader: (name: string) => headers[name.toLowerCase()],
      setHeader: (name: string, value: string) => {
        headers[name.toLowerCase()] = value;
      },
    };
    const context = new ExecutionContextHost([request, response], McpController, handler);
    context.setType('http');
    return context;
  };
  const n = Number(process.env.N ?? 200_000);
  for (let i = 0; i < 20_000; i += 1) await guard.canActivate(makeContext());
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i += 1) await guard.canActivate(makeContext());
  const ns = Number(process.hrtime.bigint() - started) / n;
  process.stdout.write(`BearerGuard.canActivate, cached token: ${(ns / 1000).toFixed(2)} µs/op\n`);
  const base = process.hrtime.bigint();
  for (let i = 0; i < n; i += 1) makeContext();
  process.stdout.write(
    `  (fake context alone: ${(Number(process.hrtime.bigint() - base) / n / 1000).toFixed(2)} µs/op)\n`,
  );
  await app.close();
  process.exit(0);
}
void main();
