import { Controller, Get, HttpCode, Logger, Options, Res, UseFilters } from '@nestjs/common';
import type { HttpResponse } from '../../http/http-exchange';
import { setHeader } from '../../http/http-exchange';
import type { JWK } from 'jose';
import { OAuthExceptionFilter } from '../../http/oauth-exception.filter';
import { SigningKeyService } from '../../tokens/signing-key.service';
import { WELL_KNOWN_PATHS } from './authorization-server-metadata';
import { setPublicCorsHeaders } from '../../http/cors-headers';
import { AllowedMethods } from '../../http/allowed-methods.decorator';

const METHODS = ['GET', 'HEAD', 'OPTIONS'] as const;

/**
 * `GET /.well-known/jwks.json`: the public halves of every key that can still verify a live
 * access token (the metadata `jwks_uri`). Mount with base 'root', like the metadata.
 *
 * Served as `application/json` rather than the registered `application/jwk-set+json`
 * (RFC 7517 §8.5.1): RFC 8414 only says `jwks_uri` holds a JWK Set document, most identity
 * providers serve `application/json`, and some JWKS clients accept nothing else.
 */
@Controller()
@AllowedMethods(WELL_KNOWN_PATHS.jwks, METHODS, { cors: true })
@UseFilters(OAuthExceptionFilter)
export class JwksController {
  private readonly logger = new Logger(JwksController.name);

  constructor(private readonly keys: SigningKeyService) {}

  @Get(WELL_KNOWN_PATHS.jwks)
  async getJwks(@Res({ passthrough: true }) response: HttpResponse): Promise<{ keys: JWK[] }> {
    try {
      // Picks up a rotation done by another instance (within the key set's refresh interval).
      await this.keys.refreshIfStale();
    } catch (error) {
      // The previous key set stays loaded: serving it beats failing every verifier.
      this.logger.warn(`Serving cached JWKS; reloading keys failed: ${String(error)}`);
    }
    setPublicCorsHeaders(response, METHODS);
    setHeader(response, 'Content-Type', 'application/json; charset=utf-8');
    // Short: a new key signs as soon as it is created, and a shared cache holding the old set
    // would make its tokens unverifiable until it expires. Verifiers also refetch on an unknown kid.
    setHeader(response, 'Cache-Control', 'public, max-age=60');
    setHeader(response, 'X-Content-Type-Options', 'nosniff');
    return this.keys.getJwks();
  }

  @Options(WELL_KNOWN_PATHS.jwks)
  @HttpCode(204)
  preflight(@Res({ passthrough: true }) response: HttpResponse): void {
    setPublicCorsHeaders(response, METHODS);
  }
}
