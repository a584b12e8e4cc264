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
import type { Request, Response } from 'express';
import { ENDPOINT_PATHS, McpAuthConfig } from '../../mcp-auth.config';
import {
  DATABASE_UNAVAILABLE_RETRY_AFTER_SECONDS,
  isDatabaseUnavailableError,
} from '../../oauth/database-unavailable';
import { RequestParameters } from '../../oauth/request-parameters';
import { hashSecret } from '../../tokens/secret-hash';
import { BrowserBinding } from './browser-binding';
import {
  PAGE_HEADERS,
  renderConsentPage,
  renderErrorPage,
  renderLoginPage,
} from './interaction-pages';
import {
  InteractionNotFoundError,
  McpAuthorizationService,
  type PendingInteraction,
} from './mcp-authorization.service';
import { ResourceOwnerAuthenticator } from './resource-owner-authenticator.interface';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const MAX_CREDENTIAL_LENGTH = 1024;

/**
 * The built-in login and consent pages (AS-17): plain server-rendered HTML, escaped output,
 * CSRF tokens bound to the browser, no framing. Every step re-checks that the browser is the
 * one that started the authorization.
 */
@Controller()
export class InteractionController implements OnModuleInit {
  private readonly logger = new Logger('McpAuthInteraction');

  constructor(
    private readonly config: McpAuthConfig,
    private readonly authorization: McpAuthorizationService,
    @Optional()
    @Inject(ResourceOwnerAuthenticator)
    private readonly authenticator: ResourceOwnerAuthenticator | undefined,
  ) {}

  onModuleInit(): void {
    if (this.config.interaction.type === 'built-in' && !this.authenticator) {
      throw new Error(
        'McpAuthModule: the built-in login page needs a ResourceOwnerAuthenticator. Provide one ' +
          'with extraProviders: [{ provide: ResourceOwnerAuthenticator, useClass: YourAuthenticator }], ' +
          "or use interaction: { type: 'external', loginUrl } with your own login page.",
      );
    }
  }

  @Get(`${ENDPOINT_PATHS.interaction}/:id`)
  async show(
    @Param('id') id: string,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    try {
      const session = await this.session(id, request, response);
      if (!session) return;
      const { interaction, binding } = session;
      if (!interaction.subject) {
        this.sendLogin(response, 200, id, interaction, binding);
        return;
      }
      // Skipped only for a client that authenticates, unless prompt=consent (RFC 8252 §8.6).
      if (await this.authorization.hasConsent(interaction, interaction.subject)) {
        await this.finish(id, request, response, () =>
          this.authorization.completeAuthorization(id, { subject: interaction.subject as string }),
        );
        return;
      }
      this.sendConsent(response, id, interaction, binding);
    } catch (error) {
      this.failed(response, error);
    }
  }

