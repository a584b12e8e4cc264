import { ResourceServerConfig } from './resource-server.config';

const IDP = 'https://idp.example.com/realms/mcp';

function external(resources: { uri: string; scopes: string[] }[], extra: object = {}) {
  return ResourceServerConfig.fromOptions({
    resources,
    authorizationServers: [IDP],
    verifier: { type: 'jwks' },
    ...extra,
  });
}

describe('ResourceServerConfig', () => {
  it('canonicalizes resource URIs (RS-7) and inserts the well-known path (RFC 9728 §3.1)', () => {
    const config = external([
      { uri: 'HTTPS://API.Example.com:443/tools/mcp/', scopes: ['a'] },
      { uri: 'https://api.example.com', scopes: ['b'] },
    ]);
    expect(config.resources.map((r) => [r.uri, r.path, r.metadataUrl])).toEqual([
      [
        'https://api.example.com/tools/mcp',
        '/tools/mcp',
        'https://api.example.com/.well-known/oauth-protected-resource/tools/mcp',
      ],
      [
        'https://api.example.com',
        '/',
        'https://api.example.com/.well-known/oauth-protected-resource',
      ],
    ]);
    // A resource at the origin owns the root document.
    expect(config.rootResource.uri).toBe('https://api.example.com');
  });

  it('maps request paths to resources by longest segment prefix, else the first', () => {
    const config = external([
      { uri: 'https://api.example.com/mcp', scopes: [] },
      { uri: 'https://api.example.com/mcp/admin', scopes: [] },
    ]);
    const pathOf = (path: string) => config.resourceForPath(path).path;
    expect(pathOf('/mcp')).toBe('/mcp');
    expect(pathOf('/mcp/tools')).toBe('/mcp');
    expect(pathOf('/mcp/admin/x')).toBe('/mcp/admin');
    expect(pathOf('/mcpx')).toBe('/mcp');
    expect(pathOf('/elsewhere')).toBe('/mcp');
    expect(config.findResource('/mcp/admin')?.path).toBe('/mcp/admin');
    expect(config.findResource('HTTPS://api.example.com/mcp')?.path).toBe('/mcp');
    expect(config.findResource('/nope')).toBeUndefined();
    expect(
      config.resourceForMetadataPath('/.well-known/oauth-protected-resource/mcp/admin/')?.path,
    ).toBe('/mcp/admin');
    expect(config.resourceForMetadataPath('/.well-known/oauth-protected-resource')?.path).toBe(
      '/mcp',
    );
    expect(
      config.resourceForMetadataPath('/.well-known/oauth-protected-resource/x'),
    ).toBeUndefined();
  });

  it('refuses bad options at boot with every problem listed', () => {
    let message = '';
    try {
      ResourceServerConfig.fromOptions({
        resources: [
          { uri: 'http://api.example.com/mcp', scopes: ['ok'] },
          { uri: 'https://api.example.com/mcp?x=1', scopes: [] },
          { uri: 'https://api.example.com/a#f', scopes: [] },
          { uri: 'https://api.example.com/b', scopes: ['bad scope', 'offline_access'] },
          { uri: 'https://other.example.com/b', scopes: [] },
        ],
        authorizationServers: ['ftp://idp', 'https://idp.example.com?x', 'not a url'],
        verifier: { type: 'jwks' },
        clockTolerance: -1,
        scopeHierarchy: { a: 'b' as unknown as string[] },
      });
    } catch (error) {
      message = (error as Error).message;
    }
    for (const problem of [
      'resources[0].uri must use https',
      'resources[1].uri must be an absolute http(s) URI without query or fragment',
      'resources[2].uri must be an absolute',
      'resources[3].scopes: "bad scope" is not a valid scope token',
      'resources[3].scopes must not contain offline_access',
      'resources[4].uri: path "/b" is configured twice',
      'authorizationServers[0] "ftp://idp" must use https',
      'authorizationServers[1] "https://idp.example.com?x" must not have a query or fragment',
      'authorizationServers[2] "not a url" is not an absolute URL',
      'clockTolerance must be between 0 and 300 seconds',
      'scopeHierarchy["a"] must be an array of valid scope tokens',
    ]) {
      expect(message).toContain(problem);
    }
    expect(() =>
      ResourceServerConfig.fromOptions({ authorizationServers: [IDP] } as never),
    ).toThrow(/resources must list/);
    expect(() => external([])).toThrow(/at least one protected MCP endpoint/);
    expect(() =>
      ResourceServerConfig.fromOptions({
        resources: [{ uri: 'https://a.example/mcp', scopes: [] }],
        authorizationServers: [],
        verifier: { type: 'jwks' },
      }),
    ).toThrow(/authorizationServers must list at least one issuer/);
  });

  it('allows http on loopback, for development and tests', () => {
    expect(() =>
      ResourceServerConfig.fromOptions({
        resources: [{ uri: 'http://127.0.0.1:3000/mcp', scopes: [] }],
        authorizationServers: ['http://localhost:4000'],
        verifier: { type: 'jwks' },
      }),
    ).not.toThrow();
  });
});
