import { Controller, Get, Logger, Post, Req, Res } from '@nestjs/common';
import { McpAuthAudit } from '../audit/audit.service';
import { formField } from '../authorization-server/authorization/interaction-session';
import {
  redirect,
  sendResponse,
  setHeader,
  type HttpRequest,
  type HttpResponse,
} from '../http/http-exchange';
import { PAGE_HEADERS, renderErrorPage } from '../http/page';
import { McpAuthConfig } from '../mcp-auth.config';
import {
  DATABASE_UNAVAILABLE_RETRY_AFTER_SECONDS,
  isDatabaseUnavailableError,
} from '../oauth/database-unavailable';
import { RequestParameters } from '../oauth/request-parameters';
import { InvalidGrantListQueryError } from '../storage/grant-store.interface';
import type { ConnectedAppsUser } from './connected-apps-options';
import {
  renderConnectedAppsList,
  renderConnectedAppsSignedOut,
  renderConnectedAppsSignIn,
} from './connected-apps-pages';
import { ConnectedAppsContext } from './connected-apps.context';
import { CONNECTED_APPS_PAGE_SIZE } from './connected-apps.service';

const MAX_CREDENTIAL_LENGTH = 1024;

/**
 * The "Connected apps" page: server-rendered HTML like the login and consent pages (same
 * shell, CSP without scripts, no framing, no caching), forms with CSRF tokens keyed with the
 * browser's binding cookie, and `Origin` checked on every form post. Mounted at the path of
 * `connectedApps.path` by `connectedAppsProvider`.
 */
@Controller()
export class ConnectedAppsPageController {
  private readonly logger = new Logger('McpAuthConnectedApps');

  constructor(
    private readonly config: McpAuthConfig,
    private readonly apps: ConnectedAppsContext,
    private readonly audit: McpAuthAudit,
  ) {}

  @Get()
  async show(@Req() request: HttpRequest, @Res() response: HttpResponse): Promise<void> {
    await this.answer(response, async () => {
      const user = await this.apps.requests.user(request);
      if (!user) {
        this.sendSignIn(request, response, 200);
        return;
      }
      const query = new RequestParameters(request.query);
      const cursor = formField(query, 'cursor');
      const notice = formField(query, 'revoked') === '1' ? 'Access revoked.' : undefined;
      await this.sendList(request, response, user, cursor, notice);
    });
  }

  @Post('login')
  async login(@Req() request: HttpRequest, @Res() response: HttpResponse): Promise<void> {
    await this.answer(response, async () => {
      const authenticator = this.apps.authenticator;
      if (!authenticator) {
        this.page(response, 404, 'Not found', 'There is no such page.');
        return;
      }
      const form = new RequestParameters(request.body);
      if (!this.formAllowed(request, form, 'login')) {
        this.refuseForm(response);
        return;
      }
      const username = formField(form, 'username') ?? '';
      const password = formField(form, 'password') ?? '';
      const owner =
        username &&
        password &&
        username.length <= MAX_CREDENTIAL_LENGTH &&
        password.length <= MAX_CREDENTIAL_LENGTH
          ? await authenticator.authenticate(username, password, { ip: request.ip })
          : null;
      if (!owner) {
        this.audit.emit({
          type: 'sign_in.failed',
          method: 'password',
          context: 'connected_apps',
          reason: 'invalid_credentials',
          ...this.audit.username(username.length <= MAX_CREDENTIAL_LENGTH ? username : undefined),
          ...this.audit.clientAddress(request.ip),
        });
        this.sendSignIn(request, response, 401, {
          username: username.length <= MAX_CREDENTIAL_LENGTH ? username : '',
          error: 'The username or password is not correct.',
        });
        return;
      }
      await this.apps.sessions.start(response, {
        subject: owner.subject,
        displayName: owner.displayName || username,
      });
      this.audit.emit({
        type: 'sign_in.succeeded',
        method: 'password',
        context: 'connected_apps',
        subject: owner.subject,
        ...this.audit.username(username),
        ...this.audit.clientAddress(request.ip),
      });
      redirect(response, 303, this.apps.options.path);
    });
  }

  @Post('logout')
  async logout(@Req() request: HttpRequest, @Res() response: HttpResponse): Promise<void> {
    await this.answer(response, async () => {
      const user = await this.apps.requests.user(request);
      const form = new RequestParameters(request.body);
      if (!user || !this.formAllowed(request, form, 'logout', user)) {
        this.refuseForm(response);
        return;
      }
      this.apps.sessions.end(response);
      redirect(response, 303, this.apps.options.path);
    });
  }

