import {
  All,
  Controller,
  Get,
  HttpCode,
  MethodNotAllowedException,
  NotFoundException,
  Options,
  Req,
  Res,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { Public } from '../decorators/public.decorator';
import { PROTECTED_RESOURCE_METADATA_PATH } from '../resource-server.constants';
import { ResourceServerConfig } from '../resource-server.config';
import { buildProtectedResourceMetadata } from './protected-resource-metadata';

const ROOT = PROTECTED_RESOURCE_METADATA_PATH.slice(1);
/** The root document and every path-inserted one (RFC 9728 §3.1). */
const PATHS = [ROOT, `${ROOT}/*path`];
const METHODS = 'GET, HEAD, OPTIONS';

/**
 * RFC 9728 protected resource metadata (RS-4), at `/.well-known/oauth-protected-resource<path>`
 * for each resource and at the root. Declared with no class path: the module mounts it at the
 * origin root (base 'root'), where clients compute these URLs whatever the route prefix.
 * Public, so a global `BearerGuard` never hides it; CORS for browser clients.
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

  @Get(PATHS)
  getMetadata(@Req() request: Request, @Res({ passthrough: true }) response: Response): string {
    setCorsHeaders(response);
    const resource = this.config.resourceForMetadataPath(request.path);
    if (!resource) throw new NotFoundException('No protected resource lives at this path.');
    response.setHeader('Content-Type', 'application/json; charset=utf-8');
    response.setHeader('Cache-Control', 'public, max-age=300');
    response.setHeader('X-Content-Type-Options', 'nosniff');
    return this.bodies.get(resource.uri) as string;
  }

  /** CORS preflight: browser MCP clients send `MCP-Protocol-Version` during discovery. */
  @Options(PATHS)
  @HttpCode(204)
  preflight(@Res({ passthrough: true }) response: Response): void {
    setCorsHeaders(response);
  }

  @All(PATHS)
  otherMethods(@Res({ passthrough: true }) response: Response): never {
    setCorsHeaders(response);
    response.setHeader('Allow', METHODS);
    throw new MethodNotAllowedException();
  }
}

function setCorsHeaders(response: Response): void {
  response.setHeader('Access-Control-Allow-Origin', '*');
  response.setHeader('Access-Control-Allow-Methods', METHODS);
  // `Authorization` must be named: a `*` wildcard never covers it.
  response.setHeader(
    'Access-Control-Allow-Headers',
    'Authorization, Content-Type, MCP-Protocol-Version',
  );
  response.setHeader('Access-Control-Max-Age', '86400');
}
