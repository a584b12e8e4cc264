import { findAccount } from './accounts';
import type { DevIdpConfig } from './config';
import { errorPage, loggedOutPage, logoutPage, PAGE_HEADERS } from './pages';
import { generateCookieKeys, generateSigningKeys } from './signing-keys';

/** The part of Koa's context the page hooks below use. */
interface PageContext {
  type: string;
  body: unknown;
  host: string;
  set(headers: Record<string, string>): void;
  oidc?: { client?: { clientName?: string; clientId: string } };
}

function answerPage(ctx: PageContext, html: string): void {
  ctx.set({ ...PAGE_HEADERS });
  ctx.type = 'html';
  ctx.body = html;
}

/**
 * oidc-provider's configuration: OpenID Connect with the authorization code flow only, PKCE
 * (S256) for every client, refresh tokens (`offline_access` too), userinfo, RFC 7009 revocation
 * and RP-initiated logout; the demo accounts; one confidential client; its own pages (no
 * remote fonts or scripts). Everything is kept in memory, as long as the process runs.
 */
export function providerConfiguration(config: DevIdpConfig): object {
  return {
    clients: [
      {
        client_id: config.client.clientId,
        client_secret: config.client.clientSecret,
        client_name: 'Sample MCP server',
        redirect_uris: config.client.redirectUris,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    // Scopes and the claims each releases. `groups` is asked for like Okta's scope of that name.
    claims: {
      openid: ['sub'],
      profile: ['name', 'given_name', 'family_name', 'preferred_username'],
      email: ['email', 'email_verified'],
      groups: ['groups'],
    },
    scopes: ['openid', 'offline_access', 'profile', 'email', 'groups'],
    // The granted scopes' claims go into the ID token too, not only to userinfo, as most
    // enterprise providers do: a relying party that reads only the ID token still gets them.
    conformIdTokenClaims: false,
    findAccount,
    jwks: config.jwks ?? generateSigningKeys(),
    cookies: { keys: config.cookieKeys ?? generateCookieKeys() },
    pkce: { required: () => true },
    // A refresh token with every code, as Keycloak does: bound to the sign-in session unless
    // `offline_access` was granted, which oidc-provider keeps only with `prompt=consent` (OIDC
    // Core §11); then it outlives the session. (oidc-provider's default issues none without it.)
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }) =>
      client.grantTypeAllowed('refresh_token'),
    responseTypes: ['code'],
    features: {
      // The login and consent pages are this app's own (interactions.ts).
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx: PageContext, form: string) =>
          answerPage(ctx, logoutPage(form, ctx.host)),
        postLogoutSuccessSource: async (ctx: PageContext) =>
          answerPage(ctx, loggedOutPage(ctx.oidc?.client?.clientName)),
      },
    },
    // The relying party is a server: no browser calls these endpoints across origins.
    clientBasedCORS: () => false,
    renderError: async (ctx: PageContext, out: { error: string; error_description?: string }) =>
      answerPage(ctx, errorPage('Sign-in failed', out.error_description ?? out.error)),
    ttl: {
      AccessToken: config.accessTokenTtlSeconds,
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: 14 * 24 * 3600,
      Interaction: 3600,
      Session: 14 * 24 * 3600,
      Grant: 14 * 24 * 3600,
    },
  };
}
