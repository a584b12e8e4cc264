import type * as OpenId from 'openid-client';
import type { UpstreamProviderOptions } from './federation-options';
import type { UpstreamChecks } from './upstream-authorization.request';
import { translateUpstreamError } from './upstream-error.translator';

/** Tokens the provider issued, for the host's server-side use only. */
export interface UpstreamTokenSet {
  accessToken: string;
  refreshToken: string | null;
  /** Seconds since the epoch; null when the provider did not say. */
  expiresAt: number | null;
  scope: string | null;
}

/** The token endpoint's answer to the code, with openid-client's ID token helpers. */
export type UpstreamCodeResponse = Awaited<ReturnType<typeof OpenId.authorizationCodeGrant>>;

/**
 * Redeems the code of the callback at `currentUrl`, with every check openid-client makes
 * (state, RFC 9207 `iss`, ID token signature, issuer, audience, nonce, expiry).
 */
export async function redeemUpstreamCode(
  client: typeof OpenId,
  config: OpenId.Configuration,
  options: UpstreamProviderOptions,
  currentUrl: URL,
  checks: UpstreamChecks,
): Promise<UpstreamCodeResponse> {
  try {
    return await client.authorizationCodeGrant(config, currentUrl, {
      expectedState: checks.state,
      ...(checks.nonce ? { expectedNonce: checks.nonce } : {}),
      ...(checks.codeVerifier ? { pkceCodeVerifier: checks.codeVerifier } : {}),
      idTokenExpected: options.type === 'oidc',
    });
  } catch (error) {
    throw translateUpstreamError(client, error, 'sign-in', options);
  }
}

/** Exchanges an upstream refresh token; the old one stays when the provider sends no new one. */
export async function refreshUpstreamTokens(
  client: typeof OpenId,
  config: OpenId.Configuration,
  options: UpstreamProviderOptions,
  refreshToken: string,
): Promise<UpstreamTokenSet> {
  try {
    const response = await client.refreshTokenGrant(config, refreshToken);
    return upstreamTokenSet(response, refreshToken);
  } catch (error) {
    throw translateUpstreamError(client, error, 'refresh', options);
  }
}

/** RFC 7009 revocation at the provider, when it has a revocation endpoint; else nothing. */
export async function revokeUpstreamToken(
  client: typeof OpenId,
  config: OpenId.Configuration,
  options: UpstreamProviderOptions,
  token: string,
): Promise<void> {
  if (!config.serverMetadata().revocation_endpoint) return;
  try {
    await client.tokenRevocation(config, token);
  } catch (error) {
    throw translateUpstreamError(client, error, 'revocation', options);
  }
}

/** The token endpoint's answer as the host keeps it. */
export function upstreamTokenSet(
  response: OpenId.TokenEndpointResponse,
  previousRefreshToken: string | null,
): UpstreamTokenSet {
  return {
    accessToken: response.access_token,
    refreshToken: response.refresh_token ?? previousRefreshToken,
    expiresAt:
      typeof response.expires_in === 'number'
        ? Math.floor(Date.now() / 1000) + response.expires_in
        : null,
    scope: response.scope ?? null,
  };
}
