import { loadDevIdpConfig } from './config';

describe('loadDevIdpConfig', () => {
  it("has defaults matching the sample's oidc provider", () => {
    expect(loadDevIdpConfig({})).toEqual({
      host: '0.0.0.0',
      port: 4000,
      issuer: 'http://localhost:4000',
      client: {
        clientId: 'sample-mcp-server',
        clientSecret: 'dev-identity-provider-secret',
        redirectUris: ['http://localhost:3000/federation/oidc/callback'],
      },
      accessTokenTtlSeconds: 600,
      jwks: undefined,
      cookieKeys: undefined,
    });
  });

  it('reads every setting from the environment', () => {
    const jwks = { keys: [{ kty: 'RSA', kid: 'k1' }] };
    expect(
      loadDevIdpConfig({
        HOST: '127.0.0.1',
        PORT: '4100',
        DEV_IDP_ISSUER: 'https://idp.example.test',
        DEV_IDP_CLIENT_ID: 'mcp',
        DEV_IDP_CLIENT_SECRET: 's3cret',
        DEV_IDP_REDIRECT_URIS: 'http://localhost:3001/federation/oidc/callback, https://x.test/cb',
        DEV_IDP_ACCESS_TOKEN_TTL: '30',
        DEV_IDP_JWKS: JSON.stringify(jwks),
        DEV_IDP_COOKIE_KEYS: 'one,two',
      }),
    ).toEqual({
      host: '127.0.0.1',
      port: 4100,
      issuer: 'https://idp.example.test',
      client: {
        clientId: 'mcp',
        clientSecret: 's3cret',
        redirectUris: ['http://localhost:3001/federation/oidc/callback', 'https://x.test/cb'],
      },
      accessTokenTtlSeconds: 30,
      jwks,
      cookieKeys: ['one', 'two'],
    });
  });

  it('derives the issuer from the port, or from the port bound when PORT is 0', () => {
    expect(loadDevIdpConfig({ PORT: '4321' }).issuer).toBe('http://localhost:4321');
    expect(loadDevIdpConfig({ PORT: '0' }).issuer).toBeUndefined();
  });

  it('lists every problem at once, without echoing the key set', () => {
    const load = () =>
      loadDevIdpConfig({
        PORT: 'eighty',
        DEV_IDP_ISSUER: 'http://localhost:4000/realm',
        DEV_IDP_REDIRECT_URIS: 'not a url',
        DEV_IDP_ACCESS_TOKEN_TTL: '-1',
        DEV_IDP_JWKS: '{"keys": [{"d": "private-part"',
      });
    expect(load).toThrow(
      /PORT must be a TCP port[^]*DEV_IDP_ISSUER must be a bare origin such as http:\/\/localhost:4000[^]*DEV_IDP_REDIRECT_URIS: "not a url" must be an absolute URL[^]*DEV_IDP_ACCESS_TOKEN_TTL[^]*DEV_IDP_JWKS is not valid JSON/,
    );
    expect(load).not.toThrow(/private-part/);
  });
});
