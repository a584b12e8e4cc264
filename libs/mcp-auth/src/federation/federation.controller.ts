import { Controller, Get, Inject, Logger, Optional, Param, Post, Req, Res } from '@nestjs/common';
import { BrowserBinding } from '../authorization-server/authorization/browser-binding';
import { InteractionPageResponder } from '../authorization-server/authorization/interaction-page.responder';
import { InteractionSessions } from '../authorization-server/authorization/interaction-session';
import { McpAuthorizationService } from '../authorization-server/authorization/mcp-authorization.service';
import { ResourceOwnerAuthenticator } from '../authorization-server/authorization/resource-owner-authenticator.interface';
import { formField } from '../authorization-server/authorization/interaction-session';
import { ConnectedAppsContext } from '../connected-apps/connected-apps.context';
import { redirect, type HttpRequest, type HttpResponse } from '../http/http-exchange';
import { ENDPOINT_PATHS, McpAuthConfig } from '../mcp-auth.config';
import { RequestParameters } from '../oauth/request-parameters';
import { hashSecret } from '../tokens/secret-hash';
import { FederationService } from './federation.service';
import { UpstreamUnavailableError } from './upstream-provider';

/**
 * The two browser steps of federation: the approved sign-in page sends the browser upstream
 * (a form post, so a link in another site cannot start it), and the provider sends it back.
 */
@Controller()
export class FederationController {
  private readonly logger = new Logger('McpAuthFederation');
  private readonly pages: InteractionPageResponder;
  private readonly sessions: InteractionSessions;

  constructor(
    private readonly config: McpAuthConfig,
    authorization: McpAuthorizationService,
    private readonly federation: FederationService,
    private readonly apps: ConnectedAppsContext,
    @Optional()
    @Inject(ResourceOwnerAuthenticator)
    authenticator: ResourceOwnerAuthenticator | undefined,
  ) {
    this.pages = new InteractionPageResponder(config, authorization, authenticator !== undefined);
    this.sessions = new InteractionSessions(config, authorization, this.pages);
  }

  /** "Approve and continue with <provider>": consent given, then off to the provider. */
  @Post(`${ENDPOINT_PATHS.interaction}/:id/federate/:provider`)
  async federate(
    @Param('id') id: string,
    @Param('provider') providerId: string,
    @Req() request: HttpRequest,
    @Res() response: HttpResponse,
  ): Promise<void> {
    try {
      if (!this.federation.has(providerId)) {
        this.pages.page(response, 404, 'Not found', 'There is no such sign-in provider.');
        return;
      }
      // The consent form's CSRF token: this post is the approval of that page.
      const posted = await this.sessions.posted(id, request, response, 'consent');
      if (!posted) return;
      const url = await this.federation.start(
        providerId,
        hashSecret(id),
        posted.binding.hash,
        posted.interaction,
      );
      redirect(response, 303, url.href);
    } catch (error) {
      this.unavailable(response, error);
    }
  }

  /**
   * "Continue with <provider>" on the connected-apps page: its own sign-in form (same origin,
   * its CSRF token), then off to the provider. The callback below brings the browser back.
   */
  @Post(`${ENDPOINT_PATHS.federation}/:provider/connected-apps`)
  async signInOnPage(
    @Param('provider') providerId: string,
    @Req() request: HttpRequest,
    @Res() response: HttpResponse,
  ): Promise<void> {
    try {
      const { options, requests } = this.apps;
      if (!options.enabled || options.signIn !== 'built-in' || !this.federation.has(providerId)) {
        this.pages.page(response, 404, 'Not found', 'There is no such sign-in provider.');
        return;
      }
      const form = new RequestParameters(request.body);
      const binding = BrowserBinding.read(request, this.config.secureCookies);
      if (
        !binding ||
        !requests.sameOrigin(request, true) ||
        !requests.checkCsrf(request, formField(form, 'csrf'), 'login')
      ) {
        this.pages.page(
          response,
          403,
          'Request refused',
          'The form is stale or came from another site.',
        );
        return;
      }
      const url = await this.federation.startPageSignIn(providerId, binding.hash);
      redirect(response, 303, url.href);
    } catch (error) {
      this.unavailable(response, error);
    }
  }

  /** The provider's answer: code and state, or an error. */
  @Get(`${ENDPOINT_PATHS.federation}/:provider/callback`)
  async callback(
    @Param('provider') providerId: string,
    @Req() request: HttpRequest,
    @Res() response: HttpResponse,
  ): Promise<void> {
    try {
      const raw = request.originalUrl ?? request.url;
      const query = raw.includes('?') ? raw.slice(raw.indexOf('?')) : '';
      // What the provider redirected to: our registered callback URL plus its parameters.
      const currentUrl = new URL(`${this.federation.callbackUrl(providerId)}${query}`);
      const binding = BrowserBinding.read(request, this.config.secureCookies);
      // Session fixation: whoever chose the cookie before sign-in continues nothing after it.
      const rotated = BrowserBinding.create();
      const outcome = await this.federation.finish(
        providerId,
        currentUrl,
        binding?.hash,
        rotated.hash,
        request.ip,
      );
      switch (outcome.kind) {
        case 'redirect':
          if (outcome.rotatedBinding) rotated.writeCookie(response, this.config.secureCookies);
          redirect(response, 303, outcome.redirectUrl);
          return;
        case 'refused':
          this.pages.refusal(response, outcome.reason, outcome.returnUrl);
          return;
        case 'page':
          this.pages.page(response, outcome.status, outcome.title, outcome.message);
          return;
        case 'connected_apps':
          // The page's session only: the binding cookie and any pending authorization of this
          // browser are left as they were.
          await this.apps.sessions.start(response, outcome.user);
          redirect(response, 303, this.apps.options.path);
          return;
      }
    } catch (error) {
      this.unavailable(response, error);
    }
  }

  private unavailable(response: HttpResponse, error: unknown): void {
    if (error instanceof UpstreamUnavailableError) {
      this.logger.warn(error.message);
      this.pages.page(
        response,
        503,
        'Sign-in unavailable',
        'The sign-in provider did not answer. Try again in a moment.',
      );
      return;
    }
    this.pages.failed(response, error);
  }
}
