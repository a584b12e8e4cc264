import type { OAuth2UpstreamProviderOptions } from './federation-options';

export interface GitHubProviderOptions {
  clientId: string;
  clientSecret: string;
  /** Default `github`. */
  id?: string;
  /** Default `GitHub`. */
  name?: string;
  /** Default `['read:user', 'user:email']`. */
  scopes?: string[];
  /** Where the OAuth endpoints live. Default `https://github.com` (GitHub Enterprise: its URL). */
  webUrl?: string;
  /** Where the REST API lives. Default `https://api.github.com` (Enterprise: `<url>/api/v3`). */
  apiUrl?: string;
  /** DEVELOPMENT ONLY, for a local stand-in of GitHub. */
  allowInsecureHttp?: boolean;
}

/**
 * GitHub as a plain OAuth 2 provider (GitHub Apps and OAuth Apps are not OpenID Connect):
 * `/login/oauth/authorize`, `/login/oauth/access_token` (with PKCE) and the `/user` endpoint,
 * whose numeric `id` is the stable subject (a login can be renamed).
 */
export function githubProvider(options: GitHubProviderOptions): OAuth2UpstreamProviderOptions {
  const web = (options.webUrl ?? 'https://github.com').replace(/\/+$/, '');
  const api = (options.apiUrl ?? 'https://api.github.com').replace(/\/+$/, '');
  return {
    type: 'oauth2',
    id: options.id ?? 'github',
    name: options.name ?? 'GitHub',
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    scopes: options.scopes ?? ['read:user', 'user:email'],
    authorizationEndpoint: `${web}/login/oauth/authorize`,
    tokenEndpoint: `${web}/login/oauth/access_token`,
    userEndpoint: `${api}/user`,
    pkce: true,
    // GitHub's answer to an expired, used or revoked refresh token.
    invalidGrantErrors: ['bad_refresh_token'],
    allowInsecureHttp: options.allowInsecureHttp,
    profile: (user) => {
      const id = user.id;
      if (typeof id !== 'number' && typeof id !== 'string') {
        throw new Error('the GitHub user has no id');
      }
      const text = (value: unknown) => (typeof value === 'string' && value ? value : null);
      return {
        subject: String(id),
        displayName: text(user.name) ?? text(user.login),
        email: text(user.email),
      };
    },
  };
}
