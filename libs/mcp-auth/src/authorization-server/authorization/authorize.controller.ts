import { Controller, Get, Logger, Post, Req, Res } from '@nestjs/common';
import { AllowedMethods } from '../../http/allowed-methods.decorator';
import {
  redirect,
  sendResponse,
  setHeader,
  type HttpRequest,
  type HttpResponse,
} from '../../http/http-exchange';
import { ENDPOINT_PATHS, McpAuthConfig } from '../../mcp-auth.config';
import {
  DATABASE_UNAVAILABLE_RETRY_AFTER_SECONDS,
  isDatabaseUnavailableError,
} from '../../oauth/database-unavailable';
import { buildAuthorizationResponseUrl } from './authorization-response';
import {
  AuthorizationRequestValidator,
  RedirectableAuthorizationError,
  UntrustedAuthorizationRequestError,
} from './authorization-request.validator';
import { BrowserBinding } from './browser-binding';
import { PAGE_HEADERS, renderErrorPage } from '../../http/page';
import { McpAuthorizationService } from './mcp-authorization.service';

/**
 * The authorization endpoint (OAuth 2.1 §4.1.1), GET and POST. It validates, persists the
 * request and hands the browser to the login and consent interaction.
 */
@Controller()
@AllowedMethods(ENDPOINT_PATHS.authorization, ['GET', 'POST'])
export class AuthorizeController {
  private readonly logger = new Logger('McpAuthAuthorize');

  constructor(
    private readonly config: McpAuthConfig,
    private readonly validator: AuthorizationRequestValidator,
    private readonly authorization: McpAuthorizationService,
  ) {}

  @Get(ENDPOINT_PATHS.authorization)
  authorizeGet(@Req() request: HttpRequest, @Res() response: HttpResponse): Promise<void> {
    return this.authorize(request.query, request, response);
  }

  /** OAuth 2.1 §4.1.1 allows the parameters as a form body too. */
  @Post(ENDPOINT_PATHS.authorization)
  authorizePost(@Req() request: HttpRequest, @Res() response: HttpResponse): Promise<void> {
    return this.authorize(request.body, request, response);
  }

  private async authorize(
    raw: unknown,
    request: HttpRequest,
    response: HttpResponse,
  ): Promise<void> {
    try {
      const validated = await this.validator.validate(raw);
      if (validated.prompt.includes('none') && this.config.interaction.type === 'built-in') {
        // The built-in pages keep no sign-in between authorizations: nobody is signed in, and
        // prompt=none forbids asking (OIDC Core §3.1.2.6). A host's own page decides itself.
        redirect(
          response,
          302,
          buildAuthorizationResponseUrl(validated.redirectUri, this.config.issuer, {
            error: 'login_required',
            error_description: 'Nobody is signed in and prompt=none forbids asking.',
            state: validated.state,
          }),
        );
        return;
      }
      const binding = BrowserBinding.fromRequest(request, this.config.secureCookies);
      const interactionId = await this.authorization.begin(validated, binding.hash);
      if (binding.isNew) {
        binding.writeCookie(response, this.config.secureCookies);
      }
      redirect(response, 302, this.interactionUrl(interactionId));
    } catch (error) {
      if (error instanceof UntrustedAuthorizationRequestError) {
        // AS-14: never redirect before the client and its redirect URI are trusted.
        this.page(response, 400, 'Invalid authorization request', error.message);
      } else if (error instanceof RedirectableAuthorizationError) {
        redirect(
          response,
          302,
          buildAuthorizationResponseUrl(error.redirectUri, this.config.issuer, {
            error: error.oauthError.error,
            error_description: error.oauthError.description,
            state: error.state,
          }),
        );
      } else if (isDatabaseUnavailableError(error)) {
        // The client and redirect URI cannot be checked: a page, never a redirect (AS-14).
        this.logger.warn(`authorization request failed, database unavailable: ${String(error)}`);
        setHeader(response, 'Retry-After', String(DATABASE_UNAVAILABLE_RETRY_AFTER_SECONDS));
        this.page(response, 503, 'Temporarily unavailable', 'Try again in a few seconds.');
      } else {
        this.logger.error(`authorization request failed: ${(error as Error).message}`);
        this.page(response, 500, 'Something went wrong', 'The request could not be processed.');
      }
    }
  }

  private interactionUrl(interactionId: string): string {
    const { interaction } = this.config;
    if (interaction.type === 'external') {
      const url = new URL(interaction.loginUrl, this.config.issuer);
      url.searchParams.set('interaction', interactionId);
      return url.toString();
    }
    return `${this.config.endpoints.interaction}/${interactionId}`;
  }

  private page(response: HttpResponse, status: number, title: string, message: string): void {
    sendResponse(response, status, PAGE_HEADERS, renderErrorPage(title, message));
  }
}
