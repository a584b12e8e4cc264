import { loadAppConfig } from './app-config';

const SECRET = 'k'.repeat(32);

describe('loadAppConfig', () => {
  it('has working defaults', () => {
    expect(loadAppConfig({})).toMatchObject({
      port: 3000,
      issuerUrl: 'http://localhost:3000',
      databaseUrl: undefined,
      demoUsername: 'demo',
      staticClients: [],
      httpAdapter: 'express',
      trustProxy: undefined,
      dynamicRegistration: true,
      cimdAllowLoopbackHosts: [],
      cimdCaFile: undefined,
      federation: { oidc: undefined, github: undefined, tokenKeys: [], keepTokens: false },
      trustedIdentityProviders: [],
    });
  });

  it('MCP_AUTH_DYNAMIC_REGISTRATION turns /register off, refusing anything but true or false', () => {
    expect(loadAppConfig({ MCP_AUTH_DYNAMIC_REGISTRATION: 'false' }).dynamicRegistration).toBe(
      false,
    );
    expect(loadAppConfig({ MCP_AUTH_DYNAMIC_REGISTRATION: 'TRUE' }).dynamicRegistration).toBe(true);
    expect(() => loadAppConfig({ MCP_AUTH_DYNAMIC_REGISTRATION: 'off' })).toThrow(
      /MCP_AUTH_DYNAMIC_REGISTRATION must be true or false, got "off"/,
    );
  });

  it('MCP_AUTH_CIMD_ALLOW_LOOPBACK_HOSTS is a development list, refused in production', () => {
    expect(
      loadAppConfig({ MCP_AUTH_CIMD_ALLOW_LOOPBACK_HOSTS: ' localhost, 127.0.0.1 ,' })
        .cimdAllowLoopbackHosts,
    ).toEqual(['localhost', '127.0.0.1']);
    expect(() =>
      loadAppConfig({
        NODE_ENV: 'production',
        DEMO_PASSWORD: 'a-real-password-of-my-own',
        MCP_AUTH_KEY_ENCRYPTION_SECRET: SECRET,
        MCP_AUTH_CIMD_ALLOW_LOOPBACK_HOSTS: 'localhost',
      }),
    ).toThrow(/MCP_AUTH_CIMD_ALLOW_LOOPBACK_HOSTS is for development only/);
  });

  it('HTTP_ADAPTER picks Express or Fastify, refusing anything else', () => {
    expect(loadAppConfig({ HTTP_ADAPTER: 'fastify' }).httpAdapter).toBe('fastify');
    expect(loadAppConfig({ HTTP_ADAPTER: 'Express' }).httpAdapter).toBe('express');
    expect(() => loadAppConfig({ HTTP_ADAPTER: 'koa' })).toThrow(
      /HTTP_ADAPTER must be express or fastify, got "koa"/,
    );
  });

  it('TRUST_PROXY: a boolean, a hop count, or addresses and proxy-addr names (both adapters)', () => {
    expect(loadAppConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadAppConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadAppConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadAppConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy).toBe(
      'loopback, 10.0.0.0/8',
    );
    expect(loadAppConfig({ TRUST_PROXY: ' ' }).trustProxy).toBeUndefined();
  });

  it('derives the issuer from PORT', () => {
    expect(loadAppConfig({ PORT: '4000' }).issuerUrl).toBe('http://localhost:4000');
  });

  it('lists every problem at once', () => {
    expect(() =>
      loadAppConfig({
        PORT: 'eighty',
        MCP_AUTH_STATIC_CLIENTS: '{not json',
        DEMO_PASSWORD: 'short',
        DATABASE_URL: 'mysql://x',
      }),
    ).toThrow(
      /PORT must be a TCP port[\s\S]*MCP_AUTH_STATIC_CLIENTS is not valid JSON[\s\S]*DEMO_PASSWORD[\s\S]*DATABASE_URL/,
    );
  });

  it('RS-11: allows the issuer origin and the listed browser origins, refusing malformed ones', () => {
    expect(
      loadAppConfig({ MCP_ALLOWED_ORIGINS: 'http://localhost:6274, https://app.example.com' })
        .allowedOrigins,
    ).toEqual(['http://localhost:3000', 'http://localhost:6274', 'https://app.example.com']);
    expect(() => loadAppConfig({ MCP_ALLOWED_ORIGINS: 'https://app.example.com/path' })).toThrow(
      /MCP_ALLOWED_ORIGINS/,
    );
  });

  it('reads the signing-key encryption secret, refusing one that is too short without echoing it', () => {
    expect(loadAppConfig({}).keyEncryptionSecret).toBeUndefined();
    expect(loadAppConfig({ MCP_AUTH_KEY_ENCRYPTION_SECRET: SECRET }).keyEncryptionSecret).toBe(
      SECRET,
    );
    const short = 'short-secret-of-31-characters!!';
    expect(() => loadAppConfig({ MCP_AUTH_KEY_ENCRYPTION_SECRET: short })).toThrow(
      /MCP_AUTH_KEY_ENCRYPTION_SECRET must be at least 32 characters.*got 31/,
    );
    expect(() => loadAppConfig({ MCP_AUTH_KEY_ENCRYPTION_SECRET: short })).not.toThrow(short);
  });

  describe('in production (NODE_ENV=production)', () => {
    const PRODUCTION = {
      NODE_ENV: 'production',
      DEMO_PASSWORD: 'a password of my own',
      MCP_AUTH_KEY_ENCRYPTION_SECRET: SECRET,
    };

    it('boots with a password of its own and a key-encryption secret', () => {
      expect(loadAppConfig(PRODUCTION)).toMatchObject({
        production: true,
        demoPassword: 'a password of my own',
        keyEncryptionSecret: SECRET,
      });
    });

    it('refuses the default demo password, naming DEMO_PASSWORD', () => {
      for (const password of [undefined, 'demo-password']) {
        expect(() => loadAppConfig({ ...PRODUCTION, DEMO_PASSWORD: password })).toThrow(
          /DEMO_PASSWORD must be set to a password of your own in production/,
        );
      }
    });

    it('refuses to run without a key-encryption secret, or with a short one', () => {
      for (const secret of [undefined, '']) {
        expect(() =>
          loadAppConfig({ ...PRODUCTION, MCP_AUTH_KEY_ENCRYPTION_SECRET: secret }),
        ).toThrow(/MCP_AUTH_KEY_ENCRYPTION_SECRET must be set in production/);
      }
      expect(() =>
        loadAppConfig({ ...PRODUCTION, MCP_AUTH_KEY_ENCRYPTION_SECRET: 'x'.repeat(31) }),
      ).toThrow(/MCP_AUTH_KEY_ENCRYPTION_SECRET must be at least 32 characters/);
    });

    it('names both missing secrets in one list', () => {
      expect(() => loadAppConfig({ NODE_ENV: 'production' })).toThrow(
        /Invalid configuration:\n {2}- DEMO_PASSWORD[^\n]*\n {2}- MCP_AUTH_KEY_ENCRYPTION_SECRET/,
      );
    });
  });

  it('checks ISSUER_URL by the module’s rules, in the same list as every other problem', () => {
    for (const [issuer, problem] of [
      ['https://mcp.example.com/mcp', /must not contain a path/],
      ['https://mcp.example.com/', /must not end with a slash/],
      ['http://mcp.example.com', /must use https/],
      ['ftp://mcp.example.com', /must use https/],
      ['mcp.example.com', /not an absolute URL/],
    ] as const) {
      expect(() => loadAppConfig({ ISSUER_URL: issuer, PORT: 'eighty' })).toThrow(
        new RegExp(
          `PORT must be a TCP port[\\s\\S]*\\n {2}- ISSUER_URL must be the bare origin.*${problem.source}`,
        ),
      );
    }
    expect(loadAppConfig({ ISSUER_URL: 'https://mcp.example.com' }).issuerUrl).toBe(
      'https://mcp.example.com',
    );
  });

  it('does not echo an ISSUER_URL, which may carry credentials', () => {
    expect(() =>
      loadAppConfig({ ISSUER_URL: 'https://user:hunter2hunter2@mcp.example.com' }),
    ).toThrow(/ISSUER_URL[^]*must not contain user information/);
    expect(() =>
      loadAppConfig({ ISSUER_URL: 'https://user:hunter2hunter2@mcp.example.com' }),
    ).not.toThrow(/hunter2/);
  });

  it('refuses a static client list that is not an array', () => {
    expect(() => loadAppConfig({ MCP_AUTH_STATIC_CLIENTS: '{"client_id":"x"}' })).toThrow(
      /must be a JSON array/,
    );
  });

  describe('federation: UPSTREAM_OIDC_*, GITHUB_* and MCP_AUTH_UPSTREAM_TOKEN_KEYS', () => {
    const OIDC = {
      UPSTREAM_OIDC_ISSUER: 'https://login.example.com/tenant/v2.0',
      UPSTREAM_OIDC_CLIENT_ID: 'mcp-server',
      UPSTREAM_OIDC_CLIENT_SECRET: 'upstream-secret',
    };
    const PRODUCTION = {
      NODE_ENV: 'production',
      DEMO_PASSWORD: 'a password of my own',
      MCP_AUTH_KEY_ENCRYPTION_SECRET: SECRET,
    };
    const KEY = 'u'.repeat(32);

    it('an OpenID Connect provider by issuer URL, with the default scopes and name', () => {
      expect(loadAppConfig(OIDC).federation).toEqual({
        oidc: {
          issuer: 'https://login.example.com/tenant/v2.0',
          clientId: 'mcp-server',
          clientSecret: 'upstream-secret',
          scopes: ['openid', 'profile', 'email'],
          name: 'Single sign-on',
          allowInsecureHttp: false,
        },
        github: undefined,
        tokenKeys: [],
        // Outside production, under a key made at start (app.module warns).
        keepTokens: true,
      });
    });

    it('takes the issuer as written (trailing slash, path), scopes split on spaces or commas, a name, no secret (public client)', () => {
      const { oidc } = loadAppConfig({
        UPSTREAM_OIDC_ISSUER: 'https://tenant.auth0.com/',
        UPSTREAM_OIDC_CLIENT_ID: 'mcp-server',
        UPSTREAM_OIDC_SCOPES: ' openid, profile  groups openid ',
        UPSTREAM_OIDC_NAME: 'Acme SSO',
      }).federation;
      expect(oidc).toEqual({
        issuer: 'https://tenant.auth0.com/',
        clientId: 'mcp-server',
        clientSecret: undefined,
        scopes: ['openid', 'profile', 'groups'],
        name: 'Acme SSO',
        allowInsecureHttp: false,
      });
    });

    it('UPSTREAM_OIDC_CLIENT_ID is required with an issuer, and openid among the scopes', () => {
      expect(() =>
        loadAppConfig({
          UPSTREAM_OIDC_ISSUER: 'https://login.example.com',
          UPSTREAM_OIDC_SCOPES: 'profile email',
        }),
      ).toThrow(
        /UPSTREAM_OIDC_CLIENT_ID is required with UPSTREAM_OIDC_ISSUER[^\n]*\n {2}- UPSTREAM_OIDC_SCOPES must include openid/,
      );
    });

    it('refuses the other UPSTREAM_OIDC_* variables without an issuer, naming them', () => {
      expect(() =>
        loadAppConfig({ UPSTREAM_OIDC_CLIENT_ID: 'x', UPSTREAM_OIDC_CLIENT_SECRET: 'y' }),
      ).toThrow(
        /UPSTREAM_OIDC_CLIENT_ID, UPSTREAM_OIDC_CLIENT_SECRET are set without UPSTREAM_OIDC_ISSUER/,
      );
      expect(() => loadAppConfig({ UPSTREAM_OIDC_CLIENT_SECRET: 'hunter2hunter2' })).not.toThrow(
        /hunter2/,
      );
    });

    it('the issuer must be an absolute https URL without user information, query or fragment; it is never echoed', () => {
      for (const [issuer, problem] of [
        ['login.example.com', /must be the provider's issuer URL/],
        ['ftp://login.example.com', /must be an https URL/],
        ['https://user:hunter2hunter2@login.example.com', /must not contain user information/],
        ['https://login.example.com/?tenant=1', /must have no query or fragment/],
        ['https://login.example.com/#x', /must have no query or fragment/],
      ] as const) {
        const load = () => loadAppConfig({ ...OIDC, UPSTREAM_OIDC_ISSUER: issuer });
        expect(load).toThrow(new RegExp(`UPSTREAM_OIDC_ISSUER ${problem.source}`));
        expect(load).not.toThrow(/hunter2/);
      }
    });

    it('an http issuer (a local development provider) only outside production, through allowInsecureHttp', () => {
      const development = loadAppConfig({ ...OIDC, UPSTREAM_OIDC_ISSUER: 'http://localhost:4000' });
      expect(development.federation.oidc?.allowInsecureHttp).toBe(true);
      expect(() =>
        loadAppConfig({
          ...PRODUCTION,
          ...OIDC,
          UPSTREAM_OIDC_ISSUER: 'http://localhost:4000',
          MCP_AUTH_UPSTREAM_TOKEN_KEYS: KEY,
        }),
      ).toThrow(/UPSTREAM_OIDC_ISSUER must be https in production/);
    });

    it('GitHub needs both its client id and secret', () => {
      expect(
        loadAppConfig({ GITHUB_CLIENT_ID: 'Iv1.abc', GITHUB_CLIENT_SECRET: 'gh-secret' }).federation
          .github,
      ).toEqual({ clientId: 'Iv1.abc', clientSecret: 'gh-secret' });
      expect(() => loadAppConfig({ GITHUB_CLIENT_ID: 'Iv1.abc' })).toThrow(
        /GITHUB_CLIENT_SECRET is required with GITHUB_CLIENT_ID/,
      );
      expect(() => loadAppConfig({ GITHUB_CLIENT_SECRET: 'gh-secret' })).toThrow(
        /GITHUB_CLIENT_ID is required with GITHUB_CLIENT_SECRET/,
      );
      expect(() => loadAppConfig({ GITHUB_CLIENT_SECRET: 'gh-secret' })).not.toThrow(/gh-secret/);
    });

    it('MCP_AUTH_UPSTREAM_TOKEN_KEYS: comma-separated secrets of 32+ characters, newest first, never echoed', () => {
      const other = 'v'.repeat(40);
      expect(
        loadAppConfig({ ...OIDC, MCP_AUTH_UPSTREAM_TOKEN_KEYS: ` ${KEY}, ${other} ,` }).federation,
      ).toMatchObject({ tokenKeys: [KEY, other], keepTokens: true });
      const short = 'short-upstream-key';
      const load = () =>
        loadAppConfig({ ...OIDC, MCP_AUTH_UPSTREAM_TOKEN_KEYS: `${KEY},${short}` });
      expect(load).toThrow(
        /MCP_AUTH_UPSTREAM_TOKEN_KEYS: secret 2 must be at least 32 characters.*got 18/,
      );
      expect(load).not.toThrow(short);
    });

    it('in production, upstream tokens are kept only under MCP_AUTH_UPSTREAM_TOKEN_KEYS (never a key made at start)', () => {
      expect(loadAppConfig({ ...PRODUCTION, ...OIDC }).federation.keepTokens).toBe(false);
      expect(
        loadAppConfig({ ...PRODUCTION, ...OIDC, MCP_AUTH_UPSTREAM_TOKEN_KEYS: KEY }).federation,
      ).toMatchObject({ tokenKeys: [KEY], keepTokens: true });
    });

    it('keeps nothing without a provider, keys or not', () => {
      expect(loadAppConfig({ MCP_AUTH_UPSTREAM_TOKEN_KEYS: KEY }).federation.keepTokens).toBe(
        false,
      );
    });

    it('lists federation problems with every other one', () => {
      expect(() =>
        loadAppConfig({
          PORT: 'eighty',
          UPSTREAM_OIDC_ISSUER: 'https://login.example.com',
          GITHUB_CLIENT_ID: 'Iv1.abc',
        }),
      ).toThrow(/PORT must be a TCP port[\s\S]*UPSTREAM_OIDC_CLIENT_ID[\s\S]*GITHUB_CLIENT_SECRET/);
    });
  });

  describe('MCP_AUTH_TRUSTED_IDPS: enterprise identity providers whose ID-JAGs are redeemed', () => {
    const idps = (value: unknown) => ({ MCP_AUTH_TRUSTED_IDPS: JSON.stringify(value) });

    it('a JSON array of { issuer, jwks_uri }, jwks_uri optional (discovery), issuers as written', () => {
      expect(
        loadAppConfig(
          idps([
            { issuer: 'https://acme.okta.com', jwks_uri: 'https://acme.okta.com/oauth2/v1/keys' },
            { issuer: 'https://login.microsoftonline.com/tenant-id/v2.0/' },
            { issuer: 'http://127.0.0.1:4000', jwks_uri: 'http://localhost:4000/jwks?v=2' },
            { issuer: 'http://[::1]:4000' },
          ]),
        ).trustedIdentityProviders,
      ).toEqual([
        { issuer: 'https://acme.okta.com', jwksUri: 'https://acme.okta.com/oauth2/v1/keys' },
        { issuer: 'https://login.microsoftonline.com/tenant-id/v2.0/', jwksUri: undefined },
        { issuer: 'http://127.0.0.1:4000', jwksUri: 'http://localhost:4000/jwks?v=2' },
        { issuer: 'http://[::1]:4000', jwksUri: undefined },
      ]);
      expect(loadAppConfig({ MCP_AUTH_TRUSTED_IDPS: ' ' }).trustedIdentityProviders).toEqual([]);
      expect(loadAppConfig(idps([])).trustedIdentityProviders).toEqual([]);
    });

    it('http only on loopback, as the module requires, in one list of problems that echoes no URL', () => {
      const load = () =>
        loadAppConfig(
          idps([
            { issuer: 'http://idp.example.com', jwks_uri: 'https://idp.example.com/keys' },
            { issuer: 'https://idp.example.com', jwks_uri: 'http://10.0.0.5/keys' },
            { issuer: 'ftp://idp.example.com' },
            { issuer: 'idp.example.com' },
            { issuer: 'https://admin:hunter2hunter2@idp.example.com' },
            { issuer: 'https://idp.example.com/?tenant=1' },
            { issuer: 'https://idp2.example.com', jwks_uri: 'https://idp2.example.com/keys#k' },
            { jwks_uri: 'https://idp3.example.com/keys' },
            { issuer: 42 },
          ]),
        );
      expect(load).toThrow(
        new RegExp(
          [
            String.raw`MCP_AUTH_TRUSTED_IDPS\[0\]\.issuer must be https \(http only on localhost, 127\.0\.0\.1 or \[::1\]\)`,
            String.raw`MCP_AUTH_TRUSTED_IDPS\[1\]\.jwks_uri must be https`,
            String.raw`MCP_AUTH_TRUSTED_IDPS\[2\]\.issuer must be https`,
            String.raw`MCP_AUTH_TRUSTED_IDPS\[3\]\.issuer must be an absolute URL`,
            String.raw`MCP_AUTH_TRUSTED_IDPS\[4\]\.issuer must not contain user information`,
            String.raw`MCP_AUTH_TRUSTED_IDPS\[5\]\.issuer must have no query or fragment`,
            String.raw`MCP_AUTH_TRUSTED_IDPS\[6\]\.jwks_uri must have no fragment`,
            String.raw`MCP_AUTH_TRUSTED_IDPS\[7\]\.issuer is required`,
            String.raw`MCP_AUTH_TRUSTED_IDPS\[8\]\.issuer must be a URL string`,
          ].join(String.raw`[^\n]*\n {2}- `),
        ),
      );
      expect(load).not.toThrow(/hunter2|idp\.example\.com|10\.0\.0\.5/);
    });

    it('refuses what is not a list of such objects: bad JSON (not echoed), an object, other members, twice the same issuer', () => {
      expect(() =>
        loadAppConfig({ MCP_AUTH_TRUSTED_IDPS: '[{"issuer": "https://u:hunter2hunter2@x"' }),
      ).toThrow(/MCP_AUTH_TRUSTED_IDPS is not valid JSON: it must be a JSON array of/);
      expect(() =>
        loadAppConfig({ MCP_AUTH_TRUSTED_IDPS: '[{"issuer": "https://u:hunter2hunter2@x"' }),
      ).not.toThrow(/hunter2/);
      expect(() => loadAppConfig(idps({ issuer: 'https://idp.example.com' }))).toThrow(
        /MCP_AUTH_TRUSTED_IDPS must be a JSON array of/,
      );
      expect(() =>
        loadAppConfig(
          idps([
            'https://idp.example.com',
            { issuer: 'https://idp.example.com', jwksUri: 'https://idp.example.com/keys' },
            { issuer: 'https://idp.example.com' },
          ]),
        ),
      ).toThrow(
        /MCP_AUTH_TRUSTED_IDPS\[0\] must be an object with "issuer" and "jwks_uri"\n {2}- MCP_AUTH_TRUSTED_IDPS\[1\] has unknown member "jwksUri": only "issuer" and "jwks_uri"\n {2}- MCP_AUTH_TRUSTED_IDPS\[2\]\.issuer is listed twice/,
      );
    });

    it('lists its problems with every other one', () => {
      expect(() =>
        loadAppConfig({
          PORT: 'eighty',
          ...idps([{ issuer: 'http://idp.example.com' }]),
          GITHUB_CLIENT_ID: 'Iv1.abc',
        }),
      ).toThrow(
        /PORT must be a TCP port[\s\S]*GITHUB_CLIENT_SECRET[\s\S]*MCP_AUTH_TRUSTED_IDPS\[0\]/,
      );
    });
  });
});