  @Post(`${ENDPOINT_PATHS.interaction}/:id/login`)
  async login(
    @Param('id') id: string,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    try {
      const posted = await this.postedForm(id, request, response, 'login');
      if (!posted) return;
      const { interaction, binding, form } = posted;
      const username = safeOptional(form, 'username') ?? '';
      const password = safeOptional(form, 'password') ?? '';
      const authenticator = this.authenticator as ResourceOwnerAuthenticator;
      const owner =
        username &&
        password &&
        username.length <= MAX_CREDENTIAL_LENGTH &&
        password.length <= MAX_CREDENTIAL_LENGTH
          ? await authenticator.authenticate(username, password, { ip: request.ip })
          : null;
      if (!owner) {
        this.sendLogin(response, 401, id, interaction, binding, {
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
        await this.notPending(id, request, response);
        return;
      }
      rotated.writeCookie(response, this.config.secureCookies);
      // Post/redirect/get: the consent page (or the client) comes from a fresh GET, whose CSRF
      // token is keyed with the new cookie.
      response.set('Cache-Control', 'no-store');
      response.redirect(303, `${this.config.endpoints.interaction}/${id}`);
    } catch (error) {
      this.failed(response, error);
    }
  }

  @Post(`${ENDPOINT_PATHS.interaction}/:id/consent`)
  async consent(
    @Param('id') id: string,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    try {
      const posted = await this.postedForm(id, request, response, 'consent');
      if (!posted) return;
      const { interaction, binding, form } = posted;
      if (!interaction.subject) {
        this.sendLogin(response, 401, id, interaction, binding);
        return;
      }
      const decision = safeOptional(form, 'decision');
      if (decision === 'approve') {
        const subject = interaction.subject;
        await this.finish(id, request, response, () =>
          this.authorization.completeAuthorization(id, { subject }),
        );
      } else if (decision === 'deny') {
        await this.finish(id, request, response, () => this.authorization.denyAuthorization(id));
      } else {
        this.page(response, 400, 'Invalid request', 'Choose Approve or Deny.');
      }
    } catch (error) {
      this.failed(response, error);
    }
  }

  /** A database outage is a 503 page the user can retry; anything else is a real fault. */
  private failed(response: Response, error: unknown): void {
    if (!isDatabaseUnavailableError(error)) throw error;
    this.logger.warn(`interaction failed, database unavailable: ${String(error)}`);
    response.set('Retry-After', String(DATABASE_UNAVAILABLE_RETRY_AFTER_SECONDS));
    this.page(response, 503, 'Temporarily unavailable', 'Try again in a few seconds.');
  }

  /** A submitted form: the browser's session plus a CSRF token minted for this form. */
  private async postedForm(
    id: string,
    request: Request,
    response: Response,
    kind: 'login' | 'consent',
  ): Promise<
    | { interaction: PendingInteraction; binding: BrowserBinding; form: RequestParameters }
    | undefined
  > {
    const session = await this.session(id, request, response);
    if (!session) return undefined;
    const form = new RequestParameters(request.body);
    if (!session.binding.checkCsrf(safeOptional(form, 'csrf'), session.idHash, kind)) {
      this.page(response, 403, 'Request refused', 'The form is stale or came from another site.');
      return undefined;
    }
    return { interaction: session.interaction, binding: session.binding, form };
  }

  /** Loads the interaction and checks that this browser started it. */
  private async session(
    id: string,
    request: Request,
    response: Response,
  ): Promise<
    { interaction: PendingInteraction; binding: BrowserBinding; idHash: string } | undefined
  > {
    if (this.config.interaction.type !== 'built-in') {
      // The host runs its own login page; these routes do not exist for it.
      this.page(response, 404, 'Not found', 'There is no such page.');
      return undefined;
    }
    const loaded = await this.authorization.loadInteraction(id);
    if (!loaded) {
      await this.notPending(id, request, response);
      return undefined;
    }
    const binding = BrowserBinding.read(request, this.config.secureCookies);
    if (!binding || !binding.matches(loaded.browserBindingHash)) {
      this.page(
        response,
        403,
        'Request refused',
        'This sign-in was started in another browser. Start again from the application.',
      );
      return undefined;
    }
    return { interaction: loaded.interaction, binding, idHash: hashSecret(id) };
  }

  private async finish(
    id: string,
    request: Request,
    response: Response,
    complete: () => Promise<{ redirectUrl: string }>,
  ): Promise<void> {
    try {
      const { redirectUrl } = await complete();
      response.set('Cache-Control', 'no-store');
      response.redirect(303, redirectUrl);
    } catch (error) {
      if (error instanceof InteractionNotFoundError) {
        await this.notPending(id, request, response);
        return;
      }
      if (isDatabaseUnavailableError(error)) {
        this.failed(response, error);
        return;
      }
      this.logger.error(`authorization could not be completed: ${(error as Error).message}`);
      this.page(response, 500, 'Something went wrong', 'The authorization could not be completed.');
    }
  }

  private sendLogin(
    response: Response,
    status: number,
    id: string,
    interaction: PendingInteraction,
    binding: BrowserBinding,
    extra: { username?: string; error?: string } = {},
  ): void {
    response
      .status(status)
      .set(PAGE_HEADERS)
      .send(
        renderLoginPage({
          serviceName: this.serviceName(),
          clientName: interaction.clientName ?? interaction.clientId,
          action: `${this.config.endpoints.interaction}/${id}/login`,
          csrfToken: binding.csrfToken(hashSecret(id), 'login'),
          ...extra,
        }),
      );
  }

  private sendConsent(
    response: Response,
    id: string,
    interaction: PendingInteraction,
    binding: BrowserBinding,
  ): void {
    const redirect = new URL(interaction.redirectUri);
    const redirectHost = redirect.host || `${redirect.protocol}${redirect.pathname}`;
    response
      .status(200)
      .set(PAGE_HEADERS)
      .send(
        renderConsentPage({
          serviceName: this.serviceName(),
          clientName: interaction.clientName ?? interaction.clientId,
          clientId: interaction.clientId,
          redirectHost,
          redirectIsLoopback: LOOPBACK_HOSTS.has(redirect.hostname),
          redirectUri: interaction.redirectUri,
          scopes: interaction.scopes,
          resource: interaction.resource,
          subjectLabel: interaction.subjectDisplayName ?? interaction.subject ?? '',
          action: `${this.config.endpoints.interaction}/${id}/consent`,
          csrfToken: binding.csrfToken(hashSecret(id), 'consent'),
        }),
      );
  }

  private serviceName(): string {
    const { interaction } = this.config;
    return (
      (interaction.type === 'built-in' && interaction.serviceName) ||
      new URL(this.config.issuer).host
    );
  }

  /**
   * The interaction is not pending. The browser that answered it (back button, a second
   * Approve) learns it was already answered; any other browser learns nothing more than
   * "unknown or expired".
   */
  private async notPending(id: string, request: Request, response: Response): Promise<void> {
    const answered = await this.authorization.answeredBrowserBinding(id);
    const binding = BrowserBinding.read(request, this.config.secureCookies);
    if (answered !== null && binding?.matches(answered)) {
      this.page(
        response,
        400,
        'Already answered',
        'You already approved or denied this request. Return to the application; to connect again, start from there.',
      );
      return;
    }
    this.expired(response);
  }

  private expired(response: Response): void {
    this.page(
      response,
      400,
      'This request has expired',
      'The authorization request is unknown, expired or already finished.',
    );
  }

  private page(response: Response, status: number, title: string, message: string): void {
    response.status(status).set(PAGE_HEADERS).send(renderErrorPage(title, message));
  }
}

/** Form fields: a malformed (repeated, nested) one counts as absent. */
function safeOptional(form: RequestParameters, name: string): string | undefined {
  try {
    return form.optional(name);
  } catch {
    return undefined;
  }
}
