import { type ArgumentsHost, Catch } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { Request } from 'express';
import { OAuthExceptionFilter } from './oauth-exception.filter';

/**
 * Application-wide filter that gives the OAuth JSON endpoints RFC 6749 error bodies even for
 * errors raised before routing (malformed JSON, oversized bodies: body-parser runs first, so
 * only a global filter sees them). Every other path gets Nest's default handling, unchanged.
 */
@Catch()
export class OAuthEndpointsExceptionFilter extends BaseExceptionFilter {
  /** Paths of the OAuth JSON endpoints of every module instance in the process. */
  private static readonly paths = new Set<string>();
  private readonly oauth = new OAuthExceptionFilter();

  static register(paths: Iterable<string>): void {
    for (const path of paths) OAuthEndpointsExceptionFilter.paths.add(path);
  }

  /** Whether a request targets an OAuth JSON endpoint (for hosts with their own global filter). */
  static handles(request: Pick<Request, 'path'>): boolean {
    return OAuthEndpointsExceptionFilter.paths.has(request.path);
  }

  override catch(exception: unknown, host: ArgumentsHost): void {
    if (
      host.getType() === 'http' &&
      OAuthEndpointsExceptionFilter.handles(host.switchToHttp().getRequest<Request>())
    ) {
      this.oauth.catch(exception, host);
      return;
    }
    super.catch(exception, host);
  }
}
