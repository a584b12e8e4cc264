import { Injectable } from '@nestjs/common';
import { McpAuthAudit } from '../../audit/audit.service';
import { McpAuthConfig } from '../../mcp-auth.config';
import {
  AuthorizationCodeStore,
  InjectAuthorizationCodeStore,
} from '../../storage/authorization-code-store.interface';
import {
  type AuthorizationRequestRecord,
  AuthorizationRequestStore,
  type BrowserBindingRotation,
  InjectAuthorizationRequestStore,
} from '../../storage/authorization-request-store.interface';
import { ClientStore, InjectClientStore } from '../../storage/client-store.interface';
import { ConsentStore, InjectConsentStore } from '../../storage/consent-store.interface';
import { GrantStore, InjectGrantStore } from '../../storage/grant-store.interface';
import { randomToken } from '../../tokens/random-token';
import { hashSecret } from '../../tokens/secret-hash';
import { AuthorizationOutcomeIssuer } from './authorization-outcome.issuer';
import type { ValidatedAuthorizationRequest } from './authorization-request.validator';
import { clientTrust, rememberability } from './client-trust';
import {
  type AuthorizationResult,
  type DenialReason,
  InteractionNotFoundError,
  type PendingInteraction,
} from './interaction.types';
import { RememberedConsentPolicy } from './remembered-consent.policy';

// The host-facing types of the authorization, where they have always been imported from.
export {
  InteractionNotFoundError,
  type AuthorizationResult,
  type DenialReason,
  type PendingInteraction,
} from './interaction.types';

/**
 * The resource-owner half of the authorization endpoint: holds validated requests while the
 * user signs in and consents, then issues the code. A host with its own login page receives
 * `?interaction=<id>` and finishes with `completeAuthorization` or `denyAuthorization`.
 * @publicApi
 */
@Injectable()
export class McpAuthorizationService {
  private readonly consent: RememberedConsentPolicy;
  private readonly outcomes: AuthorizationOutcomeIssuer;

  constructor(
    private readonly config: McpAuthConfig,
    @InjectAuthorizationRequestStore() private readonly requests: AuthorizationRequestStore,
    @InjectAuthorizationCodeStore() codes: AuthorizationCodeStore,
    @InjectGrantStore() grants: GrantStore,
    @InjectConsentStore() consents: ConsentStore,
    @InjectClientStore() private readonly clients: ClientStore,
    audit: McpAuthAudit,
  ) {
    this.consent = new RememberedConsentPolicy(config, consents);
    this.outcomes = new AuthorizationOutcomeIssuer(
      config,
      this.consent,
      codes,
      grants,
      clients,
      audit,
    );
  }

  /** Persists a validated request and returns the interaction id to hand to the browser. */
  async begin(request: ValidatedAuthorizationRequest, browserBindingHash: string): Promise<string> {
    const interactionId = randomToken();
    await this.requests.create({
      idHash: hashSecret(interactionId),
      clientId: request.client.clientId,
      redirectUri: request.redirectUri,
      redirectUriProvided: request.redirectUriProvided,
      scopes: request.scopes,
      resource: request.resource,
      state: request.state,
      codeChallenge: request.codeChallenge,
      codeChallengeMethod: 'S256',
      prompt: request.prompt,
      browserBindingHash,
      expiresAt: new Date(Date.now() + this.config.interactionTtl * 1000),
    });
    return interactionId;
  }

  /** Describes a pending interaction, or null when it is unknown, expired or finished. */
  async getInteraction(interactionId: string): Promise<PendingInteraction | null> {
    return (await this.loadInteraction(interactionId))?.interaction ?? null;
  }

