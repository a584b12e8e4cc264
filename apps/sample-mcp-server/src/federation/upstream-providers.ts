import { randomBytes } from 'node:crypto';
import {
  type FederationOptions,
  githubProvider,
  type UpstreamProviderOptions,
} from '@app/mcp-auth';
import type { AppConfig, FederationConfig } from '../config/app-config';

/** The sample's provider ids: part of each callback URL and of federated subjects. */
export const OIDC_PROVIDER_ID = 'oidc';
export const GITHUB_PROVIDER_ID = 'github';

/** The providers the environment configures, in the order the sign-in page offers them. */
export function upstreamProviders(config: FederationConfig): UpstreamProviderOptions[] {
  const providers: UpstreamProviderOptions[] = [];
  if (config.oidc) {
    providers.push({
      type: 'oidc',
      id: OIDC_PROVIDER_ID,
      name: config.oidc.name,
      issuer: config.oidc.issuer,
      clientId: config.oidc.clientId,
      ...(config.oidc.clientSecret ? { clientSecret: config.oidc.clientSecret } : {}),
      scopes: config.oidc.scopes,
      allowInsecureHttp: config.oidc.allowInsecureHttp,
      keepTokens: config.keepTokens,
    });
  }
  if (config.github) {
    providers.push({
      ...githubProvider({
        id: GITHUB_PROVIDER_ID,
        clientId: config.github.clientId,
        clientSecret: config.github.clientSecret,
      }),
      keepTokens: config.keepTokens,
    });
  }
  return providers;
}

/**
 * The URL to register at each provider: `<issuer>/federation/<provider id>/callback` (the
 * sample has no route prefix).
 */
export function federationCallbacks(config: AppConfig): { name: string; url: string }[] {
  return upstreamProviders(config.federation).map((provider) => ({
    name: provider.name,
    url: `${config.issuerUrl}/federation/${provider.id}/callback`,
  }));
}

/**
 * The module's `federation` option, or undefined when no provider is configured. Without
 * `MCP_AUTH_UPSTREAM_TOKEN_KEYS`, outside production, kept tokens are sealed with a key made
 * here: they do not survive a restart. `warn` hears about everything that is development only.
 */
export function federationOptions(
  config: AppConfig,
  warn: (message: string) => void,
): FederationOptions | undefined {
  const providers = upstreamProviders(config.federation);
  if (providers.length === 0) return undefined;
  const { oidc, keepTokens, tokenKeys } = config.federation;
  if (oidc?.allowInsecureHttp) {
    warn(
      `UPSTREAM_OIDC_ISSUER is an http URL (${new URL(oidc.issuer).origin}): the identity provider is spoken to without TLS. Development only.`,
    );
  }
  let tokenEncryptionKeys = tokenKeys;
  if (keepTokens && tokenKeys.length === 0) {
    tokenEncryptionKeys = [randomBytes(32).toString('base64url')];
    warn(
      'MCP_AUTH_UPSTREAM_TOKEN_KEYS is unset: upstream tokens are sealed with a key made at start, and are unreadable after a restart (users sign in again). Development only.',
    );
  }
  return {
    providers,
    ...(tokenEncryptionKeys.length > 0 ? { tokenEncryptionKeys } : {}),
  };
}
