import { Delete, Get, Options, Patch, Post, Put, Res } from '@nestjs/common';
import { setPublicCorsHeaders } from './cors-headers';
import { setHeader, type HttpResponse } from './http-exchange';
import { methodNotAllowed } from './method-not-allowed';
import { hideOperationFromOpenApi } from './openapi';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'OPTIONS';

/** HEAD is absent: both adapters answer it with the GET route (served or refused). */
const MAPPINGS = {
  GET: Get,
  POST: Post,
  PUT: Put,
  DELETE: Delete,
  PATCH: Patch,
  OPTIONS: Options,
} as const;

export interface AllowedMethodsOptions {
  /** Send the public CORS headers with the 405, so a browser client can read it (AS-8). */
  cors?: boolean;
  /** The error to throw instead of the module's RFC 6749-shaped 405. */
  refuse?: (allowed: readonly HttpMethod[]) => Error;
  /** Runs first, on the controller instance: e.g. a 404 while the endpoint is turned off. */
  before?: (controller: never) => void;
}

/**
 * Answers each method a path does not serve with 405 and `Allow` (RFC 9110 §15.5.6) through
 * one handler per method, added to the controller. A catch-all `@All()` beside `@Get()` would
 * do on Express, but Fastify refuses two handlers for one method and path. HEAD is left to
 * the GET route (served or refused), which both adapters answer it with.
 */
export function AllowedMethods(
  path: string | string[],
  allowed: readonly HttpMethod[],
  options: AllowedMethodsOptions = {},
): ClassDecorator {
  return (target) => {
    const prototype = target.prototype as object;
    for (const method of Object.keys(MAPPINGS) as (keyof typeof MAPPINGS)[]) {
      if (allowed.includes(method)) continue;
      const name = `methodNotAllowed${method}`;
      // A function, not an arrow: Nest calls handlers on the controller instance.
      const handler = function (this: never, response: HttpResponse): never {
        options.before?.(this);
        if (options.cors) setPublicCorsHeaders(response, allowed);
        setHeader(response, 'Allow', allowed.join(', '));
        throw options.refuse ? options.refuse(allowed) : methodNotAllowed(allowed);
      };
      Object.defineProperty(prototype, name, {
        value: handler,
        writable: true,
        configurable: true,
      });
      const descriptor = Object.getOwnPropertyDescriptor(prototype, name) as PropertyDescriptor;
      MAPPINGS[method](path)(prototype, name, descriptor);
      hideOperationFromOpenApi(handler);
      Res({ passthrough: true })(prototype, name, 0);
    }
  };
}
