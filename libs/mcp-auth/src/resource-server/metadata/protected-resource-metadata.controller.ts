import {
  type Type,
  Controller,
  Get,
  HttpCode,
  MethodNotAllowedException,
  NotFoundException,
  Options,
  Req,
  Res,
} from '@nestjs/common';
import { AllowedMethods } from '../../http/allowed-methods.decorator';
import { setPublicCorsHeaders } from '../../http/cors-headers';
import {
  requestPath,
  setHeader,
  type HttpRequest,
  type HttpResponse,
} from '../../http/http-exchange';
import { Public } from '../decorators/public.decorator';
import { PROTECTED_RESOURCE_METADATA_PATH } from '../resource-server.constants';
import { ResourceServerConfig } from '../resource-server.config';
import { buildProtectedResourceMetadata } from './protected-resource-metadata';

const METHODS = ['GET', 'HEAD', 'OPTIONS'] as const;

/**
 * RFC 9728 protected resource metadata (RS-4), at `/.well-known/oauth-protected-resource<path>`
 * for each resource and at the root. Mounted at the origin root, where clients compute these
 * URLs whatever the route prefix; its routes are written per module instance by
 * `routeProtectedResourceMetadata`. Public, so a global `BearerGuard` never hides it; CORS for
 * browser clients.
 */
@Controller()
@Public()
export class ProtectedResourceMetadataController {
  private readonly bodies: ReadonlyMap<string, string>;

  constructor(private readonly config: ResourceServerConfig) {
    // Depends only on configuration: serialized once.
    this.bodies = new Map(
      config.resources.map((r) => [r.uri, JSON.stringify(buildProtectedResourceMetadata(r))]),
    );
  }

  getMetadata(request: HttpRequest, response: HttpResponse): string {
    setPublicCorsHeaders(response, METHODS);
    const resource = this.config.resourceForMetadataPath(requestPath(request));
    if (!resource) throw new NotFoundException('No protected resource lives at this path.');
    setHeader(response, 'Content-Type', 'application/json; charset=utf-8');
    setHeader(response, 'Cache-Control', 'public, max-age=300');
    setHeader(response, 'X-Content-Type-Options', 'nosniff');
    return this.bodies.get(resource.uri) as string;
  }

  /** CORS preflight: browser MCP clients send `MCP-Protocol-Version` during discovery. */
  preflight(response: HttpResponse): void {
    setPublicCorsHeaders(response, METHODS);
  }
}

/**
 * Writes the routes of one instance's metadata controller (a subclass of
 * `ProtectedResourceMetadataController`): the root document and each resource's
 * path-inserted one, as exact paths. A wildcard route would do, but Express and Fastify spell
 * wildcards differently; exact paths leave every other path to the router's 404.
 */
export function routeProtectedResourceMetadata(
  controller: Type<ProtectedResourceMetadataController>,
  config: ResourceServerConfig,
): void {
  // Literal paths: ResourceServerConfig refuses resource paths with router syntax.
  const paths = [
    ...new Set([PROTECTED_RESOURCE_METADATA_PATH, ...config.resources.map((r) => r.metadataPath)]),
  ];
  const prototype = controller.prototype as ProtectedResourceMetadataController;
  const base = ProtectedResourceMetadataController.prototype;
  // Own methods of the subclass: route metadata lives on the function, so the shared class
  // and other instances keep theirs.
  const getMetadata = defineMethod(
    prototype,
    'getMetadata',
    function (
      this: ProtectedResourceMetadataController,
      request: HttpRequest,
      response: HttpResponse,
    ) {
      return base.getMetadata.call(this, request, response);
    },
  );
  Get(paths)(prototype, 'getMetadata', getMetadata);
  Req()(prototype, 'getMetadata', 0);
  Res({ passthrough: true })(prototype, 'getMetadata', 1);
  const preflight = defineMethod(
    prototype,
    'preflight',
    function (this: ProtectedResourceMetadataController, response: HttpResponse) {
      base.preflight.call(this, response);
    },
  );
  Options(paths)(prototype, 'preflight', preflight);
  HttpCode(204)(prototype, 'preflight', preflight);
  Res({ passthrough: true })(prototype, 'preflight', 0);
  AllowedMethods(paths, METHODS, {
    cors: true,
    // Not the RFC 6749 shape: this is the resource server's document, not the AS's.
    refuse: (allowed) => new MethodNotAllowedException(`Use ${allowed.join(', ')}.`),
  })(controller);
}

function defineMethod(
  prototype: ProtectedResourceMetadataController,
  name: 'getMetadata' | 'preflight',
  value: ProtectedResourceMetadataController[typeof name],
): PropertyDescriptor {
  Object.defineProperty(prototype, name, { value, writable: true, configurable: true });
  return Object.getOwnPropertyDescriptor(prototype, name) as PropertyDescriptor;
}
