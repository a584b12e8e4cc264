import type { DynamicModule, INestApplication, LoggerService, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';

/** The Nest HTTP platform the sample runs on (`HTTP_ADAPTER`). */
export type HttpAdapterName = 'express' | 'fastify';

export const HTTP_ADAPTERS: readonly HttpAdapterName[] = ['express', 'fastify'];

/**
 * `TRUST_PROXY`, parsed once for both adapters: `true`/`false`, a number of proxy hops, or a
 * comma-separated list of addresses, CIDR ranges and proxy-addr names (`loopback`,
 * `linklocal`, `uniquelocal`). Express (`trust proxy`) and Fastify (`trustProxy`) read these
 * the same way: both use proxy-addr.
 */
export type TrustProxy = boolean | number | string;

export function parseTrustProxy(text: string | undefined): TrustProxy | undefined {
  const value = text?.trim();
  if (!value) return undefined;
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}

export interface SampleApplicationOptions {
  adapter: HttpAdapterName;
  trustProxy?: TrustProxy;
  logger?: LoggerService | LogLevel[];
  abortOnError?: boolean;
}

/**
 * The sample application on the chosen adapter, with the same settings on both: the client
 * address behind a proxy (`trustProxy`), and no `X-Powered-By` (Fastify sends none).
 */
export async function createSampleApplication(
  module: DynamicModule,
  options: SampleApplicationOptions,
): Promise<INestApplication> {
  const appOptions = {
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
    ...(options.abortOnError !== undefined ? { abortOnError: options.abortOnError } : {}),
  };
  const { trustProxy } = options;
  if (options.adapter === 'fastify') {
    const adapter = new FastifyAdapter(
      trustProxy === undefined
        ? {}
        : {
            // Fastify's typings take no hop count; its own handling of one is this function.
            trustProxy:
              typeof trustProxy === 'number'
                ? (_address: string, hop: number) => hop < trustProxy
                : trustProxy,
          },
    );
    return NestFactory.create<NestFastifyApplication>(module, adapter, appOptions);
  }
  const app = await NestFactory.create<NestExpressApplication>(module, appOptions);
  // Do not advertise the framework to scanners.
  app.disable('x-powered-by');
  if (trustProxy !== undefined) app.set('trust proxy', trustProxy);
  return app;
}