  @Post('revoke')
  async revoke(@Req() request: HttpRequest, @Res() response: HttpResponse): Promise<void> {
    await this.answer(response, async () => {
      const user = await this.apps.requests.user(request);
      if (!user) {
        this.sendSignIn(request, response, 401);
        return;
      }
      const form = new RequestParameters(request.body);
      if (!this.formAllowed(request, form, 'revoke', user)) {
        this.refuseForm(response);
        return;
      }
      const grantId = formField(form, 'grant') ?? '';
      if (!(await this.apps.service.revoke(user, grantId))) {
        // Unknown, malformed, already revoked or another user's: one answer for all.
        this.page(response, 404, 'Not found', 'This application is not connected to your account.');
        return;
      }
      redirect(response, 303, `${this.apps.options.path}?revoked=1`);
    });
  }

  private async sendList(
    request: HttpRequest,
    response: HttpResponse,
    user: ConnectedAppsUser,
    cursor: string | undefined,
    notice: string | undefined,
  ): Promise<void> {
    let page;
    try {
      page = await this.apps.service.list(user, CONNECTED_APPS_PAGE_SIZE, cursor);
    } catch (error) {
      if (!(error instanceof InvalidGrantListQueryError)) throw error;
      this.page(response, 400, 'Invalid request', 'This link is not valid.');
      return;
    }
    const binding = this.apps.requests.binding(request);
    if (binding.isNew) binding.writeCookie(response, this.config.secureCookies);
    const { path } = this.apps.options;
    sendResponse(
      response,
      200,
      PAGE_HEADERS,
      renderConnectedAppsList({
        serviceName: this.serviceName(),
        userLabel: user.displayName ?? user.subject,
        apps: page.apps,
        revokeAction: `${path}/revoke`,
        revokeCsrf: this.apps.requests.csrfToken(binding, 'revoke', user.subject),
        logout:
          this.apps.options.signIn === 'built-in'
            ? {
                action: `${path}/logout`,
                csrfToken: this.apps.requests.csrfToken(binding, 'logout', user.subject),
              }
            : undefined,
        moreUrl: page.nextCursor
          ? `${path}?cursor=${encodeURIComponent(page.nextCursor)}`
          : undefined,
        notice,
      }),
    );
  }

  private sendSignIn(
    request: HttpRequest,
    response: HttpResponse,
    status: number,
    extra: { username?: string; error?: string } = {},
  ): void {
    if (this.apps.options.signIn === 'resolver') {
      sendResponse(
        response,
        status === 200 ? 401 : status,
        PAGE_HEADERS,
        renderConnectedAppsSignedOut(this.serviceName(), this.apps.options.signInUrl),
      );
      return;
    }
    const binding = this.apps.requests.binding(request);
    if (binding.isNew) binding.writeCookie(response, this.config.secureCookies);
    sendResponse(
      response,
      status,
      PAGE_HEADERS,
      renderConnectedAppsSignIn({
        serviceName: this.serviceName(),
        // No authenticator (federation only): no password form, the provider buttons alone.
        action: this.apps.authenticator ? `${this.apps.options.path}/login` : undefined,
        providers: this.apps.providers,
        csrfToken: this.apps.requests.csrfToken(binding, 'login'),
        ...extra,
      }),
    );
  }

  /** Same origin (when the browser says) and the form's own CSRF token. */
  private formAllowed(
    request: HttpRequest,
    form: RequestParameters,
    kind: 'login' | 'logout' | 'revoke',
    user?: ConnectedAppsUser,
  ): boolean {
    return (
      this.apps.requests.sameOrigin(request, true) &&
      this.apps.requests.checkCsrf(request, formField(form, 'csrf'), kind, user?.subject)
    );
  }

  private refuseForm(response: HttpResponse): void {
    this.page(response, 403, 'Request refused', 'The form is stale or came from another site.');
  }

  private page(response: HttpResponse, status: number, title: string, message: string): void {
    sendResponse(response, status, PAGE_HEADERS, renderErrorPage(title, message));
  }

  /** A database outage is a 503 page the user can retry; anything else is logged as a fault. */
  private async answer(response: HttpResponse, handle: () => Promise<void>): Promise<void> {
    try {
      await handle();
    } catch (error) {
      if (isDatabaseUnavailableError(error)) {
        setHeader(response, 'Retry-After', String(DATABASE_UNAVAILABLE_RETRY_AFTER_SECONDS));
        this.page(response, 503, 'Temporarily unavailable', 'Try again in a few seconds.');
        return;
      }
      this.logger.error(`connected apps request failed: ${(error as Error).message}`);
      this.page(response, 500, 'Something went wrong', 'The request could not be processed.');
    }
  }

  private serviceName(): string {
    const { interaction } = this.config;
    return (
      (interaction.type === 'built-in' && interaction.serviceName) ||
      new URL(this.config.issuer).host
    );
  }
}
