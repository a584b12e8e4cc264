import type * as OpenId from 'openid-client';
import type {
  OAuth2UpstreamProviderOptions,
  OidcUpstreamProviderOptions,
  UpstreamIdentity,
  UpstreamProviderOptions,
} from './federation-options';
import { translateUpstreamError } from './upstream-error.translator';
import type { UpstreamCodeResponse } from './upstream-token.exchange';
import { UpstreamRefusedError } from './upstream.errors';

/**
 * Who signed in: the ID token's claims (OIDC, merged with userinfo when configured), or the
 * user endpoint's document read by the provider's `profile` (plain OAuth 2).
 * @throws UpstreamRefusedError when the answer names no one usable
 * @throws UpstreamUnavailableError when the provider cannot be reached in time
 */
export async function readUpstreamIdentity(
  client: typeof OpenId,
  config: OpenId.Configuration,
  options: UpstreamProviderOptions,
  response: UpstreamCodeResponse,
): Promise<UpstreamIdentity> {
  return options.type === 'oidc'
    ? oidcIdentity(client, config, options, response)
    : oauth2Identity(client, config, options, response.access_token);
}

async function oidcIdentity(
  client: typeof OpenId,
  config: OpenId.Configuration,
  options: OidcUpstreamProviderOptions,
  response: UpstreamCodeResponse,
): Promise<UpstreamIdentity> {
  const idToken = response.claims();
  if (!idToken) throw new UpstreamRefusedError(null, `${options.name} sent no ID token.`);
  let claims: Record<string, unknown> = { ...idToken };
  if (options.userinfo) {
    try {
      // The subject must match the ID token's (OIDC Core §5.3.2).
      const info = await client.fetchUserInfo(config, response.access_token, idToken.sub);
      claims = { ...info, ...idToken };
    } catch (error) {
      throw translateUpstreamError(client, error, 'userinfo', options);
    }
  }
  const text = (value: unknown) => (typeof value === 'string' && value ? value : null);
  return identity(options, idToken.sub, claims, {
    displayName: text(claims.name) ?? text(claims.preferred_username) ?? text(claims.email),
    email: text(claims.email),
    emailVerified: typeof claims.email_verified === 'boolean' ? claims.email_verified : null,
  });
}

async function oauth2Identity(
  client: typeof OpenId,
  config: OpenId.Configuration,
  options: OAuth2UpstreamProviderOptions,
  accessToken: string,
): Promise<UpstreamIdentity> {
  let user: Record<string, unknown>;
  try {
    const response = await client.fetchProtectedResource(
      config,
      accessToken,
      new URL(options.userEndpoint),
      'GET',
      undefined,
      new Headers({ accept: 'application/json' }),
    );
    if (!response.ok) {
      throw new UpstreamRefusedError(
        null,
        `${options.name} answered ${response.status} for the user.`,
      );
    }
    const body: unknown = await response.json();
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new UpstreamRefusedError(null, `${options.name} sent no user document.`);
    }
    user = body as Record<string, unknown>;
  } catch (error) {
    throw translateUpstreamError(client, error, 'user', options);
  }
  let profile: ReturnType<OAuth2UpstreamProviderOptions['profile']>;
  try {
    profile = options.profile(user);
  } catch (error) {
    throw new UpstreamRefusedError(null, `${options.name}'s user could not be read.`, {
      cause: error,
    });
  }
  if (typeof profile?.subject !== 'string' || profile.subject === '') {
    throw new UpstreamRefusedError(null, `${options.name}'s user has no stable id.`);
  }
  return identity(options, profile.subject, user, {
    displayName: profile.displayName ?? null,
    email: profile.email ?? null,
    emailVerified: null,
  });
}

function identity(
  options: UpstreamProviderOptions,
  upstreamSubject: string,
  claims: Record<string, unknown>,
  details: Pick<UpstreamIdentity, 'displayName' | 'email' | 'emailVerified'>,
): UpstreamIdentity {
  return {
    provider: options.id,
    upstreamSubject,
    subject: `${options.id}|${upstreamSubject}`,
    claims: Object.freeze({ ...claims }),
    ...details,
  };
}
