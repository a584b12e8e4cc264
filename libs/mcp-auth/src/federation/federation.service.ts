import { Injectable, Logger } from '@nestjs/common';
import type { SignInFailedAuditEvent } from '../audit/audit-event';
import { McpAuthAudit } from '../audit/audit.service';
import { McpAuthConfig } from '../mcp-auth.config';
import {
  InteractionNotFoundError,
  McpAuthorizationService,
} from '../authorization-server/authorization/mcp-authorization.service';
import {
  type AuthorizationRequestStore,
  InjectAuthorizationRequestStore,
} from '../storage/authorization-request-store.interface';
import {
  type FederationStateStore,
  InjectFederationStateStore,
} from '../storage/federation-state-store.interface';
import { hashSecret } from '../tokens/secret-hash';
import type { FederatedIdentityDecision, UpstreamIdentity } from './federation-options';
import {
  decideIdentity,
  FederatedPageSignIn,
  failureReason,
  type FederatedPageOutcome,
} from './federated-page-sign-in';
import {
  type UpstreamProvider,
  UpstreamRefusedError,
  type UpstreamTokenSet,
  UpstreamUnavailableError,
} from './upstream-provider';
import { UpstreamProviders } from './upstream-providers';
import { UpstreamTokens } from './upstream-tokens.service';

/** How a callback ended, for the controller to answer. */
export type FederationOutcome =
  /** Signed in and authorized (or denied upstream): send the browser to the client. */
  | { kind: 'redirect'; redirectUrl: string; rotatedBinding?: string }
  /** The host's identity hook refused the user: say why, then let them return to the client. */
  | { kind: 'refused'; reason: string; returnUrl: string }
  /** Nothing was issued; the page explains. */
  | { kind: 'page'; status: number; title: string; message: string }
  /** Signed in on the connected-apps page: start its session, nothing else. */
  | Extract<FederatedPageOutcome, { kind: 'connected_apps' }>;

/**
 * Federation: the browser, having approved our consent page, is sent to
 * the upstream provider with a fresh `state`; the callback must come back to the same browser
 * with that state, once. Then the provider's answer is checked by openid-client, the user is
 * mapped (and may be refused by the host), signed in on the pending authorization, and the
 * code is issued, consent having been given before the browser left (confused deputy: the
 * provider remembering the user never yields a code by itself).
 */
@Injectable()
export class FederationService {
  private readonly logger = new Logger('McpAuthFederation');
  private readonly pageSignIn: FederatedPageSignIn;
  constructor(
    private readonly config: McpAuthConfig,
    private readonly authorization: McpAuthorizationService,
    private readonly providers: UpstreamProviders,
    private readonly upstreamTokens: UpstreamTokens,
    @InjectFederationStateStore() private readonly states: FederationStateStore,
    @InjectAuthorizationRequestStore() private readonly requests: AuthorizationRequestStore,
    private readonly audit: McpAuthAudit,
  ) {
    this.pageSignIn = new FederatedPageSignIn(states, audit, config.federation.identity);
  }

  /** The URL to register at the provider. */
  callbackUrl(providerId: string): string {
    return this.providers.callbackUrl(providerId);
  }

  has(providerId: string): boolean {
    return this.providers.get(providerId) !== undefined;
  }

  /**
   * Sends an approved interaction upstream: records the state (bound to this browser, expiring
   * with the interaction) and returns the provider's authorization URL.
   * @throws UpstreamUnavailableError when the provider cannot be discovered
   */
  async start(
    providerId: string,
    interactionIdHash: string,
    browserBindingHash: string,
    interaction: { expiresAt: Date; prompt: readonly string[] },
  ): Promise<URL> {
    const provider = this.providers.get(providerId);
    if (!provider) throw new Error(`unknown provider ${providerId}`);
    const upstream = await provider.authorization({
      forceLogin: interaction.prompt.includes('login'),
    });
    await this.states.create({
      stateHash: hashSecret(upstream.state),
      interactionIdHash,
      provider: providerId,
      nonce: upstream.nonce,
      codeVerifier: upstream.codeVerifier,
      browserBindingHash,
      expiresAt: interaction.expiresAt,
    });
    return upstream.url;
  }

  /**
   * Sends the connected-apps page's sign-in upstream: a state of purpose `connected_apps`,
   * bound to this browser, that can finish no authorization.
   * @throws UpstreamUnavailableError when the provider cannot be discovered
   */
  async startPageSignIn(providerId: string, browserBindingHash: string): Promise<URL> {
    const provider = this.providers.get(providerId);
    if (!provider) throw new Error(`unknown provider ${providerId}`);
    return this.pageSignIn.start(provider, browserBindingHash);
  }