  /** The interaction plus the hash of the browser binding it was started with. */
  async loadInteraction(
    interactionId: string,
  ): Promise<{ interaction: PendingInteraction; browserBindingHash: string } | null> {
    const request = await this.findRequest(interactionId);
    if (!request) return null;
    const client = await this.clients.findById(request.clientId);
    const interaction: PendingInteraction = {
      clientId: request.clientId,
      clientName: client?.clientName ?? null,
      ...clientTrust(client),
      redirectUri: request.redirectUri,
      scopes: request.scopes.map((name) => ({
        name,
        description: this.config.scopes[name] ?? name,
      })),
      resource: request.resource,
      prompt: request.prompt,
      subject: request.subject,
      subjectDisplayName: request.subjectDisplayName,
      expiresAt: request.expiresAt,
    };
    return { interaction, browserBindingHash: request.browserBindingHash };
  }

  /**
   * Records who signed in and moves the interaction (and the browser's other pending ones)
   * from the browser binding it had to a fresh one, whose cookie the caller then sets: a
   * binding value fixed before sign-in is worthless after it. False, changing nothing, when
   * the interaction is gone or bound to another browser.
   */
  recordSignIn(
    interactionId: string,
    owner: { subject: string; displayName?: string | null },
    browserBinding: BrowserBindingRotation,
  ): Promise<boolean> {
    return this.requests.recordSignIn(
      hashSecret(interactionId),
      { subject: owner.subject, displayName: owner.displayName ?? null },
      browserBinding,
    );
  }

  /**
   * Whether remembered consent lets this interaction skip the consent step: the client
   * authenticates (or `consent.rememberForPublicClients`), the request did not say
   * `prompt=consent`, and the user approved every requested scope for this client before.
   */
  async hasConsent(interaction: PendingInteraction, subject: string): Promise<boolean> {
    return this.consent.covers(
      interaction.clientId,
      rememberability(interaction),
      interaction.prompt,
      subject,
      interaction.scopes.map((s) => s.name),
    );
  }

  /**
   * The browser-binding hash of an interaction that was already answered (approved, denied
   * or otherwise finished) and not yet purged; null when it is unknown or still pending. Lets
   * a page tell the browser that answered it "already answered" instead of "expired".
   */
  async answeredBrowserBinding(interactionId: string): Promise<string | null> {
    if (!isInteractionId(interactionId)) return null;
    const request = await this.requests.findConsumed(hashSecret(interactionId));
    return request?.browserBindingHash ?? null;
  }

  /**
   * Issues the authorization code and returns the URL to send the browser to. Single use:
   * of several concurrent calls for one interaction exactly one succeeds.
   * @throws InteractionNotFoundError
   */
  async completeAuthorization(
    interactionId: string,
    result: AuthorizationResult,
  ): Promise<{ redirectUrl: string }> {
    return this.completeAuthorizationByHash(hashSecret(interactionId), result);
  }

  /**
   * {@link completeAuthorization} for a request known by the hash of its interaction id (the
   * federation callback finds it by its upstream `state`).
   * @internal
   */
  async completeAuthorizationByHash(
    interactionIdHash: string,
    result: AuthorizationResult,
  ): Promise<{ redirectUrl: string; grantId?: string }> {
    if (!result.subject) throw new Error('completeAuthorization needs the subject');
    const request = await this.requests.consume(interactionIdHash);
    if (!request) throw new InteractionNotFoundError();

    return this.outcomes.approve(request, result);
  }

  /**
   * Ends the interaction with an error for the client (by default `access_denied`).
   * @throws InteractionNotFoundError
   */
  async denyAuthorization(
    interactionId: string,
    reason: DenialReason = {},
  ): Promise<{ redirectUrl: string }> {
    return this.denyAuthorizationByHash(hashSecret(interactionId), reason);
  }

  /**
   * {@link denyAuthorization} for a request known by the hash of its interaction id.
   * @internal
   */
  async denyAuthorizationByHash(
    interactionIdHash: string,
    reason: DenialReason = {},
  ): Promise<{ redirectUrl: string }> {
    const request = await this.requests.consume(interactionIdHash);
    if (!request) throw new InteractionNotFoundError();
    return this.outcomes.deny(request, reason);
  }

  private async findRequest(interactionId: string): Promise<AuthorizationRequestRecord | null> {
    if (!isInteractionId(interactionId)) return null;
    return this.requests.findActive(hashSecret(interactionId));
  }
}

function isInteractionId(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{43}$/.test(value);
}
