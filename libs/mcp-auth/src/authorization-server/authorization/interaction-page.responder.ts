import { Logger } from '@nestjs/common';
import {
  sendResponse,
  setHeader,
  type HttpRequest,
  type HttpResponse,
} from '../../http/http-exchange';
import type { McpAuthConfig } from '../../mcp-auth.config';
import {
  DATABASE_UNAVAILABLE_RETRY_AFTER_SECONDS,
  isDatabaseUnavailableError,
} from '../../oauth/database-unavailable';
import { hashSecret } from '../../tokens/secret-hash';
import { BrowserBinding } from './browser-binding';
import { PAGE_HEADERS, renderErrorPage } from '../../http/page';
import { LOOPBACK_HOSTS } from '../../oauth/loopback';
import { renderFederatedSignInPage } from './federated-sign-in-page';
import {
  type ConsentDetails,
  renderConsentPage,
  renderLoginPage,
  renderRefusalPage,
} from './interaction-pages';
import type { McpAuthorizationService, PendingInteraction } from './mcp-authorization.service';

/**
 * Writes the built-in interaction pages: which page, with which status and model. Kept apart
 * from the controller so the routes read as the steps of the flow.
 */
export class InteractionPageResponder {
  private readonly logger = new Logger('McpAuthInteraction');

  constructor(
    private readonly config: McpAuthConfig,
    private readonly authorization: McpAuthorizationService,
    /** Whether a `ResourceOwnerAuthenticator` is there for the password form. */
    private readonly passwordSignIn = true,
  ) {}

  sendLogin(
    response: HttpResponse,
    status: number,
    id: string,
    interaction: PendingInteraction,
    binding: BrowserBinding,
    extra: { username?: string; error?: string } = {},
  ): void {
    const idHash = hashSecret(id);
    const password = this.passwordSignIn
      ? {
          action: `${this.config.endpoints.interaction}/${id}/login`,
          csrfToken: binding.csrfToken(idHash, 'login'),
          ...extra,
        }
      : undefined;
    const providers = this.config.federation.providers;
    if (providers.length > 0) {
      // Federation: consent comes first, on this page, before the browser goes upstream.
      sendResponse(
        response,
        status,
        PAGE_HEADERS,
        renderFederatedSignInPage({
          ...this.consentDetails(interaction),
          providers: providers.map((provider) => ({
            name: provider.name,
            action: `${this.config.endpoints.interaction}/${id}/federate/${provider.id}`,
          })),
          csrfToken: binding.csrfToken(idHash, 'consent'),
          denyAction: `${this.config.endpoints.interaction}/${id}/consent`,
          password,
        }),
      );
      return;
    }
    sendResponse(
      response,
      status,
      PAGE_HEADERS,
      renderLoginPage({
        serviceName: this.serviceName(),
        clientName: interaction.clientName ?? interaction.clientId,
        action: `${this.config.endpoints.interaction}/${id}/login`,
        csrfToken: binding.csrfToken(idHash, 'login'),
        ...extra,
      }),
    );
  }

  sendConsent(
    response: HttpResponse,
    id: string,
    interaction: PendingInteraction,
    binding: BrowserBinding,
  ): void {
    sendResponse(
      response,
      200,
      PAGE_HEADERS,
      renderConsentPage({
        ...this.consentDetails(interaction),
        subjectLabel: interaction.subjectDisplayName ?? interaction.subject ?? '',
        action: `${this.config.endpoints.interaction}/${id}/consent`,
        csrfToken: binding.csrfToken(hashSecret(id), 'consent'),
      }),
    );
  }

  /** What every consent page says about a pending interaction (AS-17). */
  consentDetails(interaction: PendingInteraction): ConsentDetails {
    const redirect = new URL(interaction.redirectUri);
    return {
      serviceName: this.serviceName(),
      clientName: interaction.clientName ?? interaction.clientId,
      clientId: interaction.clientId,
      clientIdHost: interaction.clientIdHost,
      unverifiedLoopbackClient: interaction.clientIdHost !== null && interaction.loopbackOnly,
      redirectHost: redirect.host || `${redirect.protocol}${redirect.pathname}`,
      redirectIsLoopback: LOOPBACK_HOSTS.has(redirect.hostname),
      redirectUri: interaction.redirectUri,
      scopes: interaction.scopes,
      resource: interaction.resource,
    };
  }

  /** A database outage is a 503 page the user can retry; anything else is a real fault. */
  failed(response: HttpResponse, error: unknown): void {
    if (!isDatabaseUnavailableError(error)) throw error;
    this.logger.warn(`interaction failed, database unavailable: ${String(error)}`);
    setHeader(response, 'Retry-After', String(DATABASE_UNAVAILABLE_RETRY_AFTER_SECONDS));
    this.page(response, 503, 'Temporarily unavailable', 'Try again in a few seconds.');
  }

  /**
   * The interaction is not pending. The browser that answered it (back button, a second
   * Approve) learns it was already answered; any other browser learns nothing more than
   * "unknown or expired".
   */
  async notPending(id: string, request: HttpRequest, response: HttpResponse): Promise<void> {
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
    this.page(
      response,
      400,
      'This request has expired',
      'The authorization request is unknown, expired or already finished.',
    );
  }

  /** The host refused the user (e.g. a federated account outside the allowed domains). */
  refusal(response: HttpResponse, reason: string, returnUrl: string): void {
    sendResponse(response, 403, PAGE_HEADERS, renderRefusalPage(reason, returnUrl));
  }

  page(response: HttpResponse, status: number, title: string, message: string): void {
    sendResponse(response, status, PAGE_HEADERS, renderErrorPage(title, message));
  }

  private serviceName(): string {
    const { interaction } = this.config;
    return (
      (interaction.type === 'built-in' && interaction.serviceName) ||
      new URL(this.config.issuer).host
    );
  }
}
