import { Controller, Delete, Get, Logger, Param, Req, Res } from '@nestjs/common';
import {
  sendResponse,
  setHeader,
  type HttpRequest,
  type HttpResponse,
} from '../http/http-exchange';
import {
  DATABASE_UNAVAILABLE_RETRY_AFTER_SECONDS,
  isDatabaseUnavailableError,
} from '../oauth/database-unavailable';
import { OAuthError } from '../oauth/oauth-error';
import { RequestParameters } from '../oauth/request-parameters';
import { InvalidGrantListQueryError } from '../storage/grant-store.interface';
import type { ConnectedAppsUser } from './connected-apps-options';
import { ConnectedAppsContext } from './connected-apps.context';
import { CONNECTED_APPS_PAGE_SIZE, type ConnectedApp } from './connected-apps.service';

/**
 * Header a state-changing API call must carry. A cross-site page can only send a custom
 * header after a CORS preflight, which this API never grants.
 */
export const CONNECTED_APPS_CSRF_HEADER = 'x-mcp-auth-csrf';

const JSON_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'application/json',
  'Cache-Control': 'no-store',
  Pragma: 'no-cache',
  'X-Content-Type-Options': 'nosniff',
};

/**
 * The JSON API behind the page, for hosts that build their own UI: the same user (session
 * cookie or the host's resolver) and the same ownership rule. Errors are RFC 6749-shaped
 * (`error`, `error_description`).
 */
@Controller()
export class ConnectedAppsApiController {
  private readonly logger = new Logger('McpAuthConnectedApps');

  constructor(private readonly apps: ConnectedAppsContext) {}

  @Get('api/grants')
  async list(@Req() request: HttpRequest, @Res() response: HttpResponse): Promise<void> {
    await this.answer(response, async () => {
      const user = await this.caller(request, response, false);
      if (!user) return;
      const query = new RequestParameters(request.query);
      let limit = CONNECTED_APPS_PAGE_SIZE;
      let cursor: string | undefined;
      try {
        const given = query.optional('limit', { maxLength: 4 });
        cursor = query.optional('cursor', { maxLength: 200 });
        if (given !== undefined) {
          limit = /^\d+$/.test(given) ? Number(given) : 0;
          if (limit < 1 || limit > CONNECTED_APPS_PAGE_SIZE)
            throw new InvalidGrantListQueryError('limit');
        }
        const page = await this.apps.service.list(user, limit, cursor);
        this.json(response, 200, {
          grants: page.apps.map(toJson),
          next_cursor: page.nextCursor,
        });
      } catch (error) {
        if (error instanceof InvalidGrantListQueryError || isInvalidRequest(error)) {
          this.error(
            response,
            400,
            'invalid_request',
            `limit must be 1 to ${CONNECTED_APPS_PAGE_SIZE} and cursor a next_cursor of this API.`,
          );
          return;
        }
        throw error;
      }
    });
  }

  @Delete('api/grants/:id')
  async revoke(
    @Param('id') id: string,
    @Req() request: HttpRequest,
    @Res() response: HttpResponse,
  ): Promise<void> {
    await this.answer(response, async () => {
      const user = await this.caller(request, response, true);
      if (!user) return;
      // Unknown, malformed, already revoked or another user's: one answer for all.
      if (!(await this.apps.service.revoke(user, id))) {
        this.error(response, 404, 'not_found', 'No such connected app.');
        return;
      }
      sendResponse(response, 204, { 'Cache-Control': 'no-store' }, '');
    });
  }

  /** The signed-in user, after the cross-site checks; otherwise answered and undefined. */
  private async caller(
    request: HttpRequest,
    response: HttpResponse,
    changesState: boolean,
  ): Promise<ConnectedAppsUser | undefined> {
    if (!this.apps.requests.sameOrigin(request)) {
      this.error(response, 403, 'access_denied', 'Cross-site requests are refused.');
      return undefined;
    }
    if (changesState && !customHeader(request)) {
      this.error(
        response,
        403,
        'access_denied',
        `The ${CONNECTED_APPS_CSRF_HEADER} header is required.`,
      );
      return undefined;
    }
    const user = await this.apps.requests.user(request);
    if (!user) {
      this.error(response, 401, 'login_required', 'Sign in first.');
      return undefined;
    }
    return user;
  }

  private json(response: HttpResponse, status: number, body: unknown): void {
    sendResponse(response, status, JSON_HEADERS, JSON.stringify(body));
  }

  private error(response: HttpResponse, status: number, error: string, description: string): void {
    this.json(response, status, { error, error_description: description });
  }

  private async answer(response: HttpResponse, handle: () => Promise<void>): Promise<void> {
    try {
      await handle();
    } catch (error) {
      if (isDatabaseUnavailableError(error)) {
        setHeader(response, 'Retry-After', String(DATABASE_UNAVAILABLE_RETRY_AFTER_SECONDS));
        this.error(response, 503, 'temporarily_unavailable', 'Try again in a few seconds.');
        return;
      }
      this.logger.error(`connected apps request failed: ${(error as Error).message}`);
      this.error(response, 500, 'server_error', 'The request could not be processed.');
    }
  }
}

function customHeader(request: HttpRequest): boolean {
  const value = request.headers[CONNECTED_APPS_CSRF_HEADER];
  return typeof value === 'string' && value.length > 0 && value.length <= 256;
}

function isInvalidRequest(error: unknown): boolean {
  return error instanceof OAuthError && error.error === 'invalid_request';
}

function toJson(app: ConnectedApp): Record<string, unknown> {
  return {
    id: app.grantId,
    client_id: app.clientId,
    client_name: app.clientName,
    client_id_host: app.clientIdHost,
    registered_dynamically: app.registeredDynamically,
    scopes: app.scopes.map((s) => ({ scope: s.name, description: s.description })),
    resource: app.resource,
    resource_name: app.resourceName,
    created_at: app.createdAt.toISOString(),
    last_used_at: app.lastUsedAt?.toISOString() ?? null,
  };
}
