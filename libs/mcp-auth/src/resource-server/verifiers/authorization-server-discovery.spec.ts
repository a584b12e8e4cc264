import { AccessTokenVerifierUnavailableError } from '../access-token-verifier.interface';
import { AuthorizationServerDiscovery, discoveryUrls } from './authorization-server-discovery';
import { JsonServer } from '../../../../../test/support/json-server';

describe('discoveryUrls (AS-3)', () => {
  it('an issuer without a path: RFC 8414, then OIDC', () => {
    expect(discoveryUrls('https://idp.example.com')).toEqual([
      'https://idp.example.com/.well-known/oauth-authorization-server',
      'https://idp.example.com/.well-known/openid-configuration',
    ]);
  });

  it('an issuer with a path: RFC 8414 inserted, OIDC inserted, OIDC appended', () => {
    expect(discoveryUrls('https://idp.example.com/realms/mcp')).toEqual([
      'https://idp.example.com/.well-known/oauth-authorization-server/realms/mcp',
      'https://idp.example.com/.well-known/openid-configuration/realms/mcp',
      'https://idp.example.com/realms/mcp/.well-known/openid-configuration',
    ]);
  });
});

describe('AuthorizationServerDiscovery', () => {
  let server: JsonServer;

  beforeEach(async () => {
    server = await new JsonServer().start();
  });
  afterEach(() => server.stop());

  it('falls back to OIDC discovery and caches the document', async () => {
    const issuer = `${server.origin}/tenant`;
    server.routes.set('/tenant/.well-known/openid-configuration', () => ({
      status: 200,
      body: { issuer, jwks_uri: `${issuer}/jwks` },
    }));
    const discovery = new AuthorizationServerDiscovery(issuer, { timeoutMs: 2000 });
    await expect(discovery.get()).resolves.toMatchObject({ jwks_uri: `${issuer}/jwks` });
    await discovery.get();
    expect(server.requests.map((r) => r.path)).toEqual([
      '/.well-known/oauth-authorization-server/tenant',
      '/.well-known/openid-configuration/tenant',
      '/tenant/.well-known/openid-configuration',
    ]);
  });

  it('RFC 8414 §3.3: refuses a document about another issuer', async () => {
    server.routes.set('/.well-known/oauth-authorization-server', () => ({
      status: 200,
      body: { issuer: 'https://evil.example' },
    }));
    const discovery = new AuthorizationServerDiscovery(server.origin, { timeoutMs: 2000 });
    await expect(discovery.get()).rejects.toThrow(/names issuer "https:\/\/evil.example"/);
  });

  it('retries a failed discovery only after the retry interval', async () => {
    const discovery = new AuthorizationServerDiscovery(server.origin, {
      timeoutMs: 2000,
      retryIntervalMs: 60_000,
    });
    await expect(discovery.get()).rejects.toBeInstanceOf(AccessTokenVerifierUnavailableError);
    const calls = server.requests.length;
    await expect(discovery.get()).rejects.toBeInstanceOf(AccessTokenVerifierUnavailableError);
    expect(server.requests).toHaveLength(calls);
  });

  it('reports an unreachable issuer as unavailable', async () => {
    await server.stop();
    const discovery = new AuthorizationServerDiscovery(server.origin, { timeoutMs: 2000 });
    await expect(discovery.get()).rejects.toThrow(/unreachable/);
  });
});
