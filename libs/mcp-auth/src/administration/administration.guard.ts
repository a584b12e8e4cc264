import {
  type CanActivate,
  type ExecutionContext,
  HttpException,
  Injectable,
  type Type,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { isObservable, lastValueFrom } from 'rxjs';
import { McpAuthConfig } from '../mcp-auth.config';
import { OAuthError } from '../oauth/oauth-error';
import { BearerGuard } from '../resource-server/bearer.guard';
import type { McpPrincipal } from '../resource-server/mcp-principal';

/** What the API answers while it is off: the same as any path the module does not serve. */
export function endpointNotFound(): OAuthError {
  return new OAuthError('invalid_request', 'The requested endpoint does not exist.', {
    status: 404,
  });
}

function denied(description: string): OAuthError {
  return new OAuthError('access_denied', description, { status: 403 });
}

/**
 * The administration API's gate: 404 while `administration` is not configured; otherwise the
 * host's guard if it named one, else this instance's `BearerGuard` (the token's audience must be
 * the API's resource and its scopes must include the administration scope, both written on the
 * controller when the routes are bound; and it must be a client credentials token). A host
 * guard must also leave the administrator on `request.user`.
 */
@Injectable()
export class AdministrationGuard implements CanActivate {
  private hostGuard: Promise<CanActivate> | undefined;

  constructor(
    private readonly config: McpAuthConfig,
    private readonly bearer: BearerGuard,
    private readonly moduleRef: ModuleRef,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const admin = this.config.administration;
    if (!admin) throw endpointNotFound();
    const request = context.switchToHttp().getRequest<{ user?: unknown }>();
    if (!admin.guard) {
      await this.bearer.canActivate(context);
      // A person's token never administers, even were it minted for this audience.
      const principal = request.user as Partial<McpPrincipal> | undefined;
      if (principal?.machine !== true || principal.claims?.gty !== 'client_credentials') {
        throw denied('The administration API takes client credentials tokens only.');
      }
      return true;
    }
    if (!(await this.askHostGuard(admin.guard, context))) {
      throw denied('Not allowed to administer this server.');
    }
    // A guard that says yes without naming anyone (a roles guard on a route without roles
    // metadata returns true) has not decided: no administrator, no access.
    if (typeof request.user !== 'object' || request.user === null) {
      throw denied('The administration guard named no administrator.');
    }
    return true;
  }

  /**
   * The host guard's verdict. Its own 403 (`ForbiddenException`) is a refusal like `false`;
   * anything else it throws goes to the filter (a 401 stays a 401, a crash is a 500).
   */
  private async askHostGuard(type: Type<CanActivate>, context: ExecutionContext): Promise<boolean> {
    try {
      const guard = await this.hostGuardOf(type);
      const verdict = guard.canActivate(context);
      return isObservable(verdict) ? await lastValueFrom(verdict) : await verdict;
    } catch (error) {
      if (error instanceof HttpException && error.getStatus() === 403) return false;
      throw error;
    }
  }

  /** The host's guard, built once in this module's context (it may inject global providers). */
  private hostGuardOf(type: Type<CanActivate>): Promise<CanActivate> {
    this.hostGuard ??= this.moduleRef.create(type);
    return this.hostGuard;
  }
}
