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
});
