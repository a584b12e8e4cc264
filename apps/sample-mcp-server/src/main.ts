import 'reflect-metadata';
import { ConsoleLogger, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { loadAppConfig } from './config/app-config';

async function bootstrap(): Promise<void> {
  let config;
  try {
    config = loadAppConfig();
  } catch (error) {
    // Configuration errors are the operator's to fix: say what is wrong, no stack trace.
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }

  const logger = new ConsoleLogger('SampleMcpServer', { json: config.production });
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    logger,
  });
  // Do not advertise the framework to scanners.
  app.disable('x-powered-by');
  // Behind a reverse proxy set TRUST_PROXY (e.g. "1" or "loopback") so req.ip is the client's.
  if (process.env.TRUST_PROXY) app.set('trust proxy', process.env.TRUST_PROXY);
  app.enableShutdownHooks();
  await app.listen(config.port, process.env.HOST ?? '0.0.0.0');

  const log = new Logger('SampleMcpServer');
  log.log(`MCP endpoint: ${config.issuerUrl}/mcp`);
  log.log(
    `Database: ${config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `embedded (${config.embeddedDataDir})`}`,
  );
  if (!config.production) {
    log.log(`Demo sign-in: username "${config.demoUsername}", password "${config.demoPassword}"`);
  }
}

void bootstrap();
