import { Injectable } from '@nestjs/common';
import { McpAuthConfig } from '../../mcp-auth.config';
import { OAuthError } from '../../oauth/oauth-error';
import { isValidCodeChallenge } from '../../oauth/pkce';
import { parsePrompt, type PromptValue } from '../../oauth/prompt';
import { matchRedirectUri } from '../../oauth/redirect-uri';
import { RequestParameters } from '../../oauth/request-parameters';
import { canonicalizeResourceUri } from '../../oauth/resource-uri';
import { parseScope } from '../../oauth/scope';
import type { ClientRecord } from '../../storage/client-store.interface';
import {
  ClientLookup,
  ClientMetadataDocumentError,
  MAX_CLIENT_ID_LENGTH,
} from '../client-metadata-document';

/** Longest `state` we carry; it is echoed into a URL. */
const MAX_STATE_LENGTH = 2048;
/**
 * Control characters: never part of a real client id or state, and Postgres refuses NUL in
 * text, so letting them reach a query would turn junk input into a server error.
 */
const CONTROL_CHARACTERS = /\p{Cc}/u;

/** An /authorize request that passed every check, ready to be persisted. */
export interface ValidatedAuthorizationRequest {
  client: ClientRecord;
  redirectUri: string;
  redirectUriProvided: boolean;
  scopes: string[];
  resource: string;
  state: string | null;
  codeChallenge: string;
  /** What the client asked of the interaction (`prompt`, OIDC Core §3.1.2.1). */
  prompt: PromptValue[];
}

/**
 * A problem found before the client and its redirect URI are trusted: shown to the user,
 * never redirected (AS-14: no redirect to an unvalidated URI).
 */
export class UntrustedAuthorizationRequestError extends Error {
  override readonly name = 'UntrustedAuthorizationRequestError';
}

/**
 * A problem found once the redirect URI is trusted: sent back to the client as an error
 * response on its redirect URI, with `state` and `iss` (RFC 6749 §4.1.2.1, RFC 9207).
 */
export class RedirectableAuthorizationError extends Error {
  override readonly name = 'RedirectableAuthorizationError';
  constructor(
    readonly oauthError: OAuthError,
    readonly redirectUri: string,
    readonly state: string | null,
  ) {
    super(oauthError.message);
  }
}

/** Validates authorization requests in the order RFC 6749 §4.1.2.1 requires. */
@Injectable()
export class AuthorizationRequestValidator {
  constructor(
    private readonly config: McpAuthConfig,
    private readonly clients: ClientLookup,
  ) {}

  async validate(raw: unknown): Promise<ValidatedAuthorizationRequest> {
    const params = new RequestParameters(raw);
    const { client, redirectUri, redirectUriProvided } = await this.trustedTarget(params);

    // From here on, errors go back to the client.
    let state: string | null = null;
    try {
      state = params.optional('state') ?? null;
      if (state !== null && state.length > MAX_STATE_LENGTH) {
        state = null;
        throw OAuthError.invalidRequest('The state parameter is too long.');
      }
      if (state !== null && CONTROL_CHARACTERS.test(state)) {
        // RFC 6749 Appendix A.5: state is VSCHARs; a control character is not echoed back.
        state = null;
        throw OAuthError.invalidRequest('The state parameter contains control characters.');
      }
      return { client, redirectUri, redirectUriProvided, state, ...this.checkRest(params, client) };
    } catch (error) {
      const oauthError =
        error instanceof OAuthError ? error : OAuthError.invalidRequest('Malformed request.');
      throw new RedirectableAuthorizationError(oauthError, redirectUri, state);
    }
  }

  /** client_id and redirect_uri: until both check out, nothing is redirected anywhere. */
  private async trustedTarget(params: RequestParameters): Promise<{
    client: ClientRecord;
    redirectUri: string;
    redirectUriProvided: boolean;
  }> {
    let clientId: string | undefined;
    let requested: string | undefined;
    try {
      clientId = params.optional('client_id');
      requested = params.optional('redirect_uri');
    } catch (error) {
      throw new UntrustedAuthorizationRequestError((error as OAuthError).description ?? '');
    }
    if (!clientId) {
      throw new UntrustedAuthorizationRequestError('The request has no client_id.');
    }
    if (clientId.length > MAX_CLIENT_ID_LENGTH || CONTROL_CHARACTERS.test(clientId)) {
      throw new UntrustedAuthorizationRequestError('The client is not registered here.');
    }
    const client = await this.findClient(clientId);
    if (!client) {
      throw new UntrustedAuthorizationRequestError('The client is not registered here.');
    }
    if (requested === undefined) {
      // OAuth 2.1 §4.1.1: may be omitted only when exactly one redirect URI is registered.
      if (client.redirectUris.length !== 1) {
        throw new UntrustedAuthorizationRequestError(
          'The request has no redirect_uri and the client registered more than one.',
        );
      }
      return { client, redirectUri: client.redirectUris[0], redirectUriProvided: false };
    }
    // AS-14: exact match, except the port of a loopback redirect (RFC 8252 §7.3).
    if (!matchRedirectUri(requested, client.redirectUris)) {
      throw new UntrustedAuthorizationRequestError(
        'The redirect_uri is not registered for this client.',
      );
    }
    return { client, redirectUri: requested, redirectUriProvided: true };
  }

