import { McpAuthConfig } from './mcp-auth.config';
import type { McpAuthModuleOptions } from './mcp-auth-options.interface';

/** Smallest valid options; each test changes one thing. */
function options(overrides: Partial<McpAuthModuleOptions> = {}): McpAuthModuleOptions {
  return {
    issuer: 'https://mcp.example.com',
    resources: [{ path: '/mcp', scopes: ['mcp:tools', 'mcp:resources'] }],
    scopes: {
      'mcp:tools': 'Call tools',
      'mcp:resources': 'Read resources',
      offline_access: 'Stay signed in',
    },
    ...overrides,
  };
}

/** The problems `new McpAuthConfig()` lists, one per line; [] when it accepts the options. */
function problemsOf(opts: McpAuthModuleOptions): string[] {
  try {
    new McpAuthConfig(opts);
    return [];
  } catch (error) {
    const message = (error as Error).message;
    expect(message.startsWith('Invalid McpAuthModule options:\n  - ')).toBe(true);
    return message
      .split('\n')
      .slice(1)
      .map((line) => line.replace(/^ {2}- /, ''));
  }
}

describe('McpAuthConfig', () => {
  describe('defaults and derived values', () => {
    it('accepts the smallest options and fills in every documented default', () => {
      const config = new McpAuthConfig(options());
      expect(config).toMatchObject({
        issuer: 'https://mcp.example.com',
        clients: [],
        registration: { enabled: true, clientSecretTtl: 0, policy: undefined },
        accessTokenTtl: 600,
        refreshTokenTtl: 30 * 24 * 3600,
        codeTtl: 60,
        algorithm: 'ES256',
        refreshReuseGraceSeconds: 2,
        keyEncryptionSecret: undefined,
        keyRotationInterval: 0,
        interaction: { type: 'built-in' },
        routePrefix: '',
        host: undefined,
        storage: { preparedStatements: true },
        migrationsRun: false,
        interactionTtl: 600,
        cleanupInterval: 300,
        secureCookies: true,
      });
    });

    it('AS-7: scopes_supported is every declared scope, offline_access included, in order', () => {
      expect(new McpAuthConfig(options()).scopesSupported).toEqual([
        'mcp:tools',
        'mcp:resources',
        'offline_access',
      ]);
    });

    it('AS-2: endpoints hang off the issuer; the JWKS stays at the origin root', () => {
      expect(new McpAuthConfig(options()).endpoints).toEqual({
        authorization: 'https://mcp.example.com/authorize',
        token: 'https://mcp.example.com/token',
        registration: 'https://mcp.example.com/register',
        revocation: 'https://mcp.example.com/revoke',
        introspection: 'https://mcp.example.com/introspect',
        interaction: 'https://mcp.example.com/interaction',
        federation: 'https://mcp.example.com/federation',
        jwks: 'https://mcp.example.com/.well-known/jwks.json',
      });
    });

    it('AS-15: resolves each resource to its canonical URI, normalizing the path', () => {
      const config = new McpAuthConfig(
        options({
          resources: [
            { path: 'mcp/', scopes: ['mcp:tools', 'mcp:resources'], defaultScopes: ['mcp:tools'] },
            { path: '/files', scopes: ['mcp:resources'], name: 'Files' },
          ],
        }),
      );
      expect(config.resources).toEqual([
        {
          path: '/mcp',
          uri: 'https://mcp.example.com/mcp',
          scopes: ['mcp:tools', 'mcp:resources'],
          defaultScopes: ['mcp:tools'],
          name: undefined,
        },
        {
          path: '/files',
          uri: 'https://mcp.example.com/files',
          scopes: ['mcp:resources'],
          defaultScopes: ['mcp:resources'],
          name: 'Files',
        },
      ]);
      // AS-15: without `resource` the first configured one is the audience.
      expect(config.defaultResource.uri).toBe('https://mcp.example.com/mcp');
      expect(config.findResource('https://mcp.example.com/files')?.name).toBe('Files');
      expect(config.findResource('https://mcp.example.com/other')).toBeUndefined();
    });

    it('keeps its own copies: changing the options afterwards changes nothing', () => {
      const opts = options();
      const config = new McpAuthConfig(opts);
      opts.scopes['mcp:new'] = 'New';
      opts.resources[0].scopes.push('mcp:new');
      expect(config.scopes).not.toHaveProperty('mcp:new');
      expect(config.resources[0].scopes).toEqual(['mcp:tools', 'mcp:resources']);
    });

    it('cookies are Secure only for an https issuer', () => {
      expect(new McpAuthConfig(options()).secureCookies).toBe(true);
      expect(new McpAuthConfig(options({ issuer: 'http://localhost:3000' })).secureCookies).toBe(
        false,
      );
    });

    it('takes every explicit setting as given', () => {
      const policy = () => ({ action: 'accept' as const });
      const config = new McpAuthConfig(
        options({
          registration: { enabled: false, clientSecretTtl: 3600, policy },
          tokens: {
            accessTokenTtl: 300,
            refreshTokenTtl: 86_400,
            codeTtl: 600,
            algorithm: 'EdDSA',
            refreshReuseGraceSeconds: 60,
            keyEncryptionSecret: 'x'.repeat(32),
            keyRotationInterval: 86_400,
          },
          interaction: { type: 'external', loginUrl: '/login' },
          host: 'mcp.example.com',
          migrationsRun: true,
          interactionTtl: 120,
          cleanupInterval: 0,
        }),
      );
      expect(config).toMatchObject({
        registration: { enabled: false, clientSecretTtl: 3600, policy },
        accessTokenTtl: 300,
        refreshTokenTtl: 86_400,
        codeTtl: 600,
        algorithm: 'EdDSA',
        refreshReuseGraceSeconds: 60,
        keyEncryptionSecret: 'x'.repeat(32),
        keyRotationInterval: 86_400,
        interaction: { type: 'external', loginUrl: '/login' },
        host: 'mcp.example.com',
        migrationsRun: true,
        interactionTtl: 120,
        cleanupInterval: 0,
      });
    });
  });

  describe('routePrefix', () => {
    it.each([
      ['', ''],
      ['/', ''],
      ['oauth', '/oauth'],
      ['/oauth', '/oauth'],
      ['/oauth/', '/oauth'],
      ['oauth/v1/', '/oauth/v1'],
      ['/a.b_c~d-e', '/a.b_c~d-e'],
    ])('normalizes %j to %j', (prefix, normalized) => {
      expect(new McpAuthConfig(options({ routePrefix: prefix })).routePrefix).toBe(normalized);
    });

    it('AS-3: prefixes the OAuth endpoints only; metadata and JWKS stay at the origin root', () => {
      const { endpoints } = new McpAuthConfig(options({ routePrefix: 'oauth/' }));
      expect(endpoints).toEqual({
        authorization: 'https://mcp.example.com/oauth/authorize',
        token: 'https://mcp.example.com/oauth/token',
        registration: 'https://mcp.example.com/oauth/register',
        revocation: 'https://mcp.example.com/oauth/revoke',
        introspection: 'https://mcp.example.com/oauth/introspect',
        interaction: 'https://mcp.example.com/oauth/interaction',
        federation: 'https://mcp.example.com/oauth/federation',
        jwks: 'https://mcp.example.com/.well-known/jwks.json',
      });
    });

    it.each([
      '//oauth',
      '/o auth',
      '/oauth?x=1',
      '/oauth#x',
      'https://evil.example/oauth',
      '/a//b',
      '/..',
      '/oauth/../admin',
      './oauth',
    ])('refuses %j', (prefix) => {
      expect(problemsOf(options({ routePrefix: prefix }))).toEqual([
        'routePrefix must be a plain path such as "/oauth"',
      ]);
    });
  });

  describe('issuer (AS-4, AS-25)', () => {
    it.each([
      'https://mcp.example.com',
      'https://mcp.example.com:8443',
      'http://localhost',
      'http://localhost:3000',
      'http://127.0.0.1:3000',
      'http://[::1]:3000',
    ])('accepts %s', (issuer) => {
      expect(problemsOf(options({ issuer }))).toEqual([]);
    });

    it.each<[string, string, string]>([
      ['http off loopback', 'http://mcp.example.com', 'issuer: issuer must use https'],
      [
        'http on a subdomain of localhost',
        'http://a.localhost:3000',
        'issuer: issuer must use https',
      ],
      ['http on a lookalike host', 'http://127.0.0.1.example.com', 'issuer: issuer must use https'],
      ['another scheme', 'ftp://mcp.example.com', 'issuer: issuer must use https'],
      ['a path', 'https://mcp.example.com/oauth', 'issuer: issuer must not contain a path'],
      ['a query', 'https://mcp.example.com?tenant=1', 'issuer: issuer must not contain a query'],
      ['a fragment', 'https://mcp.example.com#x', 'issuer: issuer must not contain a fragment'],
      ['a trailing slash', 'https://mcp.example.com/', 'issuer: issuer must not end with a slash'],
      ['not a URL', 'mcp.example.com', 'issuer: issuer is not an absolute URL'],
      ['an upper-case host', 'https://MCP.example.com', 'issuer: issuer must be written exactly'],
    ])('refuses %s, saying so with the "issuer:" prefix', (_name, issuer, message) => {
      const problems = problemsOf(options({ issuer }));
      expect(problems.length).toBeGreaterThan(0);
      expect(problems.some((p) => p.startsWith(message))).toBe(true);
      expect(problems.every((p) => p.startsWith('issuer: '))).toBe(true);
    });

    it('a missing issuer is the only problem reported (nothing else can be checked)', () => {
      const withoutIssuer = { ...options({ routePrefix: '/bad prefix' }), issuer: undefined };
      expect(problemsOf(withoutIssuer as unknown as McpAuthModuleOptions)).toEqual([
        'issuer is required: the absolute https URL clients reach this server at',
      ]);
    });
  });

  describe('scopes and resources', () => {
    it('refuses a scope name that is not an RFC 6749 scope token', () => {
      const problems = problemsOf(
        options({ scopes: { ...options().scopes, 'two words': 'Bad', 'quote"': 'Bad' } }),
      );
      expect(problems).toEqual([
        'scopes: "two words" is not a valid scope token (RFC 6749 §3.3)',
        'scopes: "quote"" is not a valid scope token (RFC 6749 §3.3)',
      ]);
    });

    it('refuses scopes given as an array', () => {
      expect(
        problemsOf(
          options({
            scopes: ['mcp:tools'] as unknown as Record<string, string>,
            resources: [{ path: '/mcp', scopes: [] }],
          }),
        ),
      ).toContain('scopes must be an object mapping each scope to its description');
    });

    it('refuses resources that use scopes not declared in scopes', () => {
      expect(
        problemsOf(
          options({
            resources: [
              { path: '/mcp', scopes: ['mcp:tools', 'mcp:write'], defaultScopes: ['mcp:tools'] },
            ],
          }),
        ),
      ).toEqual(['resources[0] uses scope "mcp:write", which is not declared in scopes']);
    });

    it('refuses default scopes that are undeclared or outside the resource scopes', () => {
      expect(
        problemsOf(
          options({
            resources: [
              { path: '/mcp', scopes: ['mcp:tools'], defaultScopes: ['mcp:resources', 'mcp:x'] },
            ],
          }),
        ),
      ).toEqual([
        'resources[0] uses scope "mcp:x", which is not declared in scopes',
        'resources[0].defaultScopes must be a subset of its scopes (mcp:resources, mcp:x)',
      ]);
    });

    it('RS-4: refuses offline_access among a resource’s scopes (it belongs to the AS only)', () => {
      expect(
        problemsOf(
          options({ resources: [{ path: '/mcp', scopes: ['mcp:tools', 'offline_access'] }] }),
        ),
      ).toEqual([
        'resources[0].scopes must not contain offline_access (RS-4: it belongs to the AS only)',
      ]);
    });

    it.each([[[]], [undefined]])('refuses resources = %j', (resources) => {
      expect(
        problemsOf(
          options({ resources: resources as unknown as McpAuthModuleOptions['resources'] }),
        ),
      ).toEqual([
        'resources must list at least one MCP endpoint, e.g. [{ path: "/mcp", scopes: [...] }]',
      ]);
    });

    it('refuses a resource path that is not a URL path, and the same path twice', () => {
      expect(
        problemsOf(
          options({
            resources: [
              { path: '/mcp?x=1', scopes: ['mcp:tools'] },
              { path: '/mcp', scopes: ['mcp:tools'] },
              { path: 'mcp/', scopes: ['mcp:tools'] },
            ],
          }),
        ),
      ).toEqual([
        'resources[0].path must be a URL path such as "/mcp"',
        'resources[2].path "/mcp" is configured twice',
      ]);
    });
  });

  describe('consent (AS-17, RFC 8252 §8.6)', () => {
    it('does not remember consent for public clients unless told to', () => {
      expect(new McpAuthConfig(options()).consent).toEqual({ rememberForPublicClients: false });
      expect(
        new McpAuthConfig(options({ consent: { rememberForPublicClients: true } })).consent,
      ).toEqual({ rememberForPublicClients: true });
    });
  });

  describe('storage', () => {
    it('turns prepared statements off only when told to', () => {
      expect(
        new McpAuthConfig(options({ storage: { preparedStatements: false } })).storage,
      ).toEqual({ preparedStatements: false });
    });
  });

  it('lists every problem of every part at once, part by part, in one error', () => {
    let error: Error | undefined;
    try {
      new McpAuthConfig({
        issuer: 'http://mcp.example.com/',
        resources: [{ path: '/mcp', scopes: ['mcp:tools', 'offline_access', 'mcp:unknown'] }],
        scopes: { 'mcp:tools': 'Call tools', offline_access: 'Stay signed in' },
        tokens: { accessTokenTtl: 0, codeTtl: 3600 },
        routePrefix: '/o auth',
        interactionTtl: 0,
        storage: { preparedStatements: 'no' as never },
        cleanupInterval: -1,
        clients: [{ client_id: 'c', redirect_uris: [] }],
        rateLimit: { token: { limit: 0, ttl: 60 } },
        introspection: { allowedClients: [''] },
      });
    } catch (caught) {
      error = caught as Error;
    }
    expect(error?.message).toBe(
      [
        'Invalid McpAuthModule options:',
        // The module itself: issuer, scopes, resources, routePrefix.
        '  - issuer: issuer must use https (http is allowed only for localhost, 127.0.0.1 or [::1])',
        '  - issuer: issuer must not end with a slash',
        '  - issuer: did you mean "https://mcp.example.com"?',
        '  - resources[0] uses scope "mcp:unknown", which is not declared in scopes',
        '  - resources[0].scopes must not contain offline_access (RS-4: it belongs to the AS only)',
        '  - routePrefix must be a plain path such as "/oauth"',
        // Then each part, in the order validateOptions calls them.
        '  - tokens.accessTokenTtl must be a positive number of seconds',
        '  - tokens.codeTtl must be at most 600 seconds (AS-19: codes are short-lived)',
        '  - interactionTtl must be a positive number of seconds',
        '  - storage.preparedStatements must be true or false',
        '  - cleanupInterval must be 0 (off) or a positive number of seconds',
        '  - clients[0].redirect_uris must list at least one URI',
        '  - rateLimit.token must be false or { limit: positive integer, ttl: positive seconds }',
        '  - introspection.allowedClients must be an array of client_id strings',
      ].join('\n'),
    );
  });
});
