import {
  Controller,
  Get,
  Inject,
  Logger,
  type OnModuleInit,
  Optional,
  Param,
  Post,
  Req,
  Res,
} from '@nestjs/common';
import { McpAuthAudit } from '../../audit/audit.service';
import { redirect, type HttpRequest, type HttpResponse } from '../../http/http-exchange';
import { ENDPOINT_PATHS, McpAuthConfig } from '../../mcp-auth.config';
import { isDatabaseUnavailableError } from '../../oauth/database-unavailable';
import { BrowserBinding } from './browser-binding';
import { InteractionPageResponder } from './interaction-page.responder';
import { formField, InteractionSessions } from './interaction-session';
import { InteractionNotFoundError, McpAuthorizationService } from './mcp-authorization.service';
import { ResourceOwnerAuthenticator } from './resource-owner-authenticator.interface';

const MAX_CREDENTIAL_LENGTH = 1024;

/**
 * The built-in login and consent pages (AS-17): plain server-rendered HTML, escaped output,
 * CSRF tokens bound to the browser, no framing. Every step re-checks that the browser is the
 * one that started the authorization.
 */
@Controller()
export class InteractionController implements OnModuleInit {
  private readonly logger = new Logger('McpAuthInteraction');
  // Plain helpers built here rather than providers: the per-instance controller subclasses
  // then need nothing registered besides the controller.
  private readonly pages: InteractionPageResponder;
  private readonly sessions: InteractionSessions;

  constructor(
    private readonly config: McpAuthConfig,
    private readonly authorization: McpAuthorizationService,
    @Optional()
    @Inject(ResourceOwnerAuthenticator)
    private readonly authenticator: ResourceOwnerAuthenticator | undefined,
    private readonly audit: McpAuthAudit,
  ) {
    this.pages = new InteractionPageResponder(config, authorization, authenticator !== undefined);
    this.sessions = new InteractionSessions(config, authorization, this.pages);
  }

  onModuleInit(): void {
    if (
      this.config.interaction.type === 'built-in' &&
      !this.authenticator &&
      this.config.federation.providers.length === 0
    ) {
      throw new Error(
        'McpAuthModule: the built-in login page needs a ResourceOwnerAuthenticator or federation ' +
          'providers. Provide one with extraProviders: [{ provide: ResourceOwnerAuthenticator, ' +
          'useClass: YourAuthenticator }], configure federation: { providers: [...] }, ' +
          "or use interaction: { type: 'external', loginUrl } with your own login page.",
      );
    }
  }

  @Get(`${ENDPOINT_PATHS.interaction}/:id`)
  async show(
    @Param('id') id: string,
    @Req() request: HttpRequest,
    @Res() response: HttpResponse,
  ): Promise<void> {
    try {
      const session = await this.sessions.open(id, request, response);
      if (!session) return;
      const { interaction, binding } = session;
      if (!interaction.subject) {
        this.pages.sendLogin(response, 200, id, interaction, binding);
        return;
      }
      // Skipped only for a client that authenticates, unless prompt=consent (RFC 8252 §8.6).
      if (await this.authorization.hasConsent(interaction, interaction.subject)) {
        await this.finish(id, request, response, () =>
          this.authorization.completeAuthorization(id, { subject: interaction.subject as string }),
        );
        return;
      }
      this.pages.sendConsent(response, id, interaction, binding);
    } catch (error) {
      this.pages.failed(response, error);
    }
  }

  @Post(`${ENDPOINT_PATHS.interaction}/:id/login`)
  async login(
    @Param('id') id: string,
    @Req() request: HttpRequest,
    @Res() response: HttpResponse,
  ): Promise<void> {
    try {
      if (!this.authenticator) {
        // Federation only: there is no password to check.
        this.pages.page(response, 404, 'Not found', 'There is no such page.');
        return;
      }
      const posted = await this.sessions.posted(id, request, response, 'login');
      if (!posted) return;
      const { interaction, binding, form } = posted;
      const username = formField(form, 'username') ?? '';
      const password = formField(form, 'password') ?? '';
      const authenticator = this.authenticator;
      const owner =
        username &&
        password &&
        username.length <= MAX_CREDENTIAL_LENGTH &&
        password.length <= MAX_CREDENTIAL_LENGTH
          ? await authenticator.authenticate(username, password, { ip: request.ip })
          : null;
      const who = {
        method: 'password' as const,
        client_id: interaction.clientId,
        ...this.audit.username(username.length <= MAX_CREDENTIAL_LENGTH ? username : undefined),
        ...this.audit.clientAddress(request.ip),
      };
      if (!owner) {
        this.audit.emit({ type: 'sign_in.failed', ...who, reason: 'invalid_credentials' });
        this.pages.sendLogin(response, 401, id, interaction, binding, {
          username,
          error: 'The username or password is not correct.',
        });
        return;
      }
      // Session fixation: the cookie this browser had before signing in (whoever chose it)
      // continues nothing afterwards; the interaction moves to a fresh one in the same statement.
      const rotated = BrowserBinding.create();
      const signedIn = await this.authorization.recordSignIn(
        id,
        { subject: owner.subject, displayName: owner.displayName || username },
        { current: binding.hash, next: rotated.hash },
      );
      if (!signedIn) {
        await this.pages.notPending(id, request, response);
        return;
      }
      this.audit.emit({ type: 'sign_in.succeeded', ...who, subject: owner.subject });
      rotated.writeCookie(response, this.config.secureCookies);
      // Post/redirect/get: the consent page (or the client) comes from a fresh GET, whose CSRF
      // token is keyed with the new cookie.
      redirect(response, 303, `${this.config.endpoints.interaction}/${id}`);
    } catch (error) {
      this.pages.failed(response, error);
    }
  }

  @Post(`${ENDPOINT_PATHS.interaction}/:id/consent`)
  async consent(
    @Param('id') id: string,
    @Req() request: HttpRequest,
    @Res() response: HttpResponse,
  ): Promise<void> {
    try {
      const posted = await this.sessions.posted(id, request, response, 'consent');
      if (!posted) return;
      const { interaction, binding, form } = posted;
      const decision = formField(form, 'decision');
      if (decision === 'deny') {
        // Cancelling needs no sign-in: the sign-in page with federation offers it first.
        await this.finish(id, request, response, () => this.authorization.denyAuthorization(id));
        return;
      }
      if (!interaction.subject) {
        this.pages.sendLogin(response, 401, id, interaction, binding);
        return;
      }
      if (decision === 'approve') {
        const subject = interaction.subject;
        await this.finish(id, request, response, () =>
          this.authorization.completeAuthorization(id, { subject }),
        );
      } else {
        this.pages.page(response, 400, 'Invalid request', 'Choose Approve or Deny.');
      }
    } catch (error) {
      this.pages.failed(response, error);
    }
  }

  private async finish(
    id: string,
    request: HttpRequest,
    response: HttpResponse,
    complete: () => Promise<{ redirectUrl: string }>,
  ): Promise<void> {
    try {
      const { redirectUrl } = await complete();
      redirect(response, 303, redirectUrl);
    } catch (error) {
      if (error instanceof InteractionNotFoundError) {
        await this.pages.notPending(id, request, response);
        return;
      }
      if (isDatabaseUnavailableError(error)) {
        this.pages.failed(response, error);
        return;
      }
      this.logger.error(`authorization could not be completed: ${(error as Error).message}`);
      this.pages.page(
        response,
        500,
        'Something went wrong',
        'The authorization could not be completed.',
      );
    }
  }
}
