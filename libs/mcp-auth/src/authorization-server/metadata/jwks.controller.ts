import { All, Controller, Get, HttpCode, Logger, Options, Res, UseFilters } from '@nestjs/common';
import type { Response } from 'express';
import type { JWK } from 'jose';
import { OAuthExceptionFilter } from '../../oauth/oauth-exception.filter';
import { SigningKeyService } from '../../tokens/signing-key.service';
import { WELL_KNOWN_PATHS } from './authorization-server-metadata';
import { setPublicCorsHeaders } from '../../http/cors-headers';
import { methodNotAllowed } from '../../http/method-not-allowed';

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
@UseFilters(OAuthExceptionFilter)
export class JwksController {
  private readonly logger = new Logger(JwksController.name);

  constructor(private readonly keys: SigningKeyService) {}

  @Get(WELL_KNOWN_PATHS.jwks)
  async getJwks(@Res({ passthrough: true }) response: Response): Promise<{ keys: JWK[] }> {
    try {
      // Picks up a rotation done by another instance (within the key set's refresh interval).
      await this.keys.refreshIfStale();
    } catch (error) {
      // The previous key set stays loaded: serving it beats failing every verifier.
      this.logger.warn(`Serving cached JWKS; reloading keys failed: ${String(error)}`);
    }
    setPublicCorsHeaders(response, METHODS);
    response.setHeader('Content-Type', 'application/json; charset=utf-8');
    // Short: a new key signs as soon as it is created, and a shared cache holding the old set
    // would make its tokens unverifiable until it expires. Verifiers also refetch on an unknown kid.
    response.setHeader('Cache-Control', 'public, max-age=60');
    response.setHeader('X-Content-Type-Options', 'nosniff');
    return this.keys.getJwks();
  }

  @Options(WELL_KNOWN_PATHS.jwks)
  @HttpCode(204)
  preflight(@Res({ passthrough: true }) response: Response): void {
    setPublicCorsHeaders(response, METHODS);
  }

  @All(WELL_KNOWN_PATHS.jwks)
  otherMethods(@Res({ passthrough: true }) response: Response): never {
    setPublicCorsHeaders(response, METHODS);
    throw methodNotAllowed(METHODS);
  }
}
