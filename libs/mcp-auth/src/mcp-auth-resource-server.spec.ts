import { McpAuthConfig } from './mcp-auth.config';
import { resourceServerOptions } from './mcp-auth-resource-server';
import { ResourceServerConfig } from './resource-server/resource-server.config';

describe('the resource server of McpAuthModule.forRoot()', () => {
  it('derives everything from McpAuthModule.forRoot options', () => {
    const options = {
      issuer: 'https://mcp.example.com',
      resources: [{ path: '/mcp', scopes: ['mcp:tools'], name: 'Tools' }],
      scopes: { 'mcp:tools': 'Call tools', offline_access: 'Stay signed in' },
      resourceServer: { scopeHierarchy: { 'mcp:tools': [] }, revocationPollInterval: 2 },
    };
    const mapped = resourceServerOptions(new McpAuthConfig(options), options);
    // Our own verifier is supplied by the authorization server's module (a custom verifier).
    expect(mapped.verifier).toEqual({ type: 'custom' });
    expect(mapped).not.toHaveProperty('revocationPollInterval');
    const config = ResourceServerConfig.fromOptions(mapped);
    expect(config.authorizationServers).toEqual(['https://mcp.example.com']);
    expect(config.resources[0]).toEqual({
      uri: 'https://mcp.example.com/mcp',
      path: '/mcp',
      scopes: ['mcp:tools'],
      name: 'Tools',
      documentation: undefined,
      authorizationServers: ['https://mcp.example.com'],
      metadataPath: '/.well-known/oauth-protected-resource/mcp',
      metadataUrl: 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp',
    });
    expect(config.clockTolerance).toBe(5);
  });
});