  /**
   * Handles the provider's callback at `currentUrl`, for the browser holding `binding`.
   * Refusals change nothing but the consumed state. `ip` is the browser's, for the audit.
   */
  async finish(
    providerId: string,
    currentUrl: URL,
    browserBindingHash: string | undefined,
    newBindingHash: string,
    ip?: string,
  ): Promise<FederationOutcome> {
    const provider = this.providers.get(providerId);
    if (!provider) return page(404, 'Not found', 'There is no such sign-in provider.');
    const state = currentUrl.searchParams.getAll('state');
    if (state.length !== 1 || !/^[\x21-\x7e]{1,512}$/.test(state[0])) {
      return page(400, 'Sign-in failed', 'The answer of the sign-in provider is incomplete.');
    }
    const stateHash = hashSecret(state[0]);
    const record = browserBindingHash
      ? await this.states.consume(stateHash, browserBindingHash)
      : null;
    if (!record) {
      return (await this.states.exists(stateHash))
        ? page(403, 'Request refused', ANOTHER_BROWSER)
        : page(400, 'This sign-in has expired', EXPIRED);
    }
    const who = {
      method: 'federation' as const,
      provider: providerId,
      ...this.audit.clientAddress(ip),
    };
    const failed = (reason: SignInFailedAuditEvent['reason'], clientId?: string) =>
      this.audit.emit({ type: 'sign_in.failed', ...who, client_id: clientId, reason });
    const forPage = record.purpose === 'connected_apps';
    if (record.provider !== providerId) {
      // A state minted for one provider came back from another: a mix-up, never accepted.
      this.audit.emit({
        type: 'sign_in.failed',
        ...who,
        ...(forPage ? { context: 'connected_apps' as const } : {}),
        reason: 'provider_mismatch',
      });
      return page(400, 'Sign-in failed', 'The answer came from another sign-in provider.');
    }
    // The purpose is the consumed row's: a page state never reaches the authorization below.
    if (forPage) return this.pageSignIn.finish(provider, currentUrl, record, state[0], ip);
    const pending = await this.requests.findActive(record.interactionIdHash);
    if (!pending) return page(400, 'This sign-in has expired', EXPIRED);

    let identity: UpstreamIdentity;
    let tokens: UpstreamTokenSet;
    try {
      ({ identity, tokens } = await provider.signIn(currentUrl, {
        state: state[0],
        nonce: record.nonce,
        codeVerifier: record.codeVerifier,
      }));
    } catch (error) {
      const reason = failureReason(error);
      if (reason) failed(reason, pending.clientId);
      return this.upstreamFailure(provider, record.interactionIdHash, error);
    }

    const decision = await this.decide(identity);
    if (decision.action === 'refuse') {
      failed('identity_refused', pending.clientId);
      const denied = await this.deny(record.interactionIdHash, decision.reason);
      return denied
        ? { kind: 'refused', reason: decision.reason, returnUrl: denied }
        : page(400, 'This sign-in has expired', EXPIRED);
    }
    const subject = decision.subject ?? identity.subject;
    const signedIn = await this.requests.recordSignIn(
      record.interactionIdHash,
      { subject, displayName: decision.displayName ?? identity.displayName },
      { current: browserBindingHash as string, next: newBindingHash },
    );
    if (!signedIn) return page(400, 'This sign-in has expired', EXPIRED);
    this.audit.emit({ type: 'sign_in.succeeded', ...who, client_id: pending.clientId, subject });
    try {
      // Consent was given on our page before the browser left for the provider.
      const { redirectUrl, grantId } = await this.authorization.completeAuthorizationByHash(
        record.interactionIdHash,
        { subject },
      );
      if (provider.options.keepTokens && grantId) {
        // Server side only: tools reach them through UpstreamTokens, clients never do.
        await this.upstreamTokens.keep(grantId, provider.id, tokens);
      }
      return { kind: 'redirect', redirectUrl, rotatedBinding: newBindingHash };
    } catch (error) {
      if (error instanceof InteractionNotFoundError) {
        return page(400, 'This sign-in has expired', EXPIRED);
      }
      throw error;
    }
  }

  private async upstreamFailure(
    provider: UpstreamProvider,
    interactionIdHash: string,
    error: unknown,
  ): Promise<FederationOutcome> {
    if (error instanceof UpstreamUnavailableError) {
      this.logger.warn(`${provider.id}: ${error.message}`);
      return page(
        503,
        'Sign-in unavailable',
        `${provider.name} did not answer. Try again in a moment.`,
      );
    }
    if (error instanceof UpstreamRefusedError && error.error === 'access_denied') {
      // The user said no upstream: the client hears access_denied, with its state and iss.
      const redirectUrl = await this.deny(
        interactionIdHash,
        `The sign-in at ${provider.name} was cancelled.`,
      );
      return redirectUrl
        ? { kind: 'redirect', redirectUrl }
        : page(400, 'This sign-in has expired', EXPIRED);
    }
    if (error instanceof UpstreamRefusedError) {
      this.logger.warn(`${provider.id}: sign-in refused: ${error.message}`);
      return page(
        400,
        'Sign-in failed',
        `The answer of ${provider.name} could not be verified. Start again from the application.`,
      );
    }
    throw error;
  }

  private decide(identity: UpstreamIdentity): Promise<FederatedIdentityDecision> {
    return decideIdentity(this.config.federation.identity, identity);
  }

  /** Ends the interaction with access_denied; the client redirect, or null when it is gone. */
  private async deny(interactionIdHash: string, description: string): Promise<string | null> {
    try {
      const { redirectUrl } = await this.authorization.denyAuthorizationByHash(interactionIdHash, {
        error: 'access_denied',
        description,
      });
      return redirectUrl;
    } catch (error) {
      if (error instanceof InteractionNotFoundError) return null;
      throw error;
    }
  }
}

const ANOTHER_BROWSER =
  'This sign-in was started in another browser. Start again from the application.';
const EXPIRED =
  'The sign-in is unknown, expired or already finished. Start again from the application.';

function page(status: number, title: string, message: string): FederationOutcome {
  return { kind: 'page', status, title, message };
}
