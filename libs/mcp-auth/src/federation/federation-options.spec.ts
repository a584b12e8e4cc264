import { McpAuthConfig } from '../mcp-auth.config';
import type { FederationOptions, UpstreamProviderOptions } from './federation-options';
import { validateFederationOptions } from './federation-options';
import { githubProvider } from './github.provider';

const oidc = (overrides: Partial<UpstreamProviderOptions> = {}): UpstreamProviderOptions =>
  ({
    type: 'oidc',
    id: 'corp',
    name: 'Corp SSO',
    issuer: 'https://login.example.com',
    clientId: 'mcp',
    clientSecret: 'secret',
    ...overrides,
  }) as UpstreamProviderOptions;

describe('validateFederationOptions', () => {
  it('accepts no federation, an OIDC provider and the GitHub preset', () => {
    expect(validateFederationOptions(undefined)).toEqual([]);
    expect(
      validateFederationOptions({
        providers: [oidc(), githubProvider({ clientId: 'gh', clientSecret: 'gh-secret' })],
      }),
    ).toEqual([]);
  });

  it.each<[string, FederationOptions, RegExp]>([
    [
      'a list is required',
      { providers: 'x' } as unknown as FederationOptions,
      /providers must be a list/,
    ],
    ['ids are path-safe', { providers: [oidc({ id: 'a/b' })] }, /id must be 1 to 64/],
    ['ids are unique', { providers: [oidc(), oidc()] }, /"corp" is configured twice/],
    ['a name is shown', { providers: [oidc({ name: ' ' })] }, /name is required/],
    ['a client id', { providers: [oidc({ clientId: '' })] }, /clientId is required/],
    ['an issuer URL', { providers: [oidc({ issuer: 'login' })] }, /issuer must be an absolute URL/],
    ['https', { providers: [oidc({ issuer: 'http://login.example.com' })] }, /must be https/],
    [
      'a known type',
      { providers: [oidc({ type: 'saml' } as never)] },
      /type must be "oidc" or "oauth2"/,
    ],
    [
      'OAuth 2 needs a profile reader',
      {
        providers: [
          { ...githubProvider({ clientId: 'gh', clientSecret: 's' }), profile: undefined as never },
        ],
      },
      /profile must be a function/,
    ],
    [
      'keepTokens needs keys',
      { providers: [oidc({ keepTokens: true })] },
      /keepTokens needs federation.tokenEncryptionKeys/,
    ],
    [
      'keys are long',
      { providers: [oidc()], tokenEncryptionKeys: ['short'] },
      /at least 32 characters/,
    ],
    ['keys are listed', { providers: [oidc()], tokenEncryptionKeys: [] }, /at least one secret/],
    [
      'timeouts are positive',
      { providers: [oidc({ timeoutMs: 0 })] },
      /timeoutMs must be a positive/,
    ],
    [
      'the hook is a function',
      { providers: [oidc()], identity: 'x' as never },
      /identity must be a function/,
    ],
  ])('%s', (_name, options, problem) => {
    expect(validateFederationOptions(options).join('\n')).toMatch(problem);
  });

  it('allows http only with allowInsecureHttp (a local development provider)', () => {
    const local = oidc({ issuer: 'http://localhost:4000', allowInsecureHttp: true });
    expect(validateFederationOptions({ providers: [local] })).toEqual([]);
  });

  it('is part of the module options check, and callbacks hang under the route prefix', () => {
    const base = {
      issuer: 'https://mcp.example.com',
      resources: [{ path: '/mcp', scopes: ['mcp:tools'] }],
      scopes: { 'mcp:tools': 'Tools' },
    };
    expect(
      () => new McpAuthConfig({ ...base, federation: { providers: [oidc({ id: '' })] } }),
    ).toThrow(/federation.providers\[0\].id/);
    const config = new McpAuthConfig({
      ...base,
      routePrefix: '/oauth',
      federation: { providers: [oidc()] },
    });
    expect(config.endpoints.federation).toBe('https://mcp.example.com/oauth/federation');
  });
});

describe('githubProvider', () => {
  const github = githubProvider({ clientId: 'gh', clientSecret: 'gh-secret' });

  it('uses GitHub’s endpoints with PKCE and reads bad_refresh_token as a dead grant', () => {
    expect(github).toMatchObject({
      type: 'oauth2',
      id: 'github',
      authorizationEndpoint: 'https://github.com/login/oauth/authorize',
      tokenEndpoint: 'https://github.com/login/oauth/access_token',
      userEndpoint: 'https://api.github.com/user',
      pkce: true,
      invalidGrantErrors: ['bad_refresh_token'],
      scopes: ['read:user', 'user:email'],
    });
  });

  it('takes the numeric id as the subject (a login can be renamed), the name or login to show', () => {
    expect(
      github.profile({ id: 42, login: 'octo', name: 'Octo Cat', email: 'o@example.com' }),
    ).toEqual({
      subject: '42',
      displayName: 'Octo Cat',
      email: 'o@example.com',
    });
    expect(github.profile({ id: 7, login: 'octo', name: null, email: null })).toEqual({
      subject: '7',
      displayName: 'octo',
      email: null,
    });
    expect(() => github.profile({ login: 'no-id' })).toThrow(/no id/);
  });

  it('points at GitHub Enterprise when given its URLs', () => {
    const enterprise = githubProvider({
      clientId: 'gh',
      clientSecret: 's',
      webUrl: 'https://git.example.com/',
      apiUrl: 'https://git.example.com/api/v3',
    });
    expect(enterprise.tokenEndpoint).toBe('https://git.example.com/login/oauth/access_token');
    expect(enterprise.userEndpoint).toBe('https://git.example.com/api/v3/user');
  });
});
