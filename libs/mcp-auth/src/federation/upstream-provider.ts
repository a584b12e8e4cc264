import type * as OpenId from 'openid-client';
import { ContactRecorder, type ContactStatus } from '../oauth/contact-status';
import type { UpstreamIdentity, UpstreamProviderOptions } from './federation-options';
import { openIdClient } from './openid-client.loader';
import {
  buildUpstreamAuthorization,
  type UpstreamAuthorization,
  type UpstreamChecks,
} from './upstream-authorization.request';
import { loadUpstreamConfiguration } from './upstream-configuration.loader';
import { readUpstreamIdentity } from './upstream-identity.reader';
import {
  redeemUpstreamCode,
  refreshUpstreamTokens,
  revokeUpstreamToken,
  type UpstreamTokenSet,
  upstreamTokenSet,
} from './upstream-token.exchange';

// The provider's callers (the federation services, the controller, the public barrel) take its
// request, token and error types from here, beside the provider that produces them.
export type { UpstreamAuthorization, UpstreamChecks, UpstreamTokenSet };
export { UpstreamRefusedError, UpstreamUnavailableError } from './upstream.errors';

/**
 * One upstream identity provider, spoken to through openid-client: discovery (OIDC), the
 * authorization request with PKCE, `state` and `nonce`, the code exchange with every check
 * openid-client makes (state, RFC 9207 `iss`, ID token signature, issuer, audience, nonce,
 * expiry), then the user's claims. Nothing of the OIDC validation is written here.
 */
export class UpstreamProvider {
  private configuration: Promise<OpenId.Configuration> | undefined;
  private readonly contact = new ContactRecorder();

  constructor(
    readonly options: UpstreamProviderOptions,
    /** Our callback URL for this provider, registered at the provider. */
    readonly callbackUrl: string,
  ) {}

  get id(): string {
    return this.options.id;
  }

  get name(): string {
    return this.options.name;
  }

  /** How the last discovery (OIDC) or configuration went, for the administration API. */
  get status(): ContactStatus {
    return this.contact.status;
  }

  /** Builds the authorization request the browser is redirected to. */
  async authorization(options: { forceLogin?: boolean } = {}): Promise<UpstreamAuthorization> {
    const client = await openIdClient();
    const config = await this.config();
    return buildUpstreamAuthorization(client, config, this.options, this.callbackUrl, options);
  }

  /**
   * Redeems the code of the callback at `currentUrl` and reads who signed in.
   * @throws UpstreamRefusedError for an error response or any failed check
   * @throws UpstreamUnavailableError when the provider cannot be reached in time
   */
  async signIn(
    currentUrl: URL,
    checks: UpstreamChecks,
  ): Promise<{ identity: UpstreamIdentity; tokens: UpstreamTokenSet }> {
    const client = await openIdClient();
    const config = await this.config();
    const response = await redeemUpstreamCode(client, config, this.options, currentUrl, checks);
    const tokens = upstreamTokenSet(response, null);
    const identity = await readUpstreamIdentity(client, config, this.options, response);
    return { identity, tokens };
  }

  /** Exchanges an upstream refresh token (for the host's tools). */
  async refresh(refreshToken: string): Promise<UpstreamTokenSet> {
    const client = await openIdClient();
    const config = await this.config();
    return refreshUpstreamTokens(client, config, this.options, refreshToken);
  }

  /** RFC 7009 revocation at the provider, when it has a revocation endpoint; else nothing. */
  async revoke(token: string): Promise<void> {
    const client = await openIdClient();
    const config = await this.config();
    return revokeUpstreamToken(client, config, this.options, token);
  }

  /** The provider's configuration: discovered once (OIDC), retried after a failure. */
  private config(): Promise<OpenId.Configuration> {
    this.configuration ??= loadUpstreamConfiguration(this.options).then(
      (config) => {
        this.contact.succeeded();
        return config;
      },
      (error: unknown) => {
        this.configuration = undefined;
        this.contact.failed(error);
        throw error;
      },
    );
    return this.configuration;
  }
}
