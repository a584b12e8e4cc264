import { Controller, Get, HttpCode, Options, Res, UseFilters } from '@nestjs/common';
import type { HttpResponse } from '../../http/http-exchange';
import { setHeader } from '../../http/http-exchange';
import { McpAuthConfig } from '../../mcp-auth.config';
import { OAuthExceptionFilter } from '../../http/oauth-exception.filter';
import {
  buildAuthorizationServerMetadata,
  WELL_KNOWN_PATHS,
} from './authorization-server-metadata';
import { setPublicCorsHeaders } from '../../http/cors-headers';
import { AllowedMethods } from '../../http/allowed-methods.decorator';

/** HEAD is answered by the GET handler (Express routes HEAD to GET). */
const METHODS = ['GET', 'HEAD', 'OPTIONS'] as const;

/**
 * `GET /.well-known/oauth-authorization-server`: RFC 8414 metadata (AS-2..AS-8). Mount with
 * base 'root': clients build this URL from the issuer, which is the bare origin, so it stays
 * at the origin root whatever the route prefix (AS-3, and 03 clients look only there).
 *
 * `/.well-known/openid-configuration` is deliberately not served (404). OIDC Discovery §3
 * requires members an OAuth-only server cannot honestly fill (`subject_types_supported`,
 * `id_token_signing_alg_values_supported`): we issue no ID tokens. AS-2 allows RFC 8414
 * *or* OIDC, and 11+ clients try RFC 8414 first for an issuer without a path (AS-3), so they
 * find this document before they would ever ask for the OIDC one.
 *
 * The body is serialized once at construction: it depends only on the configuration.
 */
@Controller()
@AllowedMethods(WELL_KNOWN_PATHS.authorizationServer, METHODS, { cors: true })
@UseFilters(OAuthExceptionFilter)
export class AuthorizationServerMetadataController {
  private readonly body: string;

  constructor(config: McpAuthConfig) {
    this.body = JSON.stringify(buildAuthorizationServerMetadata(config));
  }

  /** AS-8: 200 application/json with CORS, never a redirect. */
  @Get(WELL_KNOWN_PATHS.authorizationServer)
  getMetadata(@Res({ passthrough: true }) response: HttpResponse): string {
    setPublicCorsHeaders(response, METHODS);
    setHeader(response, 'Content-Type', 'application/json; charset=utf-8');
    // Changes only with the configuration, i.e. on a deployment.
    setHeader(response, 'Cache-Control', 'public, max-age=300');
    setHeader(response, 'X-Content-Type-Options', 'nosniff');
    return this.body;
  }

  /** AS-8: CORS preflight (browser clients that send `MCP-Protocol-Version`). */
  @Options(WELL_KNOWN_PATHS.authorizationServer)
  @HttpCode(204)
  preflight(@Res({ passthrough: true }) response: HttpResponse): void {
    setPublicCorsHeaders(response, METHODS);
  }
}
