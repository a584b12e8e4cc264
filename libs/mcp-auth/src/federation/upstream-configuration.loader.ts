import type * as OpenId from 'openid-client';
import type { UpstreamProviderOptions } from './federation-options';
import { openIdClient } from './openid-client.loader';
import { UpstreamUnavailableError } from './upstream.errors';

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * The provider's openid-client configuration: discovered from its issuer (OIDC), or built from
 * the configured endpoints (plain OAuth 2). Every request it makes has a deadline.
 * @throws UpstreamUnavailableError when OIDC discovery fails
 */
export async function loadUpstreamConfiguration(
  options: UpstreamProviderOptions,
): Promise<OpenId.Configuration> {
  const client = await openIdClient();
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  // Every request to the provider has a deadline: a slow provider is an error, not a hang.
  const fetchWithDeadline: OpenId.CustomFetch = async (url, init) => {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    return options.type === 'oauth2' && url === new URL(options.tokenEndpoint).href
      ? errorStatusFor(response)
      : response;
  };
  const auth = options.clientSecret
    ? options.type === 'oidc'
      ? client.ClientSecretBasic(options.clientSecret)
      : client.ClientSecretPost(options.clientSecret)
    : client.None();
  let config: OpenId.Configuration;
  if (options.type === 'oidc') {
    try {
      config = await client.discovery(new URL(options.issuer), options.clientId, undefined, auth, {
        [client.customFetch]: fetchWithDeadline,
        ...(options.allowInsecureHttp ? { execute: [client.allowInsecureRequests] } : {}),
      });
    } catch (error) {
      throw new UpstreamUnavailableError(
        `${options.name} could not be discovered at ${options.issuer}.`,
        { cause: error },
      );
    }
  } else {
    config = new client.Configuration(
      {
        issuer: options.issuer ?? new URL(options.authorizationEndpoint).origin,
        authorization_endpoint: options.authorizationEndpoint,
        token_endpoint: options.tokenEndpoint,
      },
      options.clientId,
      undefined,
      auth,
    );
    if (options.allowInsecureHttp) client.allowInsecureRequests(config);
  }
  config[client.customFetch] = fetchWithDeadline;
  // openid-client trusts an ID token from the token endpoint on the strength of TLS unless
  // told otherwise; its signature is checked against the provider's keys all the same.
  if (options.type === 'oidc') client.enableNonRepudiationChecks(config);
  return config;
}

/**
 * Some OAuth 2 providers (GitHub) answer token errors with HTTP 200 and an `error` member;
 * RFC 6749 §5.2 says 400. Restated as 400, they reach openid-client as the OAuth errors they
 * are instead of as a malformed success.
 */
async function errorStatusFor(response: Response): Promise<Response> {
  if (response.status !== 200) return response;
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const isError =
    typeof body === 'object' &&
    body !== null &&
    typeof (body as { error?: unknown }).error === 'string';
  return new Response(text, {
    status: isError ? 400 : 200,
    statusText: isError ? 'Bad Request' : response.statusText,
    headers: response.headers,
  });
}
