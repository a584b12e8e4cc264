import type * as OpenId from 'openid-client';
import type { UpstreamProviderOptions } from './federation-options';

/** What the browser is sent upstream with, and must come back with. */
export interface UpstreamAuthorization {
  url: URL;
  state: string;
  nonce: string | null;
  codeVerifier: string | null;
}

/** The secrets of one upstream authorization, kept server side until the callback. */
export interface UpstreamChecks {
  state: string;
  nonce: string | null;
  codeVerifier: string | null;
}

/** Builds the authorization request (PKCE, `state`, and `nonce` for OIDC) the browser is sent to. */
export async function buildUpstreamAuthorization(
  client: typeof OpenId,
  config: OpenId.Configuration,
  options: UpstreamProviderOptions,
  /** Our callback URL for this provider, registered at the provider. */
  callbackUrl: string,
  request: { forceLogin?: boolean },
): Promise<UpstreamAuthorization> {
  const isOidc = options.type === 'oidc';
  const usesPkce = options.type === 'oidc' || options.pkce !== false;
  const state = client.randomState();
  const nonce = isOidc ? client.randomNonce() : null;
  const codeVerifier = usesPkce ? client.randomPKCECodeVerifier() : null;
  const parameters: Record<string, string> = {
    ...(options.authorizationParams ?? {}),
    redirect_uri: callbackUrl,
    scope: (options.scopes ?? (isOidc ? ['openid', 'profile', 'email'] : [])).join(' '),
    state,
  };
  if (nonce) parameters.nonce = nonce;
  // The MCP client asked for a fresh sign-in (prompt=login): the provider must not reuse its
  // session either (OIDC Core §3.1.2.1).
  if (request.forceLogin && isOidc) parameters.prompt = 'login';
  if (codeVerifier) {
    parameters.code_challenge = await client.calculatePKCECodeChallenge(codeVerifier);
    parameters.code_challenge_method = 'S256';
  }
  return { url: client.buildAuthorizationUrl(config, parameters), state, nonce, codeVerifier };
}
