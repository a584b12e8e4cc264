import type { OAuth2UpstreamProviderOptions } from '@app/mcp-auth';
import { loadAppConfig } from '../config/app-config';
import { federationCallbacks, federationOptions, upstreamProviders } from './upstream-providers';

const OIDC = {
  UPSTREAM_OIDC_ISSUER: 'https://login.example.com/tenant/v2.0',
  UPSTREAM_OIDC_CLIENT_ID: 'mcp-server',
  UPSTREAM_OIDC_CLIENT_SECRET: 'oidc-secret',
};
const GITHUB = { GITHUB_CLIENT_ID: 'Iv1.abc', GITHUB_CLIENT_SECRET: 'github-secret' };
const KEY = 'u'.repeat(32);

describe('the sample’s identity providers', () => {
  it('none configured: no federation option, no callback, no warning', () => {
    const warn = jest.fn();
    const config = loadAppConfig({});
    expect(upstreamProviders(config.federation)).toEqual([]);
    expect(federationOptions(config, warn)).toBeUndefined();
    expect(federationCallbacks(config)).toEqual([]);
    expect(warn).not.toHaveBeenCalled();
  });

  it('ids oidc and github, in that order, keeping tokens under MCP_AUTH_UPSTREAM_TOKEN_KEYS', () => {
    const warn = jest.fn();
    const config = loadAppConfig({ ...OIDC, ...GITHUB, MCP_AUTH_UPSTREAM_TOKEN_KEYS: KEY });
    const options = federationOptions(config, warn);
    expect(options?.tokenEncryptionKeys).toEqual([KEY]);
    const [oidc, github] = options?.providers ?? [];
    expect(oidc).toEqual({
      type: 'oidc',
      id: 'oidc',
      name: 'Single sign-on',
      issuer: 'https://login.example.com/tenant/v2.0',
      clientId: 'mcp-server',
      clientSecret: 'oidc-secret',
      scopes: ['openid', 'profile', 'email'],
      allowInsecureHttp: false,
      keepTokens: true,
    });
    // The library's GitHub preset.
    expect(github).toMatchObject({
      type: 'oauth2',
      id: 'github',
      name: 'GitHub',
      clientId: 'Iv1.abc',
      clientSecret: 'github-secret',
      authorizationEndpoint: 'https://github.com/login/oauth/authorize',
      tokenEndpoint: 'https://github.com/login/oauth/access_token',
      userEndpoint: 'https://api.github.com/user',
      keepTokens: true,
    });
    expect(typeof (github as OAuth2UpstreamProviderOptions).profile).toBe('function');
    expect(warn).not.toHaveBeenCalled();
    expect(federationCallbacks(config)).toEqual([
      { name: 'Single sign-on', url: 'http://localhost:3000/federation/oidc/callback' },
      { name: 'GitHub', url: 'http://localhost:3000/federation/github/callback' },
    ]);
  });

  it('a public OIDC client (no secret) sends none', () => {
    const config = loadAppConfig({ ...OIDC, UPSTREAM_OIDC_CLIENT_SECRET: undefined });
    expect(upstreamProviders(config.federation)[0]).not.toHaveProperty('clientSecret');
  });

  it('in development without keys: tokens kept under a key made at start, with a warning', () => {
    const warn = jest.fn();
    const first = federationOptions(loadAppConfig(OIDC), warn);
    const second = federationOptions(loadAppConfig(OIDC), () => undefined);
    expect(first?.providers[0].keepTokens).toBe(true);
    expect(first?.tokenEncryptionKeys).toEqual([expect.stringMatching(/^[\w-]{43}$/)]);
    expect(second?.tokenEncryptionKeys).not.toEqual(first?.tokenEncryptionKeys);
    expect(warn).toHaveBeenCalledWith(
      expect.stringMatching(/^MCP_AUTH_UPSTREAM_TOKEN_KEYS is unset.*Development only\.$/),
    );
  });

  it('in production without keys: tokens not kept, no key made', () => {
    const config = loadAppConfig({
      NODE_ENV: 'production',
      DEMO_PASSWORD: 'a password of my own',
      MCP_AUTH_KEY_ENCRYPTION_SECRET: 'k'.repeat(32),
      ...GITHUB,
    });
    const options = federationOptions(config, () => undefined);
    expect(options?.providers[0].keepTokens).toBe(false);
    expect(options).not.toHaveProperty('tokenEncryptionKeys');
  });

  it('an http issuer (development) is allowed through allowInsecureHttp, with a warning naming its origin only', () => {
    const warn = jest.fn();
    const config = loadAppConfig({
      ...OIDC,
      UPSTREAM_OIDC_ISSUER: 'http://localhost:4000',
      MCP_AUTH_UPSTREAM_TOKEN_KEYS: KEY,
    });
    const options = federationOptions(config, warn);
    expect(options?.providers[0]).toMatchObject({
      issuer: 'http://localhost:4000',
      allowInsecureHttp: true,
    });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledWith(
      'UPSTREAM_OIDC_ISSUER is an http URL (http://localhost:4000): the identity provider is spoken to without TLS. Development only.',
    );
  });
});