  /** AS-11: a metadata document that cannot be used is explained, never redirected. */
  private async findClient(clientId: string): Promise<ClientRecord | null> {
    try {
      return await this.clients.forAuthorization(clientId);
    } catch (error) {
      if (error instanceof ClientMetadataDocumentError) {
        throw new UntrustedAuthorizationRequestError(error.message);
      }
      throw error;
    }
  }

  private checkRest(
    params: RequestParameters,
    client: ClientRecord,
  ): Pick<ValidatedAuthorizationRequest, 'scopes' | 'resource' | 'codeChallenge' | 'prompt'> {
    const responseType = params.required('response_type');
    if (responseType !== 'code') {
      throw OAuthError.unsupportedResponseType('Only response_type=code is supported.');
    }
    if (
      !client.responseTypes.includes('code') ||
      !client.grantTypes.includes('authorization_code')
    ) {
      throw OAuthError.unauthorizedClient('The client may not use the authorization code flow.');
    }

    // AS-13: PKCE with S256 for every client; `plain` and a missing challenge are refused.
    const codeChallenge = params.optional('code_challenge');
    if (!codeChallenge) throw OAuthError.invalidRequest('PKCE code_challenge is required.');
    const method = params.optional('code_challenge_method');
    if (method !== 'S256') {
      throw OAuthError.invalidRequest('code_challenge_method must be S256.');
    }
    if (!isValidCodeChallenge(codeChallenge)) {
      throw OAuthError.invalidRequest('code_challenge is not a valid S256 challenge.');
    }

    const resource = this.resource(params);
    const scopes = this.scopes(params, client, resource);
    // AS-18: SDK clients send prompt=consent with offline_access; it is honoured, not ignored.
    const prompt = parsePrompt(params.optional('prompt'));
    return { scopes, resource: resource.uri, codeChallenge, prompt };
  }

  /** AS-15: the named resource must be ours; without one, the canonical MCP resource. */
  private resource(params: RequestParameters): { uri: string; defaultScopes: string[] } {
    // RFC 8707 allows several; a token here serves exactly one resource.
    if (params.isRepeated('resource')) {
      throw OAuthError.invalidTarget('Only one resource may be requested.');
    }
    const requested = params.optional('resource');
    if (requested === undefined) return this.config.defaultResource;
    const canonical = canonicalizeResourceUri(requested);
    const resource = canonical ? this.config.findResource(canonical) : undefined;
    // The administration API is for operators' machine clients, never a user's consent.
    if (!resource || resource.administration) {
      throw OAuthError.invalidTarget('The requested resource is not served here.');
    }
    return resource;
  }

  private scopes(
    params: RequestParameters,
    client: ClientRecord,
    resource: { defaultScopes: string[] },
  ): string[] {
    // A pre-registered client's scope is the operator's word; a dynamic client's is its own
    // first guess (the scope of the first challenge) unless the operator chose to enforce it.
    const enforced = client.source === 'static' || this.config.registration.enforceClientScope;
    const clientScopes = enforced && client.scope ? parseScope(client.scope) : undefined;
    const requested = parseScope(params.optional('scope'));
    if (requested.length === 0) {
      // Documented default: the resource's default scopes, within what the client may ask for.
      return resource.defaultScopes.filter((s) => !clientScopes || clientScopes.includes(s));
    }
    const unknown = requested.filter((s) => !this.config.scopesSupported.includes(s));
    if (unknown.length) {
      throw OAuthError.invalidScope(`Unknown scope: ${unknown.join(' ')}`);
    }
    const notAllowed = clientScopes ? requested.filter((s) => !clientScopes.includes(s)) : [];
    if (notAllowed.length) {
      throw OAuthError.invalidScope(`The client may not request: ${notAllowed.join(' ')}`);
    }
    return requested;
  }
}
