import type { McpAuthAudit } from '../../audit/audit.service';
import type { McpAuthConfig } from '../../mcp-auth.config';
import { isSubset } from '../../oauth/scope';
import type { AuthorizationCodeStore } from '../../storage/authorization-code-store.interface';
import type { AuthorizationRequestRecord } from '../../storage/authorization-request-store.interface';
import type { ClientStore } from '../../storage/client-store.interface';
import type { GrantStore } from '../../storage/grant-store.interface';
import { randomToken } from '../../tokens/random-token';
import { hashSecret } from '../../tokens/secret-hash';
import { buildAuthorizationResponseUrl } from './authorization-response';
import { clientTrust, rememberability } from './client-trust';
import type { AuthorizationResult, DenialReason } from './interaction.types';
import type { RememberedConsentPolicy } from './remembered-consent.policy';

/**
 * How a consumed authorization request ends: a code (with its grant) or an error for the
 * client, as the URL to send the browser to, with the audit events of either.
 */
export class AuthorizationOutcomeIssuer {
  constructor(
    private readonly config: McpAuthConfig,
    private readonly consent: RememberedConsentPolicy,
    private readonly codes: AuthorizationCodeStore,
    private readonly grants: GrantStore,
    private readonly clients: ClientStore,
    private readonly audit: McpAuthAudit,
  ) {}

  /** Issues the code for `result`, or `consent_required` when prompt=none cannot be honoured. */
  async approve(
    request: AuthorizationRequestRecord,
    result: AuthorizationResult,
  ): Promise<{ redirectUrl: string; grantId?: string }> {
    const scopes = result.scopes ?? request.scopes;
    if (!isSubset(scopes, request.scopes)) {
      // Narrowing is the user's right; widening past the request is a host bug.
      throw new Error('completeAuthorization: scopes must be among those requested');
    }
    const client = await this.clients.findById(request.clientId);
    const trust = rememberability(clientTrust(client));
    if (
      request.prompt.includes('none') &&
      !(await this.consent.covers(request.clientId, trust, [], result.subject, scopes))
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
    const remembered = result.rememberConsent !== false && this.consent.remembers(trust);
    if (remembered) await this.consent.remember(result.subject, request.clientId, scopes);
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

  /** Ends the request with an error for the client (by default `access_denied`). */
  deny(request: AuthorizationRequestRecord, reason: DenialReason): { redirectUrl: string } {
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
}
