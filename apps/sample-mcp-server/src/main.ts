import 'reflect-metadata';
import { AppModule } from './app.module';
import { loadAppConfig } from './config/app-config';
import { SERVICE_NAME } from './config/app-config.constants';
import { createSampleApplication } from './http/http-adapter';
import { SampleLogger } from './logging/sample.logger';
import { startupSummary } from './startup/startup-summary';

async function bootstrap(): Promise<void> {
  let config;
  try {
    config = loadAppConfig();
  } catch (error) {
    // Configuration errors are the operator's to fix: say what is wrong, no stack trace.
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }

  const logger = new SampleLogger('SampleMcpServer', { json: config.production });
  // HTTP_ADAPTER: Express (default) or Fastify. Behind a reverse proxy set TRUST_PROXY (e.g.
  // "1" or "loopback"), mapped to each adapter's own setting, so the client address is right.
  const app = await createSampleApplication(AppModule.forRoot(config), {
    adapter: config.httpAdapter,
    trustProxy: config.trustProxy,
    logger,
  });
  app.enableShutdownHooks();
  await app.listen(config.port, process.env.HOST ?? '0.0.0.0');

  const summary = startupSummary(config);
  if (config.production) {
    // JSON logs: one entry per fact keeps them parseable by log collectors.
    for (const line of summary) logger.log(line);
  } else {
    // The last thing on screen, unprefixed: what to do next.
    process.stdout.write(`\n${SERVICE_NAME} is ready.\n  ${summary.join('\n  ')}\n\n`);
  }
}

void bootstrap();
