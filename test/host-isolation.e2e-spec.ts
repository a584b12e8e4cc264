import {
  type ArgumentsHost,
  BadRequestException,
  Body,
  Catch,
  Controller,
  type ExceptionFilter,
  Get,
  type INestApplication,
  Logger,
  Post,
} from '@nestjs/common';
import {
  type ClientProxy,
  ClientProxyFactory,
  MessagePattern,
  RpcException,
  Transport,
} from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { ServerResponse } from 'node:http';
import { firstValueFrom, type Observable, throwError, timeout, TimeoutError } from 'rxjs';
import { McpAuthModule, ResourceOwnerAuthenticator } from '@app/mcp-auth';
import { closeAppKeepingDatabase, defaultAuthOptions, freePort } from './support/test-app';
import { TestAuthenticator } from './support/test-authenticator';
import { DATABASE_TARGETS, openTestDatabase, type TestDatabase } from './support/test-database';

/** A host's own routes and RPC handlers, which the module must leave exactly as they are. */
@Controller('host')
class HostController {
  @Get('refuse')
  refuse(): never {
    throw new BadRequestException('host says no');
  }

  @Get('crash')
  crash(): never {
    throw new Error('host bug');
  }

  @Post('echo')
  echo(@Body() body: unknown): unknown {
    return body;
  }

  @MessagePattern('fail')
  fail(): never {
    throw new RpcException('rpc says no');
  }

  @MessagePattern('double')
  double(value: number): number {
    return value * 2;
  }
}

/** A host's catch-all filter: it must keep seeing every error of the host's own paths. */
@Catch()
class HostFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): Observable<never> | void {
    const name = (exception as Error).constructor.name;
    if (host.getType() === 'rpc') return throwError(() => ({ hostFilter: name }));
    const response = host.switchToHttp().getResponse<ServerResponse>();
    response.statusCode = 418;
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ hostFilter: name }));
  }
}

interface HostApp {
  url: string;
  rpc: ClientProxy;
  close(): Promise<void>;
}

interface Answer {
  status: number;
  body: string;
  contentType: string | null;
}

/**
 * The module binds its error shapes and rate limits to its own controllers only (no
 * application-wide filter or guard), so a host's HTTP routes, filters and microservice
 * handlers (with `inheritAppConfig`) behave exactly as in the same app without the module.
 */
describe('A host application with and without McpAuthModule', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await openTestDatabase(DATABASE_TARGETS[DATABASE_TARGETS.length - 1]);
  });
  afterAll(() => db?.close());

  async function boot(withModule: boolean, hostFilter = false): Promise<HostApp> {
    const [port, rpcPort] = [await freePort(), await freePort()];
    const url = `http://127.0.0.1:${port}`;
    const moduleRef = await Test.createTestingModule({
      imports: withModule
        ? [
            TypeOrmModule.forRootAsync({
              useFactory: () => ({ type: 'postgres' }),
              dataSourceFactory: async () => db.dataSource,
            }),
            McpAuthModule.forRoot({
              ...defaultAuthOptions(url),
              // Small limits: the host's routes must never count against them.
              rateLimit: { token: { limit: 2, ttl: 60 }, register: { limit: 2, ttl: 60 } },
              extraProviders: [
                { provide: ResourceOwnerAuthenticator, useClass: TestAuthenticator },
              ],
            }),
          ]
        : [],
      controllers: [HostController],
    }).compile();
    const app: INestApplication = moduleRef.createNestApplication({ logger: false });
    if (hostFilter) app.useGlobalFilters(new HostFilter());
    app.connectMicroservice(
      { transport: Transport.TCP, options: { host: '127.0.0.1', port: rpcPort } },
      { inheritAppConfig: true },
    );
    await app.startAllMicroservices();
    await app.listen(port, '127.0.0.1');
    const rpc = ClientProxyFactory.create({
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port: rpcPort },
    });
    await rpc.connect();
    return {
      url,
      rpc,
      close: async () => {
        rpc.close();
        await closeAppKeepingDatabase(app, db);
      },
    };
  }

  async function answer(url: string, path: string, init: RequestInit = {}): Promise<Answer> {
    const response = await fetch(url + path, init);
    return {
      status: response.status,
      body: await response.text(),
      contentType: response.headers.get('content-type'),
    };
  }

  const badJson = { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{x' };

  /** What a host observes on its own surface. */
  async function observe(app: HostApp): Promise<unknown> {
    // A broken RPC error path never answers: bound the wait.
    const rpcFailure = await firstValueFrom(app.rpc.send('fail', {}).pipe(timeout(5000))).catch(
      (error: unknown) => (error instanceof TimeoutError ? 'no answer' : error),
    );
    return {
      refuse: await answer(app.url, '/host/refuse'),
      crash: await answer(app.url, '/host/crash'),
      badJson: await answer(app.url, '/host/echo', badJson),
      badJsonUpperCase: await answer(app.url, '/HOST/echo', badJson),
      missing: await answer(app.url, '/host/missing'),
      rpcFailure,
      rpcSuccess: await firstValueFrom(app.rpc.send('double', 21)),
    };
  }

  it.each([
    ['Nest’s own error handling', false],
    ['a catch-all filter of the host', true],
  ])('host routes and RPC handlers answer as without the module, under %s', async (_, filter) => {
    const bare = await boot(false, filter);
    const hosted = await boot(true, filter);
    try {
      const expected = await observe(bare);
      expect(await observe(hosted)).toEqual(expected);
      // The RPC error reaches the client as the host's filter or Nest's RPC layer shapes it.
      expect((expected as { rpcFailure: unknown }).rpcFailure).toEqual(
        filter ? { hostFilter: 'RpcException' } : expect.objectContaining({ status: 'error' }),
      );
    } finally {
      await bare.close();
      await hosted.close();
    }
  });

  it('host routes are never rate-limited; the module’s endpoints are, whatever the path spelling', async () => {
    Logger.overrideLogger(false);
    const hosted = await boot(true, true);
    try {
      for (let i = 0; i < 10; i++) {
        const echoed = await answer(hosted.url, '/host/echo', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ i }),
        });
        expect(echoed).toMatchObject({ status: 201, body: JSON.stringify({ i }) });
      }
      // The module's JSON endpoints keep the OAuth error shape for errors raised before
      // routing too, on every spelling the router accepts, despite the host's filter.
      for (const path of ['/token', '/TOKEN', '/token/']) {
        const parsed = await answer(hosted.url, path, badJson);
        expect(parsed.status).toBe(400);
        expect(JSON.parse(parsed.body)).toEqual({
          error: 'invalid_request',
          error_description: 'The request body could not be parsed.',
        });
      }
      // Body-parser errors never reach the guard; requests that do count against one
      // budget of 2 whatever their spelling, so the third is refused.
      const form = {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=refresh_token',
      };
      expect((await answer(hosted.url, '/token', form)).status).toBe(401);
      expect((await answer(hosted.url, '/TOKEN/', form)).status).toBe(401);
      const limited = await answer(hosted.url, '/Token', form);
      expect(limited.status).toBe(429);
      expect(JSON.parse(limited.body)).toMatchObject({ error: 'temporarily_unavailable' });
    } finally {
      await hosted.close();
    }
  });
});
