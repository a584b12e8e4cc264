import { loadAppConfig } from './app-config';

describe('loadAppConfig', () => {
  it('has working defaults', () => {
    expect(loadAppConfig({})).toMatchObject({
      port: 3000,
      issuerUrl: 'http://localhost:3000',
      databaseUrl: undefined,
      demoUsername: 'demo',
      staticClients: [],
    });
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

  it('refuses a static client list that is not an array', () => {
    expect(() => loadAppConfig({ MCP_AUTH_STATIC_CLIENTS: '{"client_id":"x"}' })).toThrow(
      /must be a JSON array/,
    );
  });
});
