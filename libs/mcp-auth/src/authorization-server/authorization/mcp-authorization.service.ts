import { Injectable } from '@nestjs/common';
import { McpAuthAudit } from '../../audit/audit.service';
import { McpAuthConfig } from '../../mcp-auth.config';
import type { PromptValue } from '../../oauth/prompt';
import { isSubset } from '../../oauth/scope';
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
import { buildAuthorizationResponseUrl } from './authorization-response';
import type { ValidatedAuthorizationRequest } from './authorization-request.validator';
import { clientTrust, type Rememberability, rememberability } from './client-trust';
import {
  type AuthorizationResult,
  type DenialReason,
  InteractionNotFoundError,
  type PendingInteraction,
} from './interaction.types';

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
  constructor(
    private readonly config: McpAuthConfig,
    @InjectAuthorizationRequestStore() private readonly requests: AuthorizationRequestStore,
    @InjectAuthorizationCodeStore() private readonly codes: AuthorizationCodeStore,
    @InjectGrantStore() private readonly grants: GrantStore,
    @InjectConsentStore() private readonly consents: ConsentStore,
    @InjectClientStore() private readonly clients: ClientStore,
    private readonly audit: McpAuthAudit,
  ) {}

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
    return this.consentCovers(
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

    const scopes = result.scopes ?? request.scopes;
    if (!isSubset(scopes, request.scopes)) {
      // Narrowing is the user's right; widening past the request is a host bug.
      throw new Error('completeAuthorization: scopes must be among those requested');
    }
    const client = await this.clients.findById(request.clientId);
    const trust = rememberability(clientTrust(client));
    if (
      request.prompt.includes('none') &&
      !(await this.consentCovers(request.clientId, trust, [], result.subject, scopes))
    ) {
      // prompt=none: a code only on consent given before; nobody may have been asked now.
      this.auditDenial(request, 'consent_required', result.subject);
      return {
        redirectUrl: buildAuthorizationResponseUrl(request.redirectUri, this.config.issuer, {
          error: 'consent_required',
          error_description: 'The user has not approved this client; prompt=none forbids asking.',
          state: request.state,
        }),
      };
    }
    const remembered = result.rememberConsent !== false && this.remembersConsent(trust);
    if (remembered) await this.consents.remember(result.subject, request.clientId, scopes);
    const grant = await this.grants.createGrant({
      clientId: request.clientId,
      subject: result.subject,
      scopes,
      resource: request.resource,
      // Covers the code and the access token it yields; refresh tokens stretch it later.
      expiresAt: new Date(Date.now() + (this.config.codeTtl + this.config.accessTokenTtl) * 1000),
    });
    const code = randomToken();
    await this.codes.create({
      codeHash: hashSecret(code),
      grantId: grant.id,
      clientId: request.clientId,
      subject: result.subject,
      redirectUri: request.redirectUri,
      redirectUriProvided: request.redirectUriProvided,
      scopes,
      resource: request.resource,
      codeChallenge: request.codeChallenge,
      codeChallengeMethod: 'S256',
      expiresAt: new Date(Date.now() + this.config.codeTtl * 1000),
    });
    const facts = {
      client_id: request.clientId,
      subject: result.subject,
      grant_id: grant.id,
      scopes,
      resource: request.resource,
    };
    this.audit.emit({ type: 'consent.granted', ...facts, remembered });
    this.audit.emit({ type: 'code.issued', ...facts });
    return {
      redirectUrl: buildAuthorizationResponseUrl(request.redirectUri, this.config.issuer, {
        code,
        state: request.state,
      }),
      grantId: grant.id,
    };
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
    this.auditDenial(request, reason.error ?? 'access_denied', request.subject);
    return {
      redirectUrl: buildAuthorizationResponseUrl(request.redirectUri, this.config.issuer, {
        error: reason.error ?? 'access_denied',
        error_description: reason.description ?? 'The resource owner denied the request.',
        state: request.state,
      }),
    };
  }

  private auditDenial(
    request: AuthorizationRequestRecord,
    reason: Required<DenialReason>['error'],
    subject: string | null,
  ): void {
    this.audit.emit({
      type: 'consent.denied',
      client_id: request.clientId,
      subject,
      scopes: request.scopes,
      resource: request.resource,
      reason,
    });
  }

  private async findRequest(interactionId: string): Promise<AuthorizationRequestRecord | null> {
    if (!isInteractionId(interactionId)) return null;
    return this.requests.findActive(hashSecret(interactionId));
  }

  /**
   * RFC 8252 §8.6: consent is remembered only for clients whose identity is proven, or, when
   * the operator relaxes that, for public clients too, except a metadata-document client whose
   * code can only go to loopback: a local program can claim any such document's URL (AS-17).
   */
  private remembersConsent(trust: Rememberability): boolean {
    if (trust === 'proven') return true;
    return trust === 'public' && this.config.consent.rememberForPublicClients;
  }

  private async consentCovers(
    clientId: string,
    trust: Rememberability,
    prompt: readonly PromptValue[],
    subject: string,
    scopes: string[],
  ): Promise<boolean> {
    if (prompt.includes('consent') || !this.remembersConsent(trust)) return false;
    const consent = await this.consents.find(subject, clientId);
    return consent !== null && isSubset(scopes, consent.scopes);
  }
}

function isInteractionId(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{43}$/.test(value);
}
